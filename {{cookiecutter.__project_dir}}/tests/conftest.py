"""Real parts for the tests: a private redis-server, worker and beat processes.

The project reads its environment when ``settings`` is first imported, so the
server starts in ``pytest_configure``, before any test module imports the
project. Every test that uses Redis gets an empty database.
{%- if cookiecutter.web_framework == "django" %}

The tests' SQLite database is a file that the worker and beat processes open
too. So that they see what a test wrote, every test commits for real
(``transactional_db``) and the tables are emptied after it.
{%- endif %}
"""

import copy
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
{%- if cookiecutter.web_framework == "django" %}
from urllib.parse import urlsplit
{%- endif %}

{% if cookiecutter.web_framework == "django" -%}
import dj_database_url
import django
{% endif -%}
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = "{{ cookiecutter.project_slug }}.celery_app"

# Settings for every process the tests start: quick retries, a private state dir.
TEST_ENVIRONMENT = {
    "SYNC_RETRY_BACKOFF": "1",
    "SYNC_MAX_RETRIES": "2",
    "TIMEZONE": "UTC",
{%- if cookiecutter.web_framework == "django" %}
    "DJANGO_SETTINGS_MODULE": "{{ cookiecutter.project_slug }}.django_settings",
    "SECRET_KEY": "only-for-the-tests-" + "x" * 40,
    # The test client and the tests' servers speak plain http.
    "HTTPS_ONLY": "0",
{%- endif %}
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout, message):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s.

    ``message`` may be a function, called on failure (to show a log, say).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{message() if callable(message) else message} (waited {timeout} s)")


def ping_redis(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def run_health(*args, **environment):
    """Run ``python -m <package>.health``; return its result and how long it took."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.project_slug }}.health", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result, time.monotonic() - started


def schedule_of(name):
    """A fresh copy of a BEAT_SCHEDULE entry's schedule: schedules cache the app's time zone."""
    from celery.schedules import maybe_schedule

    from {{ cookiecutter.project_slug }}.beat_schedule import BEAT_SCHEDULE
    from {{ cookiecutter.project_slug }}.celery_app import app

    return maybe_schedule(copy.deepcopy(BEAT_SCHEDULE[name]["schedule"]), app=app)


def successful_runs(task):
    """How many times a worker finished ``task`` successfully today, as the worker counted."""
    from {{ cookiecutter.project_slug }} import activity

    return activity.outcomes_on(activity.today()).get(task.name, {}).get("SUCCESS", 0)


def record_heartbeat(client, sent_seconds_ago, ran_seconds_ago=None):
    """Store the heartbeat as if beat sent it, and worker "w1" ran it, that long ago."""
    from {{ cookiecutter.project_slug }}.redis_client import HEARTBEAT_KEY

    now = time.time()
    fields = {"sent_at": now - sent_seconds_ago}
    if ran_seconds_ago is not None:
        fields.update(ran_at=now - ran_seconds_ago, worker="w1")
    client.hset(HEARTBEAT_KEY, mapping=fields)


class RedisServer:
    """A throwaway redis-server on a free loopback port, persisting nothing.

    ``stop()`` then ``start()`` restarts it on the same port, empty.
    """

    def __init__(self):
        self.executable = shutil.which("redis-server")
        if self.executable is None:
            raise pytest.UsageError(
                "the tests need redis-server on the PATH (apt install redis-server)"
            )
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tempfile.mkdtemp(prefix="redis-")
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [
                *(self.executable, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", self.directory, "--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: ping_redis(self.port), 10, "redis-server did not answer PING")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def remove(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def hands_out_tests_only(config):
    """Whether this process is pytest-xdist's controller, which gives tests to the others.

    The tests run in several processes (see addopts); the one that hands
    them out runs none, and the ones it starts inherit its environment.
    """
    distributing = config.getoption("dist", "no") != "no" and not config.getoption("collectonly")
    return distributing and not hasattr(config, "workerinput")


def pytest_configure(config):
    if hands_out_tests_only(config):
        return
    # Each test process gets all of this for itself: a Redis, a state
    # folder{% if cookiecutter.web_framework == "django" %}, a database{% endif %}.
    config.redis_server = RedisServer()
    os.environ.update(TEST_ENVIRONMENT, REDIS_URL=config.redis_server.url)
    os.environ["STATE_DIR"] = tempfile.mkdtemp(prefix="state-")
{%- if cookiecutter.web_framework == "django" %}
    os.environ["DATABASE_URL"] = this_process_database_url()
    django.setup()


def this_process_database_url():
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
{%- endif %}


def pytest_unconfigure(config):
    if hasattr(config, "redis_server"):
        config.redis_server.remove()
        shutil.rmtree(os.environ["STATE_DIR"], ignore_errors=True)
{% if cookiecutter.web_framework == "django" %}

@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """Run the tests on the DATABASE_URL database itself, which subprocesses can open.

    Django would otherwise test SQLite in memory, invisible to a worker, and
    PostgreSQL in a database of another name than the one subprocesses use.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = database["NAME"]


@pytest.fixture(autouse=True)
def database(transactional_db):
    """Every test may use the database, and what it writes is committed."""


def pytest_report_header():
    engine = dj_database_url.parse(os.environ.get("TEST_DATABASE_URL") or "sqlite://")["ENGINE"]
    return f"database: {engine.rsplit('.', 1)[1]}, one for each test process"
{% endif %}

@pytest.fixture
def redis():
    """The project's Redis client, on an empty database."""
    from {{ cookiecutter.project_slug }}.redis_client import get_redis

    client = get_redis()
    client.flushdb()
    return client


class ProjectProcess:
    """``python -m <arguments>`` run from the project root, its output in a log file."""

    def __init__(self, arguments, log_path, environment=None):
        self.log_path = log_path
        self.environment = {**os.environ, **(environment or {})}
        self.log_file = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", *arguments],
            cwd=PROJECT_ROOT,
            env=self.environment,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self):
        return self.log_path.read_text()

    def stop(self):
        if self.process.poll() is None:
            # TERM to the whole group: a worker's pool children go with it.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


