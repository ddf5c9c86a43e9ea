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


# Variables of .env.example that hold a secret: each render gets its own.
SECRET_VARIABLES = ("REDIS_PASSWORD", "FLOWER_PASSWORD")


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


def remove_unselected_files(project):
    for relative in unselected_paths():
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def write_env_file(project):
    """Copy .env.example to .env, filling every secret with a fresh random value."""
    lines = []
    for line in (project / ".env.example").read_text().splitlines():
        name, sep, _ = line.partition("=")
        if sep and name in SECRET_VARIABLES:
            line = f"{name}={secrets.token_hex(24)}"
        lines.append(line)
    env_file = project / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    env_file.chmod(0o600)


if __name__ == "__main__":
    project = Path.cwd()
    remove_unselected_files(project)
    write_env_file(project)
