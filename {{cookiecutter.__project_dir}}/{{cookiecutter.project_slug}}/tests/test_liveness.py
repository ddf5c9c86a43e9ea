"""Each container's own probe: a beat's or worker's loop still turns (``liveness``).

Real processes: beats that lead, wait as a standby or hang in a tick, and a
worker whose only pool process runs a long task; and, on a frozen clock, how
often a busy loop writes its sign.
"""

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import time_machine

from ..celery_app import app
from ..liveness import REWRITE_AFTER_SECONDS, WORKER_SIGN_SECONDS, leave_sign, sign_file
from ..settings import settings
from .conftest import StartCelery
from .support import (
    LEADS,
    PACKAGE,
    WAITS_AS_STANDBY,
    run_health,
    wait_for,
    worker_is_ready,
)

LIVENESS_APP = f"{PACKAGE}.tests.liveness_app"
# A short lock, so that a beat's sign of life lasts a few seconds (1 s of
# sleep at most, plus the ttl): the loop must renew it to pass.
QUICK_LOCK = {"BEAT_LEADER_LOCK_TTL": "3"}
SIGN_LASTS_AT_MOST_SECONDS = 1 + int(QUICK_LOCK["BEAT_LEADER_LOCK_TTL"])


def loop_probe(check: str, state_dir: Path) -> tuple[int, dict[str, Any]]:
    """``health beat-loop`` or ``health worker-loop`` as a probe runs it in that container."""
    result, _ = run_health(check, STATE_DIR=str(state_dir))
    return result.returncode, json.loads(result.stdout)["checks"][check]


def sign_left_at(process: str, state_dir: Path) -> float:
    """When ``process`` last left its sign of life in ``state_dir``."""
    left_at, _ = (state_dir / sign_file(process).name).read_text().split()
    return float(left_at)


def test_the_probe_fails_before_a_beat_loop_came_round(tmp_path):
    returncode, check = loop_probe("beat-loop", tmp_path)

    assert returncode == 1
    assert check == {"ok": False, "error": "no beat loop has come round here yet"}


def test_a_loop_that_comes_round_often_writes_its_sign_once_a_second():
    def written() -> float:
        return sign_left_at("often", settings.state_dir)

    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False) as clock:
        leave_sign("often", 5)
        first = written()
        clock.shift(0.5)
        leave_sign("often", 5)  # the same promise, half a second on: not written
        assert written() == first
        leave_sign("often", 5 + 2 * REWRITE_AFTER_SECONDS)  # more time: written
        assert written() == first + 0.5
        clock.shift(REWRITE_AFTER_SECONDS)
        leave_sign("often", 5)  # a second on: written
        assert written() == first + 0.5 + REWRITE_AFTER_SECONDS


def test_leader_and_standby_keep_their_beat_probe_passing(redis, start_beat, tmp_path):
    state_dirs = [tmp_path / "first", tmp_path / "second"]
    beats = [start_beat(STATE_DIR=str(state_dir), **QUICK_LOCK) for state_dir in state_dirs]
    # Started together: one leads, the other waits as its standby.
    wait_for(lambda: sum(LEADS in beat.log() for beat in beats) == 1, 30, beats[0].log)
    wait_for(
        lambda: all(WAITS_AS_STANDBY in b.log() or LEADS in b.log() for b in beats),
        30,
        beats[1].log,
    )

    # Longer than any one sign lasts: only a loop that keeps signing passes.
    time.sleep(SIGN_LASTS_AT_MOST_SECONDS + 1)

    for state_dir in state_dirs:
        returncode, check = loop_probe("beat-loop", state_dir)
        assert returncode == 0, check
        assert check["max_age_seconds"] <= SIGN_LASTS_AT_MOST_SECONDS


def test_a_beat_whose_tick_hangs_fails_its_probe_while_its_process_lives(
    redis, start_celery: StartCelery, tmp_path
):
    hang = tmp_path / "hang"
    beat = start_celery(
        "beat", app=LIVENESS_APP, STATE_DIR=str(tmp_path), HANG_TICKS_WHEN=str(hang), **QUICK_LOCK
    )
    wait_for(lambda: LEADS in beat.log(), 30, beat.log)
    wait_for(lambda: loop_probe("beat-loop", tmp_path)[0] == 0, 10, beat.log)

    hang.touch()

    wait_for(
        lambda: loop_probe("beat-loop", tmp_path)[0] == 1, 3 * SIGN_LASTS_AT_MOST_SECONDS, beat.log
    )
    assert beat.process.poll() is None  # alive, and stuck: what the probe is for


def test_a_worker_busy_with_a_long_task_keeps_passing_its_probe(
    redis, start_celery: StartCelery, tmp_path
):
    # A queue of its own: the session's worker, on the same Redis, would
    # take the task from the default one, and not know it.
    queue = "liveness-test"
    worker = start_celery(
        "worker",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        f"--queues={queue}",
        app=LIVENESS_APP,
        STATE_DIR=str(tmp_path),
    )
    wait_for(lambda: worker_is_ready(worker), 30, worker.log)
    result = app.send_task(f"{LIVENESS_APP}.hold", args=[5], queue=queue)
    wait_for(lambda: result.state == "STARTED", 10, worker.log)
    signed_at_start = sign_left_at("worker", tmp_path)

    time.sleep(3)

    assert result.state == "STARTED"  # the one pool process is still busy
    # Signs kept coming from the worker's main loop all the same.
    assert sign_left_at("worker", tmp_path) >= signed_at_start + WORKER_SIGN_SECONDS
    returncode, check = loop_probe("worker-loop", tmp_path)
    assert returncode == 0, check
    assert result.get(timeout=10) == 5
