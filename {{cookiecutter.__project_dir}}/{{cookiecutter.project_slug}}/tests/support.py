"""What the tests share: real processes (redis-server, worker, beat) and ways to wait on them."""

import copy
import itertools
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
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from celery import Task
from celery.schedules import BaseSchedule, crontab
from redis.sentinel import Sentinel
from redis.typing import EncodableT, FieldT

T = TypeVar("T")

# The project's package, whose tests these are, and the folder it is in.
PACKAGE = __package__.rpartition(".")[0]
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
APP = f"{PACKAGE}.celery_app"
# The project's app, with EVERY_MINUTE in its schedule (beat_app.py).
BEAT_APP = f"{PACKAGE}.tests.beat_app"

# What a beat logs once it leads, and while it waits as a standby.
LEADS = "This beat is the leader"
WAITS_AS_STANDBY = "this beat waits as a standby"

# An entry due every minute, for the tests that watch a crontab entry.
EVERY_MINUTE: dict[str, dict[str, Any]] = {
    "every-minute": {
        "task": f"{PACKAGE}.tasks.cache.cleanup_expired_cache",
        "schedule": crontab(),
        "kwargs": {"dry_run": True},
        "options": {"expires": 60},
    },
}


# How long a process may take to stop on SIGTERM or SIGINT (ProjectProcess.exit_code_on).
STOPS_WITHIN_SECONDS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(
    condition: Callable[[], T | None], timeout: float, message: str | Callable[[], str]
) -> T:
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


