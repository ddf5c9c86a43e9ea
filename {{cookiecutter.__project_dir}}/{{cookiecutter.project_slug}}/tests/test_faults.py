"""Faults the project rides out: Redis away or late, processes killed, bad state, bad messages.

Each test breaks something real: a redis-server of its own that stops and
starts, worker and beat processes killed with SIGKILL, a state file full of
garbage, a message a worker must not open.
"""

import json
import os
import pickle
import re
import signal
import time
from pathlib import Path

import pytest
import redis as redis_py

from ..celery_app import app
from ..redis_client import HEARTBEAT_KEY
from ..tasks.heartbeat import heartbeat
from ..tasks.records import archive_old_records
from .records_support import (
    archive_held_up,
    archive_is_under_way,
    archived_per_run,
    live_count,
    make_old_records,
)
from .scheduler_support import one_second_heartbeat
from .support import (
    heartbeats_sent,
    run_health,
    seconds_between_sends,
    wait_for,
    worker_is_ready,
)

RECEIVED_HEARTBEAT = re.compile(r"Task \S+\.heartbeat\[([0-9a-f-]+)\] received")


def healthy(environment):
    result, _ = run_health(**environment)
    return result.returncode == 0


def test_worker_and_beat_ride_out_redis_going_away_for_5_seconds(
    private_redis, start_worker, start_beat, tmp_path
):
    environment = {
        **one_second_heartbeat(),
        "REDIS_URL": private_redis.url,
        "STATE_DIR": str(tmp_path / "state"),
    }
    worker = start_worker(**environment)
    beat = start_beat(**environment)
    wait_for(lambda: healthy(environment), 60, lambda: beat.log() + worker.log())

    # It comes back empty, as a Redis without persistence or a new replica
    # would: the leader lock and RedBeat's schedule are gone too.
    private_redis.stop()
    time.sleep(5)
    private_redis.start()
    back_at = time.monotonic()

    wait_for(lambda: healthy(environment), 30, lambda: beat.log() + worker.log())
    print(f"healthy again {time.monotonic() - back_at:.1f} s after Redis came back")
    time.sleep(3)  # a few more heartbeats after the recovery
    assert worker.process.poll() is None, worker.log()
    assert beat.process.poll() is None, beat.log()
    # The entry is due every second: two sends closer than that would be one
    # due time sent twice. And no message reached the worker twice.
    gaps = seconds_between_sends([beat], "heartbeat")
    assert len(gaps) >= 3 and min(gaps) > 0.5, gaps
    received = RECEIVED_HEARTBEAT.findall(worker.log())
    assert len(received) == len(set(received))


def test_worker_and_beat_wait_for_redis_that_is_not_there_yet(
    private_redis, start_worker, start_beat, tmp_path
):
    private_redis.stop()
    environment = {
        **one_second_heartbeat(),
        "REDIS_URL": private_redis.url,
        "STATE_DIR": str(tmp_path / "state"),
    }
    worker = start_worker(**environment)
    beat = start_beat(**environment)

    # Celery masks the URL's password, even an empty one.
    refused = f"Cannot connect to redis://:**@127.0.0.1:{private_redis.port}"
    wait_for(lambda: refused in worker.log(), 30, worker.log)
    wait_for(
        lambda: "cannot take the leader lock yet: Redis is unreachable" in beat.log(), 30, beat.log
    )
    result, _ = run_health(**environment)
    assert result.returncode == 1
    assert "Connection refused" in json.loads(result.stdout)["checks"]["redis"]["error"]

    private_redis.start()
    wait_for(lambda: healthy(environment), 30, lambda: beat.log() + worker.log())
    assert worker.process.poll() is None and beat.process.poll() is None


