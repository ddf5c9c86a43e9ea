"""Trim the rendered project to the chosen options and write its private .env.

Files that belong to an option live in the template as whole files and are
removed here when the option is off, instead of being wrapped in giant
Jinja if-blocks. Standard library only, and no network.
"""

import secrets
import shutil
from pathlib import Path

USE_FLOWER = {{ cookiecutter.use_flower }}
USE_DOCKER = {{ cookiecutter.use_docker }}
USE_HEROKU = {{ cookiecutter.use_heroku }}
CI = {{ cookiecutter.ci | tojson }}
DJANGO = {{ cookiecutter.web_framework | tojson }} == "django"
SCHEDULER = {{ cookiecutter.scheduler | tojson }}
PACKAGE = {{ cookiecutter.project_slug | tojson }}

# Variables of .env.example that hold a secret: each render gets its own.
SECRET_VARIABLES = ("REDIS_PASSWORD", "FLOWER_PASSWORD", "SECRET_KEY", "POSTGRES_PASSWORD")

# A module that differs between options has its other versions beside it:
# NAME.django.py replaces NAME.py in a Django render, NAME.redis.py and
# NAME.database.py with that scheduler. Variants not chosen are removed.
VARIANTS = {
    ".django.py": DJANGO,
    ".redis.py": SCHEDULER == "redis",
    ".database.py": SCHEDULER == "database",
}

DJANGO_ONLY = (
    "manage.py",
    f"{PACKAGE}/admin.py",
    f"{PACKAGE}/django_settings.py",
    f"{PACKAGE}/embeddings.py",
    f"{PACKAGE}/migrations",
    f"{PACKAGE}/models.py",
    f"{PACKAGE}/tasks/sessions.py",
    f"{PACKAGE}/unapplied_migrations.py",
    f"{PACKAGE}/urls.py",
    f"{PACKAGE}/views.py",
    f"{PACKAGE}/wsgi.py",
    "tests/test_admin.py",
    "tests/test_django_settings.py",
    "tests/test_health_view.py",
    "tests/test_sessions.py",
    "tests/test_web_waits_for_migrations.py",
)
PLAIN_ONLY = (
    f"{PACKAGE}/record_store.py",
    f"{PACKAGE}/watermarks.py",
)
# django-celery-beat's tables: the sync command and the runtime schedules.
DATABASE_SCHEDULER_ONLY = (
    f"{PACKAGE}/management",
    f"{PACKAGE}/schedule_sync.py",
    f"{PACKAGE}/tasks/digests.py",
    f"{PACKAGE}/user_digests.py",
    "tests/test_beat_reloads_schedule.py",
    "tests/test_schedule_sync.py",
    "tests/test_user_digests.py",
)


def unselected_paths():
    """The files of every option that is turned off."""
    if not USE_FLOWER:
        yield "flowerconfig.py"
    if not USE_DOCKER:
        yield from ("Dockerfile", ".dockerignore", "compose.yaml")
    if not USE_HEROKU:
        yield "Procfile"
    if CI != "github":
        yield ".github"
    yield from PLAIN_ONLY if DJANGO else DJANGO_ONLY
    if SCHEDULER != "database":
        yield from DATABASE_SCHEDULER_ONLY
    if SCHEDULER == "file":
        yield "tests/test_schedule_changes.py"  # a file schedule is changed in code


def remove_unselected_files(project):
    for relative in unselected_paths():
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def choose_variants(project):
    """Put each chosen variant in place of its module, and remove the others."""
    for suffix, chosen in VARIANTS.items():
        for variant in project.rglob(f"*{suffix}"):
            if chosen:
                variant.replace(variant.with_name(variant.name.removesuffix(suffix) + ".py"))
            else:
                variant.unlink()


def write_env_file(project):
    """Copy .env.example to .env, filling every secret with a fresh random value."""
    lines = []
    for line in (project / ".env.example").read_text().splitlines():
        name, sep, _ = line.partition("=")
        if sep and name in SECRET_VARIABLES:
            line = f"{name}={secrets.token_hex(32)}"
        lines.append(line)
    env_file = project / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    env_file.chmod(0o600)


if __name__ == "__main__":
    project = Path.cwd()
    remove_unselected_files(project)
    choose_variants(project)
    write_env_file(project)
