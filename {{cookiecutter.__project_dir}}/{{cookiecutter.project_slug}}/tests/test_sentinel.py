"""Redis Sentinel: worker, beat, locks and health follow a failover.

On loopback: a primary, its replica and three sentinels (``redis-server
--sentinel``), with the project pointed at the sentinels (REDIS_SENTINELS).
The primary is killed with SIGKILL while the heartbeat goes out every
second and two processes take turns holding a lock. The sentinels promote
the replica; everything must carry on there, with no run sent twice and
the lock never held by both at once.
"""

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .. import ledger
from ..redis_client import HEARTBEAT_KEY
from .scheduler_support import one_second_heartbeat
from .support import PACKAGE, PROJECT_ROOT, ReplicatedRedis, run_health, wait_for

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def replicated_redis(tmp_path: Path):
    """A primary, its replica and three sentinels, removed when the test ends."""
    servers = ReplicatedRedis(tmp_path)
    yield servers
    servers.remove()


def primary_when_healthy(environment: dict[str, str]) -> str | None:
    """The primary health reached, as host:port, once it is green; None until then."""
    result, _ = run_health(**environment)
    if result.returncode != 0:
        return None
    primary: str = json.loads(result.stdout)["checks"]["redis"]["primary"]
    return primary


def turns_of(logs: list[Path]) -> list[list[tuple[float, ...]]]:
    """Each lock holder's turns with the lock so far: (entered, left), in order."""
    turns = []
    for log in logs:
        lines = log.read_text().splitlines()
        turns.append([tuple(map(float, line.split())) for line in lines if line != "failed"])
    return turns


def each_took_a_turn_since(logs: list[Path], moment: float) -> bool:
    return all(any(entered > moment for entered, _ in turns) for turns in turns_of(logs))


def test_worker_beat_locks_and_health_follow_a_failover(replicated_redis, start_celery, tmp_path):
    environment = {
        **one_second_heartbeat(),
        **replicated_redis.environment,
        "STATE_DIR": str(tmp_path / "state"),
    }
    worker = start_celery("worker", "--without-gossip", "--without-mingle", **environment)
    beat = start_celery("beat", **environment)
    # Until stopped below; each writes its turns with the lock as they end.
    contend = ["contend-through-errors", "failover", "120", "0.2"]
    turn_logs = [tmp_path / f"holder-{n}.log" for n in range(2)]
    holders = []
    for log in turn_logs:
        with log.open("w") as output:
            holders.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"{PACKAGE}.tests.lock_holder", *contend],
                    cwd=PROJECT_ROOT,
                    env={**os.environ, **environment},
                    stdout=output,
                )
            )
    try:
        # Whichever server leads now: on a busy machine the sentinels may
        # already have failed over once, a primary slow to answer for a second.
        primary = wait_for(lambda: primary_when_healthy(environment), 60, beat.log)
        time.sleep(2)  # a few heartbeats and lock turns on it
        killed_at = time.time()
        replicated_redis.server_at(primary).process.kill()
        wait_for(
            lambda: primary_when_healthy(environment) not in (None, primary),
            60,
            lambda: f"health never turned green on a new primary\n{beat.log()}\n{worker.log()}",
        )
        # Health may be green while the worker still reconnects: the last
        # heartbeat it ran is not HEARTBEAT_MAX_AGE old yet. A run a second
        # after the kill was not under way on the old primary.
        client = replicated_redis.client()
        wait_for(
            lambda: float(client.hget(HEARTBEAT_KEY, "ran_at") or 0) > killed_at + 1,
            60,
            lambda: f"no worker ran a heartbeat on the new primary\n{worker.log()}",
        )
        assert worker.process.poll() is None and beat.process.poll() is None
        wait_for(
            lambda: each_took_a_turn_since(turn_logs, killed_at),
            60,
            lambda: f"a lock holder never got the lock after the failover: {turns_of(turn_logs)}",
        )
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()

    # No heartbeat sent twice for one due time. Beat records each run, due
    # time and all, before it sends it, so every run a worker started has it.
    runs = ledger.history("heartbeat", client)
    due_times = [run.get("due_at") for run in runs]
    assert None not in due_times, runs
    assert {run["sent_at"] > killed_at for run in runs} == {False, True}, runs
    assert len(set(due_times)) == len(due_times), "a heartbeat was sent twice for one due time"

    # The lock: never held by both holders at once.
    held = sorted(itertools.chain(*turns_of(turn_logs)))
    for (_, previous_exit), (next_entry, _) in itertools.pairwise(held):
        assert next_entry >= previous_exit, "two processes held the lock at the same time"
