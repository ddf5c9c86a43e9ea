"""The redis scheduler: RedBeat's schedule in Redis, kept across beat restarts."""

from datetime import UTC, datetime, timedelta

import celery.schedules
import pytest
import redis as redis_py
from redbeat.schedulers import REDBEAT_REDIS_KEY, ensure_conf

from ..beat_leader import STANDBY_POLL_SECONDS
from ..celery_app import app
from ..schedule import main
from ..schedule_store import RedBeatEntry, open_store
from ..scheduler import LeaderRedBeatScheduler
from ..typing_gaps import interval_of
from .scheduler_support import one_second_heartbeat
from .support import (
    free_port,
    heartbeats_sent,
    listed_entry,
    run_module,
    schedule_of,
    wait_for,
)


def heartbeat_last_run_is_listed(capsys: pytest.CaptureFixture[str]) -> bool:
    assert main(["list"]) == 0
    return "last run: never" not in listed_entry(capsys.readouterr().out, "heartbeat")


def test_beat_records_each_run_where_the_schedule_command_reads_it(redis, start_beat, capsys):
    beat = start_beat(**one_second_heartbeat())
    wait_for(lambda: heartbeats_sent(beat), 30, beat.log)

    # The schedule command shows when beat last sent it. Beat logs a send
    # a moment before it records the run: the listing shows it moments later.
    wait_for(
        lambda: heartbeat_last_run_is_listed(capsys),
        5,
        "the schedule command still lists heartbeat as never run",
    )


def refreshed_interval():
    schedule = schedule_of("refresh-stale-records")
    assert isinstance(schedule, celery.schedules.schedule)
    return interval_of(schedule)


def start_and_stop_beats_scheduler():
    """What a beat start does to the schedule: store BEAT_SCHEDULE over what Redis holds."""
    LeaderRedBeatScheduler(app=app).close()


def test_a_beat_restart_keeps_a_paused_entry_paused_and_every_last_run(redis):
    start_and_stop_beats_scheduler()
    assert main(["pause", "generate-weekly-report"]) == 0
    sent_at = datetime.now(UTC) - timedelta(minutes=9)
    entry_key = RedBeatEntry.generate_key(app, "refresh-stale-records")
    RedBeatEntry.from_key(entry_key, app=app).next(last_run_at=sent_at)  # as beat sends it

    start_and_stop_beats_scheduler()

    store = open_store(app)
    paused, refreshed = store.find("generate-weekly-report"), store.find("refresh-stale-records")
    assert paused is not None and not paused.enabled
    assert refreshed is not None and refreshed.enabled
    assert refreshed.last_run.at == sent_at
    # Beat loads an entry once its score, a time, has come: a restart that
    # counted from now would put this one off by 9 minutes.
    due_at = sent_at + refreshed_interval()
    score = redis.zscore(ensure_conf(app).schedule_key, entry_key)
    assert score is not None and score <= due_at.timestamp()


def listed_next_run(capsys, name):
    """The next run the schedule command lists for ``name``."""
    assert main(["list"]) == 0
    listed = listed_entry(capsys.readouterr().out, name)
    assert "last run: never" in listed
    return datetime.fromisoformat(listed.split("next run: ")[1].strip())


def test_an_entry_stored_but_never_sent_reads_never_and_counts_from_when_stored(redis, capsys):
    before = datetime.now(UTC)
    start_and_stop_beats_scheduler()
    entry = open_store(app).find("refresh-stale-records")

    # RedBeat keeps the time it stored the entry as its last run.
    assert entry is not None and entry.last_run.at is None
    assert entry.counts_from is not None and before <= entry.counts_from <= datetime.now(UTC)
    expected = entry.counts_from + refreshed_interval()
    assert abs(listed_next_run(capsys, entry.name) - expected) <= timedelta(seconds=1)


def test_a_code_entry_paused_before_beat_first_starts_stays_paused(redis, capsys):
    # `list` shows the code's entries before beat stores them: each can be paused.
    assert main(["pause", "heartbeat"]) == 0
    start_and_stop_beats_scheduler()

    assert main(["list"]) == 0
    assert "enabled:  no (paused)" in listed_entry(capsys.readouterr().out, "heartbeat")


def test_a_tick_that_loses_redis_after_renewing_the_lock_leaves_beat_running(redis, caplog):
    scheduler = LeaderRedBeatScheduler(app=app)  # leads: no other beat holds the lock
    reachable = getattr(app, REDBEAT_REDIS_KEY)
    # RedBeat reads the schedule through a client of its own. Aimed where
    # nothing listens, it meets Redis gone just after the lock was renewed.
    setattr(app, REDBEAT_REDIS_KEY, redis_py.Redis(port=free_port()))
    try:
        wait = scheduler.tick()
    finally:
        setattr(app, REDBEAT_REDIS_KEY, reachable)
        scheduler.close()

    assert wait == STANDBY_POLL_SECONDS  # it ticks again, rather than beat exiting
    assert "Lost Redis during this tick" in caplog.text


def test_list_says_in_one_line_when_redis_is_unreachable():
    result = run_module("schedule", "list", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: cannot reach Redis")
