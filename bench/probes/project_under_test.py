"""The rendered project a probe measures, and the project's own test helpers.

A probe runs from the project's root with the project's interpreter, and is
given the package's name as its first argument. The helpers are the ones the
project's own tests use (``<package>/tests/support.py``): the same real
redis-server, worker and beat processes, and the same ways to wait on them.
Each is imported when asked for, as they bring pytest along.
"""

import contextlib
import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

LOG_TIME = re.compile(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


def package():
    return sys.argv[1]


def support():
    """The tests' helpers: RedisServer, CeleryProcess, wait_for and the like."""
    return importlib.import_module(f"{package()}.tests.support")


def scheduler_support():
    """The tests' helpers for this project's scheduler, ``one_second_heartbeat`` among them.

    They import the project, whose settings read the environment once: ask
    for them only once the probe has set it.
    """
    return importlib.import_module(f"{package()}.tests.scheduler_support")


def is_django():
    return Path("manage.py").exists()


def test_environment():
    """The settings the project's tests give every process they start, Django's among them."""
    environment = dict(importlib.import_module(f"{package()}.tests.conftest").TEST_ENVIRONMENT)
    if is_django():
        # A Django project's tests add Django's settings in the conftest.py at its root.
        sys.path.insert(0, str(Path.cwd()))
        environment.update(importlib.import_module("conftest").TEST_ENVIRONMENT)
    return environment


@contextlib.contextmanager
def private_services(prefix):
    """A throwaway Redis and state folder for the block, this process and every one it starts.

    In a Django project, also a fresh SQLite database, migrated, and Django
    set up. Yields the state folder. Stopped from outside (a CI timeout,
    say), the probe still stops every process and removes every folder:
    SIGTERM raises SystemExit, and the cleanup runs.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    redis_server = support().RedisServer()
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        os.environ.update(test_environment(), REDIS_URL=redis_server.url, STATE_DIR=str(workdir))
        if is_django():
            os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput"],
                stdout=subprocess.DEVNULL,
                check=True,
            )
            import django

            django.setup()
        yield workdir
    finally:
        redis_server.remove()
        shutil.rmtree(workdir, ignore_errors=True)


def fresh_case(folder, environment):
    """A folder for one case's logs and state, an empty Redis, and the case's environment."""
    folder.mkdir()
    importlib.import_module(f"{package()}.redis_client").get_redis().flushdb()
    return {**environment, "STATE_DIR": str(folder)}


@contextlib.contextmanager
def running(command, log_path, environment, app=None):
    """``celery <command>`` for the length of the block, then stopped.

    The project's app, unless ``app`` names another module (``celery -A``).
    """
    process = support().CeleryProcess(
        command, log_path, environment, **({"app": app} if app else {})
    )
    try:
        yield process
    finally:
        process.stop()


def alive(process):
    """True while the process runs; an error once it exited, so that no wait outlives it."""
    if process.process.poll() is not None:
        raise RuntimeError(f"{process.log_path} ended early:\n{process.log()}")
    return True


def log_times(log, marker):
    """When each log line holding ``marker`` was written, in seconds since the epoch."""
    times = []
    for line in log.splitlines():
        stamp = LOG_TIME.match(line)
        if stamp and marker in line:
            times.append(datetime.strptime(stamp[1], "%Y-%m-%d %H:%M:%S,%f").timestamp())
    return times
