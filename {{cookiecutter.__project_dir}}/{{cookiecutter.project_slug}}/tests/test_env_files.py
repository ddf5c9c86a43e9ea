""".env, and make dev's session file, fill in what a process's environment lacks."""

import os
import subprocess
import sys

import pytest

from ..env_files import DEV_SESSION_FILE, EnvFileError, read_env_files
from .support import APP, PACKAGE, PROJECT_ROOT


def write_dev_session(project_dir, pid, redis_url):
    """The session file as scripts/dev.sh writes it."""
    path = project_dir / DEV_SESSION_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Written by make dev\nMAKE_DEV_PID={pid}\nREDIS_URL={redis_url}\n")


def a_finished_process():
    """The pid of a process that has exited: what a make dev killed with -9 leaves in its file."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_env_file_fills_in_what_the_environment_lacks_and_the_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("# a comment\nHEARTBEAT_INTERVAL=7\nTIMEZONE='Europe/Paris'\n")
    environ = {"TIMEZONE": "UTC"}

    read_env_files(environ, project_dir=tmp_path)

    assert environ == {"TIMEZONE": "UTC", "HEARTBEAT_INTERVAL": "7"}


def test_no_env_file_is_no_error(tmp_path):
    environ: dict[str, str] = {}

    read_env_files(environ, project_dir=tmp_path)

    assert environ == {}


def test_env_file_names_another_file_and_empty_names_none(tmp_path):
    (tmp_path / ".env").write_text("HEARTBEAT_INTERVAL=7\n")
    (tmp_path / "staging.env").write_text("HEARTBEAT_INTERVAL=30\n")
    other = {"ENV_FILE": str(tmp_path / "staging.env")}
    none = {"ENV_FILE": ""}

    read_env_files(other, project_dir=tmp_path)
    read_env_files(none, project_dir=tmp_path)

    assert other["HEARTBEAT_INTERVAL"] == "30"
    assert none == {"ENV_FILE": ""}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"HEARTBEAT_INTERVAL=7\nthis is not a variable\n", "line 2 is not NAME=value"),
        (b'SECRET_KEY="never closed\n', "line 1 is not NAME=value"),
        (b"SECRET_KEY=\xff\xfe\n", "it is not UTF-8 text"),
        (b"STATE_DIR=state\x00\n", "STATE_DIR's value holds a NUL character"),
    ],
)
def test_a_file_that_cannot_be_read_stops_start_up_with_one_line(tmp_path, content, problem):
    path = tmp_path / ".env"
    path.write_bytes(content)
    environ: dict[str, str] = {}

    with pytest.raises(EnvFileError) as raised:
        read_env_files(environ, project_dir=tmp_path)

    assert str(raised.value).startswith(f"Cannot read {path}: {problem}")
    assert environ == {}  # nothing half-read


def test_an_env_file_that_does_not_exist_is_an_error_when_named(tmp_path):
    missing = tmp_path / "prod.env"

    with pytest.raises(EnvFileError, match="no such file"):
        read_env_files({"ENV_FILE": str(missing)}, project_dir=tmp_path)


def test_a_running_make_dev_gives_its_redis_to_every_command(tmp_path):
    (tmp_path / ".env").write_text("HEARTBEAT_INTERVAL=7\n")
    write_dev_session(tmp_path, os.getpid(), "redis://127.0.0.1:41234/0")
    environ: dict[str, str] = {}

    read_env_files(environ, project_dir=tmp_path)

    assert environ == {"REDIS_URL": "redis://127.0.0.1:41234/0", "HEARTBEAT_INTERVAL": "7"}


def test_the_session_file_of_a_make_dev_that_is_gone_is_ignored(tmp_path):
    write_dev_session(tmp_path, a_finished_process(), "redis://127.0.0.1:41234/0")
    environ: dict[str, str] = {}

    read_env_files(environ, project_dir=tmp_path)

    assert environ == {}


def test_an_exported_redis_url_wins_over_make_devs(tmp_path):
    write_dev_session(tmp_path, os.getpid(), "redis://127.0.0.1:41234/0")
    environ = {"REDIS_URL": "redis://redis.internal:6379/0"}

    read_env_files(environ, project_dir=tmp_path)

    assert environ == {"REDIS_URL": "redis://redis.internal:6379/0"}


def run_with_env_file(tmp_path, text, command, unset=(), **environment):
    """Run ``command`` from the project root with ``text`` as its .env, ``unset`` unset."""
    env_file = tmp_path / "test.env"
    env_file.write_text(text)
    kept = {name: value for name, value in os.environ.items() if name not in unset}
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env={**kept, "ENV_FILE": str(env_file), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_celery_command_reads_the_env_file(tmp_path):
    result = run_with_env_file(
        tmp_path, "TIMEZONE=Asia/Tokyo\n", ["celery", "-A", APP, "report"], unset={"TIMEZONE"}
    )

    assert result.returncode == 0, result.stderr
    # Django's report spells it CELERY_TIMEZONE.
    assert "timezone: 'asia/tokyo'" in result.stdout.lower()


def test_the_commands_read_the_env_file_and_the_environment_wins(tmp_path):
    code = f"from {PACKAGE}.settings import settings; print(settings.heartbeat_interval)"
    command = [sys.executable, "-c", code]
    unset = {"HEARTBEAT_INTERVAL"}

    from_file = run_with_env_file(tmp_path, "HEARTBEAT_INTERVAL=7\n", command, unset)
    exported = run_with_env_file(
        tmp_path, "HEARTBEAT_INTERVAL=7\n", command, unset, HEARTBEAT_INTERVAL="9"
    )

    assert from_file.stdout.strip() == "7", from_file.stderr
    assert exported.stdout.strip() == "9", exported.stderr


def test_a_bad_env_file_stops_a_command_with_one_line(tmp_path):
    command = [sys.executable, "-m", f"{PACKAGE}.health"]

    result = run_with_env_file(tmp_path, "HEARTBEAT_INTERVAL=7\nnot a variable\n", command)

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    env_file = tmp_path / "test.env"
    assert line == f"Cannot read {env_file}: line 2 is not NAME=value: 'not a variable'"