@pytest.mark.parametrize("fault", ["down", "wrong password"])
def test_a_beat_waiting_for_redis_stops_at_once_when_told_to(
    private_redis, start_beat, tmp_path, fault
):
    if fault == "down":
        private_redis.stop()
        url, waiting = private_redis.url, "Redis is unreachable"
    else:
        redis_py.Redis(port=private_redis.port).config_set("requirepass", "the-right-one")
        url = f"redis://:a-wrong-one@127.0.0.1:{private_redis.port}/0"
        waiting = "Redis refused the credentials in REDIS_URL"
    beat = start_beat(REDIS_URL=url, STATE_DIR=str(tmp_path / "state"))
    wait_for(lambda: f"cannot take the leader lock yet: {waiting}" in beat.log(), 30, beat.log)

    assert beat.exit_code_on(signal.SIGTERM) == 0


def test_beat_killed_with_sigkill_starts_again_and_sends(redis, worker, start_beat, tmp_path):
    environment = {**one_second_heartbeat(), "STATE_DIR": str(tmp_path / "state")}
    beat = start_beat(**environment)
    wait_for(lambda: heartbeats_sent(beat), 30, beat.log)

    os.killpg(beat.process.pid, signal.SIGKILL)
    restarted = start_beat(**environment)

    # Its leader lock, left behind, expires after 10 s; nothing else is in the way.
    wait_for(lambda: heartbeats_sent(restarted), 30, restarted.log)
    assert "Traceback" not in restarted.log()


class RunsCodeWhenUnpickled:
    """Unpickling this creates ``path``: what an attacker's message would do instead."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_the_worker_refuses_a_pickled_message(redis, worker, tmp_path):
    witness = tmp_path / "unpickled"
    assert pickle.loads(pickle.dumps(RunsCodeWhenUnpickled(witness))) is None
    witness.unlink()  # the payload works: unpickled, it creates the file

    # send_task, because apply_async would first check the arguments.
    app.send_task(heartbeat.name, args=[RunsCodeWhenUnpickled(witness)], serializer="pickle")

    wait_for(lambda: "untrusted content of type pickle" in worker.log(), 30, worker.log)
    assert "The message has been ignored and discarded" in worker.log()
    assert not witness.exists()
    # And the worker goes on with JSON messages.
    heartbeat.delay()
    wait_for(lambda: redis.hget(HEARTBEAT_KEY, "ran_at"), 30, worker.log)


# A worker that dies without acknowledging its message (SIGKILL, a lost
# machine) has it delivered again after the visibility timeout, which must
# exceed the hard time limit: short ones, for the test.
FAST_REDELIVERY = {
    "TASK_SOFT_TIME_LIMIT": "10",
    "TASK_TIME_LIMIT": "12",
    "BROKER_VISIBILITY_TIMEOUT": "14",
}
RECORDS = 3000


@pytest.mark.parametrize("killed", ["pool process", "whole worker"])
def test_an_archive_run_killed_midway_is_delivered_again_and_done_once(redis, start_worker, killed):
    make_old_records(RECORDS)
    arguments = ("--queues=faults", "--concurrency=1")
    workers = [start_worker(*arguments, **FAST_REDELIVERY)]
    wait_for(lambda: worker_is_ready(workers[0]), 30, workers[0].log)

    with archive_held_up():
        result = archive_old_records.apply_async(queue="faults")
        wait_for(lambda: archive_is_under_way(result), 30, workers[0].log)
        if killed == "pool process":
            # The pool process running the task dies (the OOM killer, say);
            # the worker hands the message back at once (reject_on_worker_lost).
            os.kill(result.info["pid"], signal.SIGKILL)
        else:
            # The whole worker dies; another takes the message once the
            # visibility timeout has passed.
            os.killpg(workers[0].process.pid, signal.SIGKILL)
            workers.append(start_worker(*arguments, **FAST_REDELIVERY))

    summary = result.get(timeout=90)

    received = f"archive_old_records[{result.id}] received"
    assert sum(worker.log().count(received) for worker in workers) == 2
    # Each record moved exactly once, by the killed run or by the next one.
    moved = archived_per_run()
    assert sum(moved.values()) == RECORDS and live_count() == 0
    assert summary["archived"] == moved[max(moved)]
