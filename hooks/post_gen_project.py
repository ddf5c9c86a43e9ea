"""Trim the rendered project to the chosen options, lock it, and write its private .env.

Options change the project in two ways, both whole files rather than giant
Jinja if-blocks:

- a module that differs between options has a version per option value
  beside it, named after the value: ``NAME.django.py`` for a Django render
  (``NAME.py`` is the plain one), and ``NAME.file.py``, ``NAME.redis.py``
  and ``NAME.database.py``, one per scheduler. The chosen version becomes
  ``NAME.py``; the others are removed. A value with no version of its own
  keeps ``NAME.py``.
- files that only one option has are listed below and removed from the
  renders without it.

Standard library only, and no network.
"""

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

USE_FLOWER = {{ cookiecutter.use_flower }}
USE_DOCKER = {{ cookiecutter.use_docker }}
USE_HEROKU = {{ cookiecutter.use_heroku }}
USE_KUBERNETES = {{ cookiecutter.use_kubernetes }}
CI = {{ cookiecutter.ci | tojson }}
WEB_FRAMEWORK = {{ cookiecutter.web_framework | tojson }}
DJANGO = WEB_FRAMEWORK == "django"
SCHEDULER = {{ cookiecutter.scheduler | tojson }}
# Every scheduler the template has: cookiecutter.json's table.
SCHEDULERS = list({{ cookiecutter._schedulers | tojson }})
PACKAGE = {{ cookiecutter.project_slug | tojson }}
TESTS = f"{PACKAGE}/tests"
KUBERNETES = "deploy/kubernetes"

# Variables of .env.example that hold a secret: each render gets its own.
SECRET_VARIABLES = (
    "REDIS_PASSWORD",
    "FLOWER_PASSWORD",
    "METRICS_PASSWORD",
    "SECRET_KEY",
    "POSTGRES_PASSWORD",
)

# Which variants this render takes, by the value in their name.
CHOSEN_VARIANTS = {
    "django": DJANGO,
    **{scheduler: scheduler == SCHEDULER for scheduler in SCHEDULERS},
}

DJANGO_ONLY = (
    "manage.py",
    f"{PACKAGE}/admin.py",
    f"{PACKAGE}/django_settings.py",
    f"{PACKAGE}/embeddings.py",
    f"{PACKAGE}/migrations",
    f"{PACKAGE}/models.py",
    f"{PACKAGE}/tasks/sessions.py",
    f"{PACKAGE}/templates",
    f"{PACKAGE}/unapplied_migrations.py",
    f"{PACKAGE}/urls.py",
    f"{PACKAGE}/views.py",
    f"{PACKAGE}/wsgi.py",
    f"{TESTS}/test_admin.py",
    f"{TESTS}/test_django_settings.py",
    f"{TESTS}/test_health_view.py",
    f"{TESTS}/test_home_page.py",
    f"{TESTS}/test_sessions.py",
    f"{TESTS}/test_web_waits_for_migrations.py",
)
PLAIN_ONLY = (f"{PACKAGE}/watermarks.py",)
FLOWER_ONLY = ("flowerconfig.py", f"{TESTS}/test_flower_settings.py")
# The files a scheduler alone has. Here, django-celery-beat's tables: the
# admin, the sync command and the runtime schedules.
SCHEDULER_ONLY = {
    "database": (
        f"{PACKAGE}/beat_admin",
        f"{PACKAGE}/management",
        f"{PACKAGE}/schedule_sync.py",
        f"{PACKAGE}/tasks/digests.py",
        f"{PACKAGE}/user_digests.py",
        f"{TESTS}/test_admin_schedule.py",
        f"{TESTS}/test_beat_reloads_schedule.py",
        f"{TESTS}/test_schedule_sync.py",
        f"{TESTS}/test_user_digests.py",
    ),
}


def unselected_paths() -> Iterator[str]:
    """The files of every option that is turned off."""
    if not USE_FLOWER:
        yield from FLOWER_ONLY
        if USE_KUBERNETES:
            yield f"{KUBERNETES}/flower.yaml"
    if not USE_KUBERNETES:
        yield "deploy"
    elif not DJANGO:
        yield from (f"{KUBERNETES}/migrate-job.yaml", f"{KUBERNETES}/web.yaml")
    if not USE_DOCKER:
        yield "compose.yaml"
    if not (USE_DOCKER or USE_KUBERNETES):  # Kubernetes runs the image too
        yield from ("Dockerfile", ".dockerignore")
    if not USE_HEROKU:
        yield "Procfile"
    if CI != "github":
        yield ".github"
    yield from PLAIN_ONLY if DJANGO else DJANGO_ONLY
    for scheduler, paths in SCHEDULER_ONLY.items():
        if scheduler != SCHEDULER:
            yield from paths


def remove_unselected_files(project: Path) -> None:
    for relative in unselected_paths():
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def choose_variants(project: Path) -> None:
    """Put each chosen variant in place of its module, and remove the others."""
    for value, chosen in CHOSEN_VARIANTS.items():
        for variant in project.rglob(f"*.{value}.py"):
            if chosen:
                variant.replace(variant.with_name(variant.name.removesuffix(f".{value}.py") + ".py"))
            else:
                variant.unlink()


def choose_lock(project: Path) -> None:
    """Put this render's lock in place as uv.lock, its project renamed; remove the others.

    The template keeps one per dependency set (scripts/refresh_locks.py),
    each resolved in a render of the default name.
    """
    locks = project / "locks"
    name = f"{WEB_FRAMEWORK}-{SCHEDULER}{'' if USE_FLOWER else '-no-flower'}.lock"
    text = (locks / name).read_text()
    locked_project = 'name = "housekeeping"\nversion = "0.1.0"\nsource = { editable = "." }'
    this_project = locked_project.replace("housekeeping", PACKAGE.replace("_", "-"))
    (project / "uv.lock").write_text(text.replace(locked_project, this_project, 1))
    shutil.rmtree(locks)


def write_env_file(project: Path) -> None:
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


def write_kubernetes_secrets(project: Path) -> None:
    """Copy secrets.env.example to secrets.env, with a fresh value for each ``<NAME>`` in it.

    A value that holds another (REDIS_URL holds REDIS_PASSWORD) gets the same one.
    """
    folder = project / KUBERNETES
    text = (folder / "secrets.env.example").read_text()
    for name in SECRET_VARIABLES:
        text = text.replace(f"<{name}>", secrets.token_hex(32))
    secrets_file = folder / "secrets.env"
    secrets_file.write_text(text)
    secrets_file.chmod(0o600)


if __name__ == "__main__":
    project = Path.cwd()
    remove_unselected_files(project)
    choose_variants(project)
    choose_lock(project)
    write_env_file(project)
    if USE_KUBERNETES:
        write_kubernetes_secrets(project)