def ping_redis(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def run_module(module: str, *args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <package>.<module> ARGS`` from the project root; the finished process."""
    return subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.{module}", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def dry_cleanup_round_trip(**environment: str) -> subprocess.CompletedProcess[str]:
    """Send a dry cleanup run from a new process with ``environment``, and wait for its result.

    Its output is ``True`` once a worker ran it and the result came back:
    sending, running and results all reach Redis the way ``environment`` says.
    """
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"from {PACKAGE}.tasks.cache import cleanup_expired_cache as task; "
            "print(task.delay(dry_run=True).get(timeout=30)['dry_run'])",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_health(*args: str, **environment: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``python -m <package>.health``; return its result and how long it took."""
    started = time.monotonic()
    result = run_module("health", *args, **environment)
    return result, time.monotonic() - started


def schedule_of(name: str) -> BaseSchedule:
    """A fresh copy of a BEAT_SCHEDULE entry's schedule: schedules cache the app's time zone."""
    from ..beat_schedule import BEAT_SCHEDULE
    from ..celery_app import app
    from ..typing_gaps import as_schedule

    return as_schedule(copy.deepcopy(BEAT_SCHEDULE[name]["schedule"]), app)


def successful_runs(task: Task[Any, Any]) -> int:
    """How many times a worker finished ``task`` successfully today, as the worker counted."""
    from .. import activity

    return activity.outcomes_on(activity.today()).get(task.name, {}).get("SUCCESS", 0)


def record_heartbeat(
    client: redis.Redis, sent_seconds_ago: float, ran_seconds_ago: float | None = None
) -> None:
    """Store the heartbeat as if beat sent it, and worker "w1" ran it, that long ago."""
    from ..redis_client import HEARTBEAT_KEY

    now = time.time()
    fields: dict[FieldT, EncodableT] = {"sent_at": now - sent_seconds_ago}
    if ran_seconds_ago is not None:
        fields["ran_at"] = now - ran_seconds_ago
        fields["worker"] = "w1"
    client.hset(HEARTBEAT_KEY, mapping=fields)


def fire_times(when: BaseSchedule, after: datetime, until: datetime) -> Iterator[datetime]:
    """Every time the schedule fires after ``after`` and before ``until``, on a frozen clock."""
    import time_machine

    from ..timetable import next_run

    moment = after
    while True:
        with time_machine.travel(moment, tick=False):
            moment = next_run(when, moment)
        if moment >= until:
            return
        yield moment


def another_beat_takes_the_lock(client: redis.Redis) -> None:
    """What a standby does once the leader's lock has expired: a lock of its own, a new term."""
    from ..beat_leader import LEADER_LOCK_KEY, LEADER_LOCK_TTL_SECONDS, LEADER_TERM_KEY

    client.delete(LEADER_LOCK_KEY)
    client.lock(LEADER_LOCK_KEY, timeout=LEADER_LOCK_TTL_SECONDS).acquire(blocking=False)
    client.incr(LEADER_TERM_KEY)


def is_listed(output: str, name: str) -> bool:
    """Whether the schedule command's ``list`` printed an entry called ``name``."""
    return f"\n{name}\n" in output


def listed_entry(output: str, name: str) -> str:
    """What the schedule command's ``list`` printed about one entry; the test fails without it."""
    if not is_listed(output, name):
        pytest.fail(f"{name} is not listed:\n{output}")
    return output.split(f"\n{name}\n")[1].split("\n\n")[0]


class RedisServer:
    """A throwaway redis-server on a free loopback port, persisting nothing.

    ``stop()`` then ``start()`` restarts it on the same port, empty.
    """

    def __init__(
        self, *, replica_of: int | None = None, sentinel_config: Path | None = None
    ) -> None:
        """A primary; with ``replica_of`` (a port) its replica; ``sentinel_config``: a sentinel."""
        executable = shutil.which("redis-server")
        if executable is None:
            raise pytest.UsageError(
                "the tests need redis-server on the PATH (apt install redis-server)"
            )
        self.executable = executable
        self.replica_of = replica_of
        self.sentinel_config = sentinel_config
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tempfile.mkdtemp(prefix="redis-")
        self.start()

    def start(self) -> None:
        command = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        if self.sentinel_config is not None:
            # Sentinel keeps what it learns in its configuration file.
            command[1:1] = [str(self.sentinel_config), "--sentinel"]
        else:
            command += ["--dir", self.directory, "--save", "", "--appendonly", "no"]
        if self.replica_of is not None:
            command += ["--replicaof", "127.0.0.1", str(self.replica_of)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(lambda: ping_redis(self.port), 10, "redis-server did not answer PING")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


# Redis Sentinel (ReplicatedRedis): the name its sentinels know the primary by.
PRIMARY_NAME = "main"
# The sentinels count a primary as down after this long without an answer.
DOWN_AFTER_MS = 1000


class ReplicatedRedis:
    """A primary, a replica of it, and three sentinels watching them, on loopback."""

    def __init__(self, directory: Path) -> None:
        self.primary = RedisServer()
        self.replica = RedisServer(replica_of=self.primary.port)
        self.sentinels = [self._start_sentinel(directory / f"sentinel-{n}.conf") for n in range(3)]
        wait_for(self._ready_to_fail_over, 30, "the sentinels never saw the replica and each other")

    def _start_sentinel(self, config: Path) -> RedisServer:
        config.write_text(
            f"sentinel monitor {PRIMARY_NAME} 127.0.0.1 {self.primary.port} 2\n"
            f"sentinel down-after-milliseconds {PRIMARY_NAME} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {PRIMARY_NAME} 10000\n"
        )
        return RedisServer(sentinel_config=config)

    def _ready_to_fail_over(self) -> bool:
        """Every sentinel knows the replica and the two other sentinels: a failover can start."""
        for sentinel in self.sentinels:
            client = redis.Redis(port=sentinel.port)
            replicas = client.sentinel_slaves(PRIMARY_NAME)
            others = client.sentinel_sentinels(PRIMARY_NAME)
            if not (isinstance(replicas, list) and isinstance(others, list)):  # typed: or a bool
                return False
            if len(others) != 2 or [r["master-link-status"] for r in replicas] != ["ok"]:
                return False
        return True

    @property
    def environment(self) -> dict[str, str]:
        """What points the project at the sentinels; REDIS_URL's host is not used."""
        return {
            "REDIS_URL": "redis://unused-with-sentinels/0",
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels),
            "REDIS_SENTINEL_MASTER": PRIMARY_NAME,
        }

    def server_at(self, address: str) -> RedisServer:
        """The primary or the replica, by its address (``127.0.0.1:PORT``)."""
        (server,) = [s for s in (self.primary, self.replica) if address.endswith(f":{s.port}")]
        return server

    def client(self) -> redis.Redis:
        """A client of the test's own for whichever server is the primary now."""
        addresses = [("127.0.0.1", s.port) for s in self.sentinels]
        client: redis.Redis = Sentinel(addresses, socket_timeout=1).master_for(
            PRIMARY_NAME, decode_responses=True
        )
        return client

    def remove(self) -> None:
        for server in [*self.sentinels, self.replica, self.primary]:
            server.remove()


def hands_out_tests_only(config: pytest.Config) -> bool:
    """Whether this process is pytest-xdist's controller, which gives tests to the others.

    The tests run in several processes (see addopts); the one that hands
    them out runs none, and the ones it starts inherit its environment.
    """
    distributing = config.getoption("dist", "no") != "no" and not config.getoption("collectonly")
    return distributing and not hasattr(config, "workerinput")


class ProjectProcess:
    """``python -m <arguments>`` run from the project root, its output in a log file."""

    def __init__(
        self, arguments: list[str], log_path: Path, environment: dict[str, str] | None = None
    ) -> None:
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

    def log(self) -> str:
        return self.log_path.read_text()

    def exit_code_on(self, signum: int) -> int:
        """Send ``signum`` to the process; its exit code, once it stopped as promptly as it must.

        After SIGTERM, docker compose waits 10 s before SIGKILL (Heroku 30,
        systemd 90): a process must be gone well within the shortest.
        """
        self.process.send_signal(signum)
        wait_for(lambda: self.process.poll() is not None, STOPS_WITHIN_SECONDS, self.log)
        return self.process.returncode

    def stop(self) -> None:
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
    """``celery -A <app> <command>`` as a real subprocess, the project's app unless another."""

    def __init__(
        self,
        command: list[str],
        log_path: Path,
        environment: dict[str, str] | None = None,
        app: str = APP,
    ) -> None:
        super().__init__(["celery", "-A", app, *command, "--loglevel=INFO"], log_path, environment)


def worker_is_ready(worker: ProjectProcess) -> bool:
    return " ready." in worker.log()


def heartbeats_sent(beat: ProjectProcess) -> int:
    return beat.log().count("Sending due task heartbeat")


SENT = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}).*Sending due task (\S+) ", re.MULTILINE
)


def send_times(beats: list[ProjectProcess], name: str) -> list[datetime]:
    """When the beats sent entry ``name``, from their logs' own stamps, in order."""
    return sorted(
        datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
        for beat in beats
        for stamp, sent in SENT.findall(beat.log())
        if sent == name
    )


def seconds_between_sends(beats: list[ProjectProcess], name: str) -> list[float]:
    """The time between each two sends of entry ``name`` in a row, by any of the beats."""
    times = send_times(beats, name)
    return [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