class CeleryProcess(ProjectProcess):
    """``celery -A <app> <command>`` as a real subprocess."""

    def __init__(self, command, log_path, environment=None):
        super().__init__(["celery", "-A", APP, *command, "--loglevel=INFO"], log_path, environment)


@pytest.fixture(scope="session")
def worker(tmp_path_factory):
    """A real worker process, running until the end of the session."""
    from {{ cookiecutter.project_slug }}.celery_app import app

    process = CeleryProcess(
        ["worker", "--concurrency=2", "--without-gossip", "--without-mingle"],
        tmp_path_factory.mktemp("worker") / "worker.log",
    )
    try:
        wait_for(lambda: app.control.ping(timeout=0.5), 30, "the worker did not answer a ping")
        yield process
    finally:
        process.stop()


@pytest.fixture
def start_celery(tmp_path):
    """``start_celery(command, *arguments, **environment)``: a real worker or beat.

    Each is stopped when the test ends; the environment adds to the tests' own.
    """
    started = []

    def start(command, *arguments, **environment):
        log_path = tmp_path / f"{command}-{len(started)}.log"
        process = CeleryProcess([command, *arguments], log_path, environment)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def start_beat(start_celery):
    """``start_beat(**environment)``: a real beat process, stopped when the test ends."""
    return functools.partial(start_celery, "beat")


@pytest.fixture
def start_worker(start_celery):
    """``start_worker(*arguments, **environment)``: a worker of the test's own.

    For a test that needs other settings than the session's ``worker``, or
    must kill it. Wait for ``worker_is_ready`` before relying on it.
    """
    return functools.partial(start_celery, "worker", "--without-gossip", "--without-mingle")


def worker_is_ready(worker):
    return " ready." in worker.log()


def heartbeats_sent(beat):
    return beat.log().count("Sending due task heartbeat")


def one_second_heartbeat():
    """Make the heartbeat entry due every second; return the environment a beat needs for it."""
{%- if cookiecutter.scheduler == "database" %}
    from datetime import timedelta

    from {{ cookiecutter.project_slug }}.beat_schedule import BEAT_SCHEDULE
    from {{ cookiecutter.project_slug }}.celery_app import app
    from {{ cookiecutter.project_slug }}.schedule_sync import sync_periodic_tasks

    # This beat reads its entries from the database, where the code
    # schedule's heartbeat is once a minute.
    every_second = {**BEAT_SCHEDULE["heartbeat"], "schedule": timedelta(seconds=1)}
    sync_periodic_tasks({"heartbeat": every_second}, app)
{%- endif %}
    return {"HEARTBEAT_INTERVAL": "1"}
