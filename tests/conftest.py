"""Rendering the template for the tests, through the real cookiecutter command."""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent

# Template syntax a render must not leave behind. GitHub's ${{ }} is not
# used in the workflow, so any {{ is a leftover.
LEFTOVER_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|cookiecutter\.")
# Prometheus's own templates, which monitoring/alerts.yml keeps through the
# render. Jinja cannot render a ``$`` expression, so no leftover hides here.
PROMETHEUS_TEMPLATE = re.compile(r"\{\{ \$labels\.\w+ \}\}")


@dataclass
class Render:
    """The outcome of one ``cookiecutter`` run: its exit code, stdout, stderr and output folder."""

    returncode: int
    stdout: str
    stderr: str
    output_dir: Path

    @property
    def project(self) -> Path:
        (project,) = self.output_dir.iterdir()
        return project

    @property
    def errors(self) -> list[str]:
        """The hooks' ``ERROR: field: ...`` lines, without cookiecutter's own about the hook."""
        lines = [line for line in self.stderr.splitlines() if line.startswith("ERROR: ")]
        return [line for line in lines if not line.startswith("ERROR: Stopping generation")]


def render(output_dir: Path, **answers: str) -> Render:
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
    return Render(result.returncode, result.stdout, result.stderr, output_dir)


@pytest.fixture
def render_into(tmp_path: Path) -> Callable[..., Render]:
    """``render_into(**answers)`` renders into a fresh folder of this test."""
    count = 0

    def render_with(**answers: str) -> Render:
        nonlocal count
        count += 1
        return render(tmp_path / f"render-{count}", **answers)

    return render_with


def once_per_answers(make_project: Callable[..., Path]) -> Callable[..., Path]:
    """``make_project(**answers)``, called once per set of answers and then remembered."""
    projects = {}

    def get(**answers: str) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in projects:
            projects[key] = make_project(**answers)
        return projects[key]

    return get


def rendered_project(output_dir: Path, **answers: str) -> Path:
    """The folder of a render that must succeed."""
    result = render(output_dir, **answers)
    assert result.returncode == 0, result.stderr
    return result.project


def template_leftovers(project: Path) -> list[str]:
    """The lines of a render that still hold template syntax, as ``path: line``."""
    return [
        f"{path.relative_to(project)}: {line.strip()}"
        for path in project.rglob("*")
        if path.is_file()
        for line in path.read_text().splitlines()
        if LEFTOVER_SYNTAX.search(PROMETHEUS_TEMPLATE.sub("", line))
    ]


def tool(name: str) -> str:
    """The path of a command the template's environment installs (``uv sync``)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on the PATH: run the tests with `make test` (uv run pytest)")
    return path


def ruff(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """``ruff COMMAND`` over a render, as its CI runs it; the finished process."""
    return subprocess.run(
        [tool("ruff"), *command, "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="session")
def shared_render(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``shared_render(**answers)``: one render per set of answers for the whole session.

    For tests that only read a render, so each combination is rendered once
    however many test modules check it.
    """
    return once_per_answers(
        lambda **answers: rendered_project(tmp_path_factory.mktemp("shared"), **answers)
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing listens on port {port} after {timeout} s")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, persisting nothing; its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed (apt install redis-server); .ci/run installs it")
    port = free_port()
    server = subprocess.Popen(
        [
            *(executable, "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),  # persist nothing
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


def postgres_commands() -> Path | None:
    """The folder of PostgreSQL's server programs, or None when it is not installed."""
    candidates = [os.path.dirname(shutil.which("postgres") or "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    # Homebrew's postgresql@N (scripts/install-missing.sh installs it on macOS).
    candidates += sorted(glob.glob("/opt/homebrew/opt/postgresql@*/bin"), reverse=True)
    candidates += sorted(glob.glob("/usr/local/opt/postgresql@*/bin"), reverse=True)
    for folder in candidates:
        if folder and os.path.exists(os.path.join(folder, "initdb")):
            return Path(folder)
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port; its URL, for TEST_DATABASE_URL."""
    commands = postgres_commands()
    if commands is None:
        pytest.fail("PostgreSQL is not installed (apt install postgresql); .ci/run installs it")
    # PostgreSQL refuses to run as root, so as root it runs as the postgres
    # user, in a folder outside pytest's (which is private to root).
    data = Path(tempfile.mkdtemp(prefix="postgres-"))
    as_user = "postgres" if os.geteuid() == 0 else None
    if as_user:
        shutil.chown(data, as_user)
    cluster = data / "cluster"
    port = free_port()
    try:
        subprocess.run(
            [str(commands / "initdb"), "-D", str(cluster), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
            user=as_user,
            group=as_user,
        )
        server = subprocess.Popen(
            [
                *(str(commands / "postgres"), "-D", str(cluster), "-p", str(port), "-k", str(data)),
                *("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=as_user,
            group=as_user,
        )
        try:
            wait_for_port(port, timeout=30)
            yield f"postgres://postgres@127.0.0.1:{port}/tests"
        finally:
            server.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown
            server.wait(timeout=30)
    finally:
        shutil.rmtree(data, ignore_errors=True)
