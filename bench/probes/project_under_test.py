"""The rendered project a probe measures, and the project's own test helpers.

A probe runs from the project's root with the project's interpreter, and is
given the package's name as its first argument. The helpers are the ones the
project's own tests use (``<package>/tests/support.py``): the same real
redis-server, worker and beat processes, and the same ways to wait on them.
Each is imported when asked for, as they bring pytest along.
"""

import importlib
import sys
from pathlib import Path


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
