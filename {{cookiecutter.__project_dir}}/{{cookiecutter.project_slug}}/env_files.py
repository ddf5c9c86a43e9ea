"""``.env``, read by every process of the project before its settings.

So that ``manage.py``, ``celery -A ...`` and the commands work as they are,
without make or an exported variable, each process adds to its environment
what two files set, when they exist:

- ``make dev``'s session file, while ``make dev`` runs: the address of the
  private Redis it started, so that a command in another terminal finds it;
- ``.env`` in the project folder (``ENV_FILE`` names another file; empty,
  no file is read, as in the tests).

A variable already in the environment wins over both, so a deployment's
settings and a one-off ``REDIS_URL=... make health`` always have the last
word. A line that is not ``NAME=value`` stops start-up with one line.
"""

import io
import os
from collections.abc import MutableMapping
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Written by scripts/dev.sh while it runs, removed when it stops.
DEV_SESSION_FILE = Path("state", "dev-session.env")
# The session file's variable that names the make dev process it belongs to.
DEV_SESSION_PID = "MAKE_DEV_PID"


class EnvFileError(SystemExit):
    """A file of variables that cannot be read: one line, and exit status 1."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"Cannot read {path}: {problem}")


def read_env_files(
    environ: MutableMapping[str, str] = os.environ, project_dir: Path = PROJECT_DIR
) -> None:
    """Add the variables of make dev's session file and of ``.env`` that ``environ`` lacks."""
    env_file = environ.get("ENV_FILE", str(project_dir / ".env"))
    if not env_file:
        return
    if "ENV_FILE" in environ and not Path(env_file).is_file():
        raise EnvFileError(Path(env_file), "no such file (ENV_FILE names it)")
    # The first file to set a variable wins: the session's Redis over .env's.
    for variables in (_live_dev_session(project_dir / DEV_SESSION_FILE), _read(Path(env_file))):
        for name, value in variables.items():
            environ.setdefault(name, value)


def _read(path: Path) -> dict[str, str]:
    """The variables ``path`` sets, ``${NAME}`` expanded as compose does; none if it is missing."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise EnvFileError(path, "it is not UTF-8 text") from None
    except OSError as exc:
        raise EnvFileError(path, exc.strerror or str(exc)) from None
    # python-dotenv only logs a warning for such a line, and goes on without it.
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            line = binding.original
            raise EnvFileError(path, f"line {line.line} is not NAME=value: {line.string.strip()!r}")
    variables = {
        name: value
        for name, value in dotenv_values(stream=io.StringIO(text)).items()
        if value is not None
    }
    for name, value in variables.items():
        if "\0" in value:  # no environment can hold it
            raise EnvFileError(path, f"{name}'s value holds a NUL character")
    return variables


def _live_dev_session(path: Path) -> dict[str, str]:
    """The session file's variables, unless its make dev is gone (killed with -9, a reboot)."""
    variables = _read(path)
    pid = variables.pop(DEV_SESSION_PID, "")
    if not pid.isdigit() or not _is_running(int(pid)):
        return {}
    return variables


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return True
