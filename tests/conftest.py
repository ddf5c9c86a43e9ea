"""Rendering the template for the tests, through the real cookiecutter command."""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent


@dataclass
class Render:
    """The outcome of one ``cookiecutter`` run: its exit code, stderr and output folder."""

    returncode: int
    stderr: str
    output_dir: Path

    @property
    def project(self):
        (project,) = self.output_dir.iterdir()
        return project


def render(output_dir, **answers):
    """Render the template with ``answers`` and no prompts, as a user would."""
    output_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "--output-dir",
            str(output_dir),
            str(TEMPLATE),
            *(f"{name}={value}" for name, value in answers.items()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Render(result.returncode, result.stderr, output_dir)


@pytest.fixture
def render_into(tmp_path):
    """``render_into(**answers)`` renders into a fresh folder of this test."""
    count = 0

    def render_with(**answers):
        nonlocal count
        count += 1
        return render(tmp_path / f"render-{count}", **answers)

    return render_with


@pytest.fixture(scope="session")
def shared_render(tmp_path_factory):
    """``shared_render(**answers)``: one render per set of answers for the whole session.

    For tests that only read a render, so each combination is rendered once
    however many test modules check it.
    """
    projects = {}

    def render_once(**answers):
        key = tuple(sorted(answers.items()))
        if key not in projects:
            result = render(tmp_path_factory.mktemp("shared"), **answers)
            assert result.returncode == 0, result.stderr
            projects[key] = result.project
        return projects[key]

    return render_once


@pytest.fixture(scope="session")
def default_project(tmp_path_factory):
    """The default render, shared by the tests that only read it."""
    result = render(tmp_path_factory.mktemp("default"))
    assert result.returncode == 0, result.stderr
    return result.project
