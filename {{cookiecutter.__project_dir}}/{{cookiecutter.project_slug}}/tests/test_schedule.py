"""The beat schedule: every entry is sound, and fires when we say it does."""

import json
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab

from ..beat_schedule import BEAT_SCHEDULE
from ..celery_app import app
from ..schedule import main
from ..settings import settings
from ..timetable import describe, describe_interval, next_run
from ..typing_gaps import as_schedule
from .scheduler_support import store_code_schedule
from .support import fire_times, free_port, listed_entry, run_module, schedule_of

# A Monday, the 1st of a month and a weekday: every crontab entry fires on it.
BUSY_DAY = datetime(2026, 6, 1, tzinfo=UTC)


def test_every_entry_names_a_registered_task():
    app.loader.import_default_modules()

    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} <= set(app.tasks)


@pytest.mark.parametrize("name", list(BEAT_SCHEDULE))
def test_every_entry_expires_before_it_is_due_again(name):
    first, second = islice(
        fire_times(schedule_of(name), BUSY_DAY, BUSY_DAY + timedelta(days=40)), 2
    )

    assert 0 < BEAT_SCHEDULE[name]["options"]["expires"] <= (second - first).total_seconds()


def test_heartbeat_runs_every_heartbeat_interval():
    interval = BEAT_SCHEDULE["heartbeat"]["schedule"]

    assert interval == timedelta(seconds=settings.heartbeat_interval)
    assert BEAT_SCHEDULE["heartbeat"]["options"]["expires"] <= settings.heartbeat_interval


def test_no_two_crontab_entries_fire_at_the_same_time():
    entries_by_time: dict[datetime, list[str]] = {}
    for name in BEAT_SCHEDULE:
        schedule = schedule_of(name)
        if isinstance(schedule, crontab):
            day_start = BUSY_DAY - timedelta(seconds=1)
            for moment in fire_times(schedule, day_start, BUSY_DAY + timedelta(days=1)):
                entries_by_time.setdefault(moment, []).append(name)

    assert len(entries_by_time) > 100
    assert [names for names in entries_by_time.values() if len(names) > 1] == []


@pytest.mark.parametrize(
    ("name", "now", "expected"),
    [
        ("sync-external-data", "2026-06-03T10:03:00", "2026-06-03T10:17:00"),
        ("cleanup-expired-cache", "2026-06-03T10:07:30", "2026-06-03T11:07:00"),
        ("archive-old-records", "2026-06-01T02:30:00", "2026-06-02T02:00:00"),
        ("audit-session-keys", "2026-06-05T09:00:00", "2026-06-08T08:30:00"),
        ("generate-weekly-report", "2026-06-03T10:00:00", "2026-06-08T09:00:00"),
        ("purge-archived-records", "2026-06-01T03:00:01", "2026-07-01T03:00:00"),
        ("heartbeat", "2026-06-03T10:00:00", "2026-06-03T10:01:00"),
    ],
)
def test_next_run_at_fixed_instants_in_utc(project_timezone, name, now, expected):
    project_timezone("UTC")
    now = datetime.fromisoformat(now).replace(tzinfo=UTC)

    with time_machine.travel(now, tick=False):
        assert next_run(schedule_of(name), now) == datetime.fromisoformat(expected).replace(
            tzinfo=UTC
        )


def test_a_crontab_next_run_is_on_its_minute_with_the_clock_running():
    """Celery reckons from its own now, a moment later than ours: not a minute early."""
    now = app.now()

    upcoming = next_run(as_schedule(crontab(minute=7), app), now)

    assert (upcoming.minute, upcoming.second, upcoming.microsecond) == (7, 0, 0)


def test_weekly_report_stays_at_nine_local_across_the_spring_dst_change(project_timezone):
    project_timezone("America/New_York")
    new_york = ZoneInfo("America/New_York")
    friday_before_dst = datetime(2026, 3, 6, 12, 0, tzinfo=new_york)  # EST, UTC-5

    with time_machine.travel(friday_before_dst, tick=False):
        monday = next_run(schedule_of("generate-weekly-report"), friday_before_dst)

    assert monday == datetime(2026, 3, 9, 9, 0, tzinfo=new_york)
    assert monday.utcoffset() == timedelta(hours=-4)  # EDT from Sunday on
    assert monday.astimezone(UTC) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_nightly_archive_after_the_autumn_dst_change(project_timezone):
    project_timezone("America/New_York")
    new_york = ZoneInfo("America/New_York")
    saturday = datetime(2026, 10, 31, 12, 0, tzinfo=new_york)  # EDT; clocks go back at 02:00 Sunday

    with time_machine.travel(saturday, tick=False):
        sunday = next_run(schedule_of("archive-old-records"), saturday)

    assert sunday.astimezone(UTC) == datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 02:00 EST


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("refresh-stale-records", "Every 10 minutes"),
        ("generate-weekly-report", "At 09:00, only on Monday (0 9 * * mon)"),
        ("audit-session-keys", "At 08:30, Monday through Friday (30 8 * * mon-fri)"),
        ("purge-archived-records", "At 03:00, on day 1 of the month (0 3 1 * *)"),
    ],
)
def test_describes_each_schedule_in_words(name, words):
    assert describe(schedule_of(name)).startswith(words)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "Every second"),
        (60, "Every minute"),
        (90, "Every 90 seconds"),
        (7200, "Every 2 hours"),
        (0.5, "Every 0.5 seconds"),
    ],
)
def test_describes_intervals_in_the_largest_whole_unit(seconds, words):
    assert describe_interval(timedelta(seconds=seconds)) == words


def test_list_prints_every_entry(redis, capsys):
    store_code_schedule()
    assert main(["list"]) == 0

    output = capsys.readouterr().out
    for name in BEAT_SCHEDULE:
        assert f"\n{name}\n  task:     {BEAT_SCHEDULE[name]['task']}\n" in output
    report = listed_entry(output, "generate-weekly-report")
    assert "when:     At 09:00, only on Monday (0 9 * * mon)" in report
    assert "enabled:  yes" in report
    assert "last run: never" in report


def test_run_refuses_an_unknown_name(capsys):
    assert main(["run", "no-such-entry"]) == 2
    assert "no schedule entry or task named 'no-such-entry'" in capsys.readouterr().err


def test_run_says_in_one_line_when_redis_is_unreachable():
    result = run_module(
        "schedule", "run", "heartbeat", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"
    )

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()  # not Celery's retries, nor a traceback
    assert line.startswith("error: cannot reach Redis")


def test_run_sends_an_entry_now_and_prints_how_the_run_ended(redis, worker, capsys):
    assert main(["run", "audit-session-keys"]) == 0

    run = json.loads(capsys.readouterr().out)
    assert (run["entry"], run["outcome"]) == ("audit-session-keys", "succeeded")
    assert run["task"].endswith("tasks.cache.cleanup_expired_cache")
    assert run["duration"] > 0
