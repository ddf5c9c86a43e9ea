"""What each entry does after an hour with no beat: the README's table, checked.

The hour: beat stops 10 minutes before an entry is due and comes back 50
minutes after. Celery's own ``is_due`` decides, with the project's settings
(``beat_cron_starting_deadline`` of 30 minutes).{% if cookiecutter.scheduler != "file" %} A real beat started with
two entries it missed while down, one 50 and one 10 minutes ago, sends only
the recent one.{% endif %}
"""
{% if cookiecutter.scheduler != "file" %}
import time
{%- endif %}
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.schedules import crontab
from conftest import schedule_of{% if cookiecutter.scheduler != "file" %}, wait_for{% endif %}
{%- if cookiecutter.scheduler == "database" %}
from django_celery_beat.models import PeriodicTask
{%- elif cookiecutter.scheduler == "redis" %}
from redbeat.schedulers import RedBeatSchedulerEntry
{%- endif %}

from {{ cookiecutter.project_slug }}.beat_schedule import BEAT_SCHEDULE
from {{ cookiecutter.project_slug }}.celery_app import app
from {{ cookiecutter.project_slug }}.schedule import {% if cookiecutter.scheduler != "file" %}main, {% endif %}next_run
{%- if cookiecutter.scheduler != "file" %}
from {{ cookiecutter.project_slug }}.tasks.cache import cleanup_expired_cache
{%- endif %}

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
{%- if cookiecutter.scheduler != "file" %}


def as_if_last_sent(name, when):
    """Set the entry's last run, as if beat sent it then and was down since."""
{%- if cookiecutter.scheduler == "database" %}
    PeriodicTask.objects.filter(name=name).update(last_run_at=when)
{%- else %}
    entry_key = RedBeatSchedulerEntry.generate_key(app, name)
    RedBeatSchedulerEntry.from_key(entry_key, app=app).reschedule(last_run_at=when)
{%- endif %}


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
        as_if_last_sent(name, missed_at - timedelta(minutes=30))

    beat = start_beat()
    wait_for(lambda: "Sending due task missed-10-minutes-ago" in beat.log(), 30, beat.log)
    time.sleep(6)  # more than a loop interval: time to send the other, were it due

    assert "missed-50-minutes-ago" not in beat.log()
{%- endif %}
