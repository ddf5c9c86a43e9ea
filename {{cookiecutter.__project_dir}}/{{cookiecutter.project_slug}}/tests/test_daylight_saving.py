"""Across a daylight-saving change every crontab time runs once, on every scheduler.

The project's own scheduler class is made in this process, against the
tests' Redis (and database), and ticked every 30 s through the night of
each change while time-machine holds the clock. What it sends is read from
its own "Sending due task" log lines, stamped with the frozen time.

In autumn an hour repeats: each time in it runs once, the first time it
comes. In spring an hour is skipped: a daily time in it runs once, an hour
later (as cron does), and an entry that runs every hour or more often just
has no runs in it.
"""

import logging
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab, crontab_parser

from ..celery_app import app
from ..tasks.heartbeat import heartbeat
from .scheduler_support import scheduler_in_this_process

# Each entry's minute and hour fields, as crontab takes them.
ENTRIES = {
    "daily-at-0230": ("30", "2"),
    "daily-at-0300": ("0", "3"),
    "hourly-at-07": ("7", "*"),
    "quarter-hourly-from-02": ("2-59/15", "*"),
}
CHANGES = {
    "berlin-autumn": ("Europe/Berlin", datetime(2026, 10, 25)),
    "berlin-spring": ("Europe/Berlin", datetime(2026, 3, 29)),
    "new-york-autumn": ("America/New_York", datetime(2026, 11, 1)),
    "new-york-spring": ("America/New_York", datetime(2026, 3, 8)),
}
NIGHT_HOURS = 5
STEP = timedelta(seconds=30)


def exists(wall: datetime, zone: tzinfo) -> bool:
    """Whether a wall-clock time happens at all in ``zone`` (not in a spring gap)."""
    there = wall.replace(tzinfo=zone)
    return there.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def expected_runs(day: datetime, zone: tzinfo) -> dict[str, list[datetime]]:
    """Each entry's wall-clock times that night, each the once it should run."""
    expected = {}
    for name, (minute, hour) in ENTRIES.items():
        minutes, hours = crontab_parser(60).parse(minute), crontab_parser(24).parse(hour)
        matching = [
            day + timedelta(minutes=number)
            for number in range(NIGHT_HOURS * 60)
            if number % 60 in minutes and number // 60 in hours
        ]
        runs = [wall for wall in matching if exists(wall, zone)]
        if len(minutes) == len(hours) == 1 and not runs:  # a daily time, skipped
            runs = [wall + timedelta(hours=1) for wall in matching]
        expected[name] = runs
    return expected


@pytest.fixture
def schedule_of_the_test(project_timezone):
    original = app.conf.beat_schedule

    def use(zone_name):
        project_timezone(zone_name)
        app.conf.beat_schedule = {
            name: {
                "task": heartbeat.name,
                "schedule": crontab(minute=minute, hour=hour, app=app),
                "options": {"expires": 300},
            }
            for name, (minute, hour) in ENTRIES.items()
        }

    yield use
    app.conf.beat_schedule = original


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_crontab_time_runs_once_across_the_change(
    redis, schedule_of_the_test, tmp_path, caplog, change
):
    zone_name, day = CHANGES[change]
    zone = ZoneInfo(zone_name)
    schedule_of_the_test(zone_name)
    start = day.replace(tzinfo=zone) - timedelta(minutes=5)
    end = (day + timedelta(hours=NIGHT_HOURS)).replace(tzinfo=zone)

    caplog.set_level(logging.INFO)
    with (
        time_machine.travel(start, tick=False) as clock,
        scheduler_in_this_process(tmp_path) as scheduler,
    ):
        moment = start
        while moment < end:
            clock.move_to(moment)
            for _ in range(len(ENTRIES) + 1):  # Celery's own scheduler sends one entry a tick
                if scheduler.tick() > 0:
                    break
            moment += STEP

    sent: dict[str, list[datetime]] = {name: [] for name in ENTRIES}
    for record in caplog.records:
        message = record.getMessage()
        if "Sending due task" in message:
            name = message.split("Sending due task ")[1].split()[0]
            wall = datetime.fromtimestamp(record.created, zone).replace(tzinfo=None)
            sent[name].append(wall.replace(second=0, microsecond=0))
    assert sent == expected_runs(day, zone)
