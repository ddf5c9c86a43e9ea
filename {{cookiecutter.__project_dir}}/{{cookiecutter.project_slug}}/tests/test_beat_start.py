"""A beat that starts: the heartbeat at once, and no entry reads as run before it runs.

With the default heartbeat, once a minute: a beat that waited a full
interval before its first heartbeat left `make health` red for that long.
"""

import signal
import time
from datetime import UTC, datetime

from ..beat_schedule import HEARTBEAT_ENTRY
from ..celery_app import app
from ..redis_client import HEARTBEAT_KEY
from ..schedule_store import open_store
from .scheduler_support import store_code_schedule
from .support import LEADS, SENT, fire_times, listed_entry, run_module, wait_for


def sent_entries(beat):
    return {name for _, name in SENT.findall(beat.log())}


def test_a_fresh_beat_sends_the_heartbeat_at_once_and_nothing_reads_as_run_before_it_runs(
    redis, start_beat, tmp_path
):
    store_code_schedule()
    started = datetime.now(UTC)
    beat = start_beat(STATE_DIR=str(tmp_path / "state"))

    # Well inside the minute a heartbeat would otherwise wait.
    wait_for(lambda: redis.hget(HEARTBEAT_KEY, "sent_at"), 30, beat.log)
    entries = open_store(app).entries()
    listing = run_module("schedule", "list").stdout
    sent = sent_entries(beat)
    checked = datetime.now(UTC)

    # An entry whose time came while the test ran may have been sent, and
    # read as run, or not yet; every other entry but the heartbeat must not.
    came_due = {
        entry.name
        for entry in entries
        if entry.enabled and next(fire_times(entry.schedule, started, checked), None)
    }
    ran = {entry.name for entry in entries if entry.last_run.at is not None}
    assert HEARTBEAT_ENTRY in sent & ran
    assert (sent | ran) - {HEARTBEAT_ENTRY} <= came_due, beat.log()
    for entry in entries:
        if entry.name not in came_due | {HEARTBEAT_ENTRY}:
            assert "last run: never" in listed_entry(listing, entry.name)


def test_a_beat_that_starts_again_continues_the_heartbeat_from_the_last_one(
    redis, start_beat, tmp_path
):
    store_code_schedule()
    environment = {"STATE_DIR": str(tmp_path / "state")}
    first = start_beat(**environment)
    wait_for(lambda: redis.hget(HEARTBEAT_KEY, "sent_at"), 30, first.log)
    assert first.exit_code_on(signal.SIGTERM) == 0
    last_sent = redis.hget(HEARTBEAT_KEY, "sent_at")

    second = start_beat(**environment)
    wait_for(lambda: LEADS in second.log(), 30, second.log)
    time.sleep(3)  # a beat that sent at every start would have sent by now

    # The next heartbeat is due a minute after the last one, not at this start.
    assert redis.hget(HEARTBEAT_KEY, "sent_at") == last_sent, second.log()
    assert HEARTBEAT_ENTRY not in sent_entries(second)
