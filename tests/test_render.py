"""Every option renders a clean project: no template syntax left, lint-clean, right files."""

import re
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import ruff, template_leftovers, tool
from options import (
    SCHEDULERS,
    chosen_scheduler,
    default_yes_no,
    flavours_and_schedulers,
    kubernetes_renders,
)

OPTION_FILES = {
    "use_flower": ["flowerconfig.py"],
    "use_docker": ["compose.yaml"],
    "use_heroku": ["Procfile"],
    "use_kubernetes": ["deploy/kubernetes"],
}
# The image's files: compose builds it, and Kubernetes runs it.
IMAGE_FILES = ["Dockerfile", ".dockerignore"]

RENDERS = {
    "default": {},
    "no-flower": {"use_flower": "n"},
    "no-docker": {"use_docker": "n"},
    "no-heroku": {"use_heroku": "n"},
    "no-ci": {"ci": "none"},
    "bare": {"use_flower": "n", "use_docker": "n", "use_heroku": "n", "ci": "none"},
    "python-3.11": {"python_version": "3.11"},
    "python-3.12": {"python_version": "3.12"},
    "python-3.14": {"python_version": "3.14"},
    "paris": {"timezone": "Europe/Paris"},
    "longest-slug": {"project_slug": "nightly_maintenance_for_acme_ltd"},
    **flavours_and_schedulers(),
    "kubernetes": kubernetes_renders()["kubernetes"],
    "kubernetes-bare": kubernetes_renders()["kubernetes-bare"],
    "django-bare": {
        "web_framework": "django",
        "use_flower": "n",
        "use_docker": "n",
        "use_heroku": "n",
        "ci": "none",
    },
}

# Files only a Django render has, and files only a plain one has.
DJANGO_FILES = [
    "manage.py",
    "conftest.py",
    "{slug}/django_settings.py",
    "{slug}/models.py",
    "{slug}/migrations",
]
PLAIN_FILES = ["{slug}/watermarks.py"]
# django-celery-beat's admin, sync command and runtime schedules: the database scheduler only.
DATABASE_SCHEDULER_FILES = [
    "{slug}/beat_admin",
    "{slug}/schedule_sync.py",
    "{slug}/user_digests.py",
    "{slug}/tests/test_schedule_sync.py",
]
# Modules every render has, each in the version of its flavour or scheduler.
VARIANT_MODULES = [
    "{slug}/celery_app.py",
    "{slug}/record_store.py",
    "{slug}/scheduler.py",
    "{slug}/scheduler_settings.py",
    "{slug}/schedule_store.py",
    "{slug}/tests/scheduler_support.py",
    "{slug}/tests/test_scheduler.py",
]
VARIANT_SUFFIXES = [".django.py", *(f".{scheduler}.py" for scheduler in SCHEDULERS)]


@pytest.fixture(scope="module", params=list(RENDERS), ids=list(RENDERS))
def rendered(request, shared_render):
    answers = RENDERS[request.param]
    return answers, shared_render(**answers)


