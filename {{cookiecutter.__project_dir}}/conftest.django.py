"""The Django part of the tests' set-up: one database per test process, shared with its workers.

The tests' own set-up (``<package>/tests/conftest.py``) starts Redis first;
this runs after it. The tests' SQLite database is a file that the worker and
beat processes open too. So that they see what a test wrote, every test
commits for real (``transactional_db``) and the tables are emptied after it.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django
import pytest

# Django's settings for every process the tests start.
TEST_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "{{ cookiecutter.project_slug }}.django_settings",
    "SECRET_KEY": "only-for-the-tests-" + "x" * 40,
    # The test client and the tests' servers speak plain http.
    "HTTPS_ONLY": "0",
}


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not runs_tests(config):
        return
    os.environ.update(TEST_ENVIRONMENT, DATABASE_URL=this_process_database_url())
    django.setup()


def runs_tests(config: pytest.Config) -> bool:
    """False in pytest-xdist's controller, which only hands tests out: it sets nothing up.

    The processes it starts inherit its environment (as in the tests' own
    conftest.py, which has started Redis by now where this is True).
    """
    distributing = config.getoption("dist", "no") != "no" and not config.getoption("collectonly")
    return not distributing or hasattr(config, "workerinput")


def this_process_database_url() -> str:
    """TEST_DATABASE_URL, a database the tests may drop and recreate, or a SQLite file.

    CI sets a PostgreSQL one; each test process adds its own suffix to the
    database name (test_db_gw0, test_db_gw1...), as they would otherwise
    empty each other's tables.
    """
    shared = os.environ.get("TEST_DATABASE_URL")
    if not shared:
        return f"sqlite:///{Path(os.environ['STATE_DIR']) / 'tests.sqlite3'}"
    test_process = os.environ.get("PYTEST_XDIST_WORKER")
    if not test_process:
        return shared
    url = urlsplit(shared)
    return url._replace(path=f"{url.path}_{test_process}").geturl()


@pytest.fixture(scope="session")
def django_db_modify_db_settings() -> None:
    """Run the tests on the DATABASE_URL database itself, which subprocesses can open.

    Django would otherwise test SQLite in memory, invisible to a worker, and
    PostgreSQL in a database of another name than the one subprocesses use.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = database["NAME"]


@pytest.fixture(autouse=True)
def database(transactional_db: None) -> None:
    """Every test may use the database, and what it writes is committed."""


def pytest_report_header() -> str:
    engine = dj_database_url.parse(os.environ.get("TEST_DATABASE_URL") or "sqlite://")["ENGINE"]
    return f"database: {engine.rsplit('.', 1)[1]}, one for each test process"
