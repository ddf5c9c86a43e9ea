"""Real parts for the tests: a private redis-server, worker and beat processes.

The project reads its environment when ``settings`` is first imported, so the
server starts in ``pytest_configure``, before any test module imports the
project. Every test that uses Redis gets an empty database. The helpers the
tests share are in ``support``.
"""

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis as redis_py

from .support import APP, CeleryProcess, RedisServer, hands_out_tests_only, wait_for

# start_celery(command, *arguments, **environment), and its partials.
StartCelery = Callable[..., CeleryProcess]

# The redis-server this test process started.
REDIS_SERVER = pytest.StashKey[RedisServer]()

# Settings for every process the tests start: quick retries, the same time zone,
# and nothing from the project's .env (a developer's settings, make dev's Redis).
TEST_ENVIRONMENT = {
    "ENV_FILE": "",
    "SYNC_RETRY_BACKOFF": "1",
    "SYNC_MAX_RETRIES": "2",
    "TIMEZONE": "UTC",
}


def pytest_configure(config: pytest.Config) -> None:
    if hands_out_tests_only(config):
        return
    # Each test process gets all of this for itself: a Redis and a state folder.
    server = config.stash[REDIS_SERVER] = RedisServer()
    os.environ.update(TEST_ENVIRONMENT, REDIS_URL=server.url)
    os.environ["STATE_DIR"] = tempfile.mkdtemp(prefix="state-")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove this process's Redis and state folder, once the session's fixtures are done with them.

    Here, not in pytest_unconfigure: a test process that pytest-xdist still
    finds running 10 s after it reported its session finished is killed,
    and so was its redis-server left running.
    """
    if REDIS_SERVER in session.config.stash:
        session.config.stash[REDIS_SERVER].remove()
        del session.config.stash[REDIS_SERVER]
        shutil.rmtree(os.environ["STATE_DIR"], ignore_errors=True)


@pytest.fixture
def redis() -> redis_py.Redis:
    """The project's Redis client, on an empty database."""
    from ..redis_client import get_redis

    client = get_redis()
    client.flushdb()
    return client


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A Redis of the test's own, that it may stop and start; it outlives the processes.

    No session ``worker`` reads its queues: the test decides which workers run.
    """
    server = RedisServer()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryProcess]:
    """A real worker process, running until the end of the session."""
    from ..celery_app import app

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
def start_celery(tmp_path: Path) -> Iterator[StartCelery]:
    """``start_celery(command, *arguments, **environment)``: a real worker or beat.

    Each is stopped when the test ends; the environment adds to the tests' own.
    ``app=`` runs another app than the project's (``beat_app``, say).
    """
    started: list[CeleryProcess] = []

    def start(command: str, *arguments: str, app: str = APP, **environment: str) -> CeleryProcess:
        log_path = tmp_path / f"{command}-{len(started)}.log"
        process = CeleryProcess([command, *arguments], log_path, environment, app)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def start_beat(start_celery: StartCelery) -> StartCelery:
    """``start_beat(**environment)``: a real beat process, stopped when the test ends."""
    return functools.partial(start_celery, "beat")


@pytest.fixture
def start_worker(start_celery: StartCelery) -> StartCelery:
    """``start_worker(*arguments, **environment)``: a worker of the test's own.

    For a test that needs other settings than the session's ``worker``, or
    must kill it. Wait for ``worker_is_ready`` before relying on it.
    """
    return functools.partial(start_celery, "worker", "--without-gossip", "--without-mingle")


@pytest.fixture
def project_timezone() -> Iterator[Callable[[str], None]]:
    """``project_timezone(name)``: the app in another time zone for one test, as TIMEZONE would."""
    from ..celery_app import app

    original = app.conf.timezone

    def use(name: str) -> None:
        app.conf.update(timezone=name)
        app.__dict__.pop("timezone", None)  # a cached property

    yield use
    use(str(original))
