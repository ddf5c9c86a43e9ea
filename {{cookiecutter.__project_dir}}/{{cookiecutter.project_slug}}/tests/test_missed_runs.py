"""What each entry does after an hour with no beat: the README's table, checked.

The hour: beat stops 10 minutes before an entry is due and comes back 50
minutes after. Celery's own ``is_due`` decides, with the project's settings
(``beat_cron_starting_deadline`` of 30 minutes). Where entries can be added
at runtime, ``test_schedule_changes`` also starts a real beat on two missed
runs.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.schedules import crontab

from ..beat_schedule import BEAT_SCHEDULE
from ..celery_app import app
from ..timetable import next_run
from .support import schedule_of

# A Monday, the 1st of a month: every entry is due on it.
BUSY_DAY = datetime(2026, 6, 1, tzinfo=UTC)
STOPPED_BEFORE_DUE = timedelta(minutes=10)
BACK_AFTER_DUE = timedelta(minutes=50)

# The README's table: does the entry run when beat comes back?
RUNS_WHEN_BEAT_RETURNS = {
    "heartbeat": True,
    "refresh-stale-records": True,
    "refresh-records-at-sunrise": True,
    "sync-external-data": True,  # its last missed run is only 5 minutes late
    "cleanup-expired-cache": False,
    "audit-session-keys": False,
    "archive-old-records": False,
    "generate-weekly-report": False,
    "purge-archived-records": False,
    "clear-expired-sessions": False,
}


def test_the_table_covers_every_entry():
    assert set(BEAT_SCHEDULE) <= set(RUNS_WHEN_BEAT_RETURNS)


def test_the_deadline_is_set():
    assert app.conf.beat_cron_starting_deadline == 30 * 60


@pytest.mark.parametrize("name", list(BEAT_SCHEDULE))
def test_after_an_hour_without_beat(name):
    schedule = schedule_of(name)
    with time_machine.travel(BUSY_DAY, tick=False):
        due = next_run(schedule, BUSY_DAY)
    # Beat last sent the entry before it stopped; the next time was `due`.
    last_run = due - STOPPED_BEFORE_DUE
    back = due + BACK_AFTER_DUE

    with time_machine.travel(back, tick=False):
        runs, wait_seconds = schedule.is_due(last_run)

    assert runs == RUNS_WHEN_BEAT_RETURNS[name]
    if isinstance(schedule, crontab) and not runs:
        # Skipped, not late: it waits for its next regular time.
        with time_machine.travel(back, tick=False):
            expected = (next_run(schedule, back) - back).total_seconds()
        assert wait_seconds == pytest.approx(expected, abs=1)