def test_leaves_no_template_syntax(rendered):
    _, project = rendered
    assert template_leftovers(project) == []


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_is_lint_clean(rendered, command):
    _, project = rendered
    result = ruff(project, *command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_shell_scripts_parse(rendered):
    _, project = rendered
    for script in project.rglob("*.sh"):
        result = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"


def test_has_the_files_of_selected_options_only(rendered):
    answers, project = rendered

    def selected(option):
        return answers.get(option, default_yes_no(option)) == "y"

    for option, paths in OPTION_FILES.items():
        for path in paths:
            assert (project / path).exists() == selected(option), f"{path} with {option}"
    for path in IMAGE_FILES:
        assert (project / path).exists() == (selected("use_docker") or selected("use_kubernetes"))
    assert (project / ".github/workflows/ci.yml").exists() == (
        answers.get("ci", "github") == "github"
    )


@pytest.mark.parametrize(
    "answers", flavours_and_schedulers().values(), ids=flavours_and_schedulers().keys()
)
def test_github_workflows_are_valid(shared_render, answers):
    workflows = sorted((shared_render(**answers) / ".github" / "workflows").glob("*.yml"))

    checked = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows],
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_has_the_files_of_its_flavour_and_scheduler_only(rendered):
    answers, project = rendered
    django = answers.get("web_framework") == "django"
    database = chosen_scheduler(answers) == "database"
    expected = {
        **dict.fromkeys(DJANGO_FILES, django),
        **dict.fromkeys(PLAIN_FILES, not django),
        **dict.fromkeys(DATABASE_SCHEDULER_FILES, database),
        **dict.fromkeys(VARIANT_MODULES, True),
    }
    for path, selected in expected.items():
        assert (project / path.format(slug=project.name)).exists() == selected, path
    for suffix in VARIANT_SUFFIXES:
        assert not list(project.rglob(f"*{suffix}")), f"a {suffix} variant was left behind"


def test_django_defaults_to_the_database_scheduler(shared_render):
    project = shared_render(web_framework="django")

    settings = (project / project.name / "scheduler_settings.py").read_text()
    assert "scheduler:MigratedDatabaseScheduler" in settings
    assert '"django_celery_beat"' in settings
    assert "*DJANGO_APPS," in (project / project.name / "django_settings.py").read_text()


def test_redbeat_renders_no_solar_entry(shared_render):
    project = shared_render(scheduler="redis")

    schedule = (project / project.name / "beat_schedule.py").read_text()
    assert "solar" not in schedule.replace("solar schedules", "")
    assert "celery-redbeat" in (project / "pyproject.toml").read_text()


def test_flower_appears_only_when_selected(rendered):
    answers, project = rendered
    selected = answers.get("use_flower", "y") == "y"
    for path in ["pyproject.toml", "Procfile.dev", "Makefile", ".env.example"]:
        assert ("flower" in (project / path).read_text().lower()) == selected, path


SECRETS = {
    "plain": ({}, ["REDIS_PASSWORD", "FLOWER_PASSWORD"]),
    "django": (
        {"web_framework": "django"},
        ["REDIS_PASSWORD", "FLOWER_PASSWORD", "SECRET_KEY", "POSTGRES_PASSWORD"],
    ),
}


def secret_values(project: Path, names: list[str]) -> dict[str, str]:
    env = (project / ".env").read_text()
    values = {name: re.search(rf"^{name}=(\S+)$", env, re.MULTILINE) for name in names}
    return {name: found.group(1) for name, found in values.items() if found}


@pytest.mark.parametrize(("answers", "secrets"), SECRETS.values(), ids=SECRETS.keys())
def test_writes_a_private_env_with_fresh_secrets(shared_render, render_into, answers, secrets):
    project = shared_render(**answers)
    other_env = (render_into(**answers).project / ".env").read_text()

    for name, secret in secret_values(project, secrets).items():
        assert len(secret) >= 64
        assert f"{name}={secret}" not in other_env
        assert secret not in (project / ".env.example").read_text()
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
    assert ".env\n" in (project / ".gitignore").read_text()


@pytest.mark.parametrize(("answers", "secrets"), SECRETS.values(), ids=SECRETS.keys())
def test_git_tracks_no_secret(render_into, answers, secrets):
    # A render of its own: `git init` writes into it.
    project = render_into(**answers).project
    subprocess.run(["git", "init", "--quiet"], cwd=project, check=True)
    subprocess.run(["git", "add", "--all"], cwd=project, check=True)
    listed = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    )
    tracked = listed.stdout.splitlines()

    assert ".env" not in tracked and ".env.example" in tracked
    for path in tracked:
        text = (project / path).read_text(errors="replace")
        for name, secret in secret_values(project, secrets).items():
            assert secret not in text, f"{path} holds {name}"
