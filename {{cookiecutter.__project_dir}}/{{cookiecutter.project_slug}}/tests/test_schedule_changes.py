"""Changing the schedule at runtime with the schedule command, ``python -m <package>.schedule``.

A running beat applies a change without a restart, and a beat back from
downtime sends a recent missed run of an entry added this way but skips an
old one.
"""

import time
from datetime import UTC, datetime, timedelta

import pytest

from ..celery_app import app
from ..schedule import main
from ..schedule_store import open_store
from ..tasks.cache import cleanup_expired_cache
from .scheduler_support import set_last_run
from .support import LEADS, is_listed, listed_entry, successful_runs, wait_for

CLEANUP = cleanup_expired_cache.name
DRY_RUN = '{"dry_run": true}'


def listed(capsys):
    """What ``list`` prints."""
    capsys.readouterr()  # drop what earlier commands printed
    assert main(["list"]) == 0
    return capsys.readouterr().out


def test_add_pause_resume_and_remove_an_entry(redis, capsys):
    assert main(["add", "nightly-cleanup", CLEANUP, "--cron", "15 3 * * *"]) == 0
    assert "Added nightly-cleanup" in capsys.readouterr().out
    entry = listed_entry(listed(capsys), "nightly-cleanup")
    assert "when:     At 03:15 (15 3 * * *)" in entry
    assert "enabled:  yes" in entry

    assert main(["pause", "nightly-cleanup"]) == 0
    assert "enabled:  no (paused)" in listed_entry(listed(capsys), "nightly-cleanup")

    assert main(["resume", "nightly-cleanup"]) == 0
    assert "enabled:  yes" in listed_entry(listed(capsys), "nightly-cleanup")

    assert main(["remove", "nightly-cleanup"]) == 0
    assert not is_listed(listed(capsys), "nightly-cleanup")


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["pause", "no-such-entry"], "no schedule entry named 'no-such-entry'"),
        (["remove", "no-such-entry"], "no schedule entry named 'no-such-entry'"),
        (["add", "x", CLEANUP, "--cron", "61 * * * *"], "is not a valid crontab"),
        (["add", "x", CLEANUP, "--cron", "0 9 * *"], "is not five crontab fields"),
        (["add", "x", CLEANUP, "--every", "often"], "is not an interval like 30s"),
        (["add", "x", CLEANUP, "--every", "0s"], "is not an interval like 30s"),
        (["add", "x", "no.such.task", "--every", "1m"], "no task named 'no.such.task'"),
        (["add", "x", CLEANUP, "--every", "1m", "--kwargs", "[1]"], "must be a JSON object"),
        # Values no scheduler can hold: an interval past a timedelta, a name
        # past the database's column, a name that is no name.
        (["add", "x", CLEANUP, "--every", "999999999d"], "is longer than a year"),
        (["add", "x", CLEANUP, "--every", "367d"], "is longer than a year"),
        (["add", "", CLEANUP, "--every", "1m"], "an entry's name cannot be empty"),
        (["add", "   ", CLEANUP, "--every", "1m"], "an entry's name cannot be empty"),
        (["add", "x" * 201, CLEANUP, "--every", "1m"], "must be at most 200 characters"),
        (["add", "two\nlines", CLEANUP, "--every", "1m"], "does not print"),
    ],
)
def test_refuses_bad_input_with_one_line_and_changes_nothing(redis, capsys, arguments, error):
    before = sorted(entry.name for entry in open_store(app).entries())

    assert main(arguments) == 2

    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and error in line
    assert sorted(entry.name for entry in open_store(app).entries()) == before


def test_the_longest_name_and_interval_are_taken(redis, capsys):
    assert main(["add", "x" * 200, CLEANUP, "--every", "366d"]) == 0
    assert is_listed(listed(capsys), "x" * 200)


def test_refuses_a_name_that_is_taken(redis, capsys):
    assert main(["add", "twice", CLEANUP, "--every", "1h"]) == 0

    assert main(["add", "twice", CLEANUP, "--every", "2h"]) == 2
    assert "exists already" in capsys.readouterr().err


def test_a_running_beat_applies_changes_without_a_restart(redis, worker, start_beat):
    beat = start_beat()
    wait_for(lambda: LEADS in beat.log(), 30, beat.log)

    added = main(["add", "every-second", CLEANUP, "--every", "1s", "--kwargs", DRY_RUN])
    assert added == 0
    wait_for(lambda: successful_runs(cleanup_expired_cache) >= 3, 30, beat.log)

    assert main(["pause", "every-second"]) == 0
    time.sleep(6)  # beat applies a change within its loop interval, 5 s
    runs_once_paused = successful_runs(cleanup_expired_cache)
    time.sleep(3)
    assert successful_runs(cleanup_expired_cache) == runs_once_paused
    assert beat.process.poll() is None


def test_a_beat_back_from_downtime_sends_a_recent_missed_run_and_skips_an_old_one(
    redis, start_beat
):
    now = datetime.now(UTC)
    missed = {
        "missed-50-minutes-ago": now - timedelta(minutes=50),
        "missed-10-minutes-ago": now - timedelta(minutes=10),
    }
    for name, missed_at in missed.items():
        # Hourly, at the minute it was missed; beat was down since before then.
        hourly = f"{missed_at.minute} * * * *"
        assert main(["add", name, cleanup_expired_cache.name, "--cron", hourly]) == 0
        set_last_run(name, missed_at - timedelta(minutes=30))

    beat = start_beat()
    wait_for(lambda: "Sending due task missed-10-minutes-ago" in beat.log(), 30, beat.log)
    time.sleep(6)  # more than a loop interval: time to send the other, were it due

    assert "missed-50-minutes-ago" not in beat.log()
