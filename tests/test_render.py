"""Every option renders a clean project: no template syntax left, lint-clean, right files."""

import re
import shutil
import stat
import subprocess

import pytest

# Template syntax a render must not leave behind. GitHub's ${{ }} is not
# used in the workflow, so any {{ is a leftover.
LEFTOVER_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|cookiecutter\.")

OPTION_FILES = {
    "use_flower": ["flowerconfig.py"],
    "use_docker": ["Dockerfile", ".dockerignore", "compose.yaml"],
    "use_heroku": ["Procfile"],
}

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
}


def rendered_files(project):
    return [path for path in project.rglob("*") if path.is_file()]


@pytest.fixture(scope="module", params=list(RENDERS), ids=list(RENDERS))
def rendered(request, shared_render):
    answers = RENDERS[request.param]
    return answers, shared_render(**answers)


def test_leaves_no_template_syntax(rendered):
    _, project = rendered
    leftovers = [
        f"{path.relative_to(project)}: {line.strip()}"
        for path in rendered_files(project)
        for line in path.read_text().splitlines()
        if LEFTOVER_SYNTAX.search(line)
    ]
    assert leftovers == []


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_is_lint_clean(rendered, command):
    _, project = rendered
    result = subprocess.run(
        [shutil.which("ruff"), *command, "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_has_the_files_of_selected_options_only(rendered):
    answers, project = rendered
    for option, paths in OPTION_FILES.items():
        selected = answers.get(option, "y") == "y"
        for path in paths:
            assert (project / path).exists() == selected, f"{path} with {option}={selected}"
    assert (project / ".github/workflows/ci.yml").exists() == (
        answers.get("ci", "github") == "github"
    )


def test_flower_appears_only_when_selected(rendered):
    answers, project = rendered
    selected = answers.get("use_flower", "y") == "y"
    for path in ["pyproject.toml", "Procfile.dev", "Makefile", ".env.example"]:
        assert ("flower" in (project / path).read_text().lower()) == selected, path


def test_writes_a_private_env_with_fresh_secrets(default_project, render_into):
    other = render_into().project
    env = (default_project / ".env").read_text()
    other_env = (other / ".env").read_text()

    for name in ["REDIS_PASSWORD", "FLOWER_PASSWORD"]:
        secret = re.search(rf"^{name}=(\S+)$", env, re.MULTILINE).group(1)
        assert len(secret) >= 32
        assert f"{name}={secret}" not in other_env
        assert secret not in (default_project / ".env.example").read_text()
    assert stat.S_IMODE((default_project / ".env").stat().st_mode) == 0o600
    assert ".env\n" in (default_project / ".gitignore").read_text()
