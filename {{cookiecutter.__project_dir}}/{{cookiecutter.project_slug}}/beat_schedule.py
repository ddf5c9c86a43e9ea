"""Every periodic task of the project, in one place.

{% if cookiecutter.scheduler == "redis" %}Crontab times are in the project time zone (``TIMEZONE``). RedBeat cannot
store solar schedules, so this project has none. Each
{%- else %}Crontab and solar times are in the project time zone (``TIMEZONE``). Each
{%- endif %}
entry sets ``expires``: a run that no worker started in time is dropped
instead of piling up behind a stopped worker and firing in a burst. The
crontab minutes are spread out so the entries do not all start at once.
"""

from datetime import timedelta
from typing import Any
{% if cookiecutter.scheduler == "redis" %}
from celery.schedules import crontab
{%- else %}
from celery.schedules import crontab, solar
{%- endif %}

from .entries import Monitoring
from .settings import settings

TASKS = f"{__package__}.tasks"
{% if cookiecutter.scheduler != "redis" %}
# Where the solar entry's sunrise is computed. Set it to your site.
SITE_LATITUDE = 51.5074
SITE_LONGITUDE = -0.1278
{% endif %}
HOUR = 60 * 60
DAY = 24 * HOUR
# The heartbeat's entry: `make health` reads what it leaves, and a beat that
# starts sends it at once unless one was sent within its interval (beat_leader).
HEARTBEAT_ENTRY = "heartbeat"

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    HEARTBEAT_ENTRY: {
        "task": f"{TASKS}.heartbeat.heartbeat",
        "schedule": timedelta(seconds=settings.heartbeat_interval),
        # A heartbeat is only worth anything on time.
        "options": {"expires": settings.heartbeat_interval},
    },
    "refresh-stale-records": {
        "task": f"{TASKS}.records.refresh_stale_records",
        "schedule": timedelta(minutes=10),
        "options": {"expires": 10 * 60},
    },
    "sync-external-data": {
        "task": f"{TASKS}.external_sync.sync_external_data",
        # Every 15 minutes, at :02, :17, :32 and :47.
        "schedule": crontab(minute="2-59/15"),
        "options": {"expires": 15 * 60},
    },
    "cleanup-expired-cache": {
        "task": f"{TASKS}.cache.cleanup_expired_cache",
        # Hourly, at seven past, clear of the top-of-the-hour rush.
        "schedule": crontab(minute=7),
        "options": {"expires": HOUR},
    },
    "audit-session-keys": {
        "task": f"{TASKS}.cache.cleanup_expired_cache",
        # Weekdays at 08:30: report session keys with no expiry, delete nothing.
        "schedule": crontab(minute=30, hour=8, day_of_week="mon-fri"),
        "kwargs": {"prefix": "session:", "dry_run": True},
        "options": {"expires": HOUR},
    },
    "archive-old-records": {
        "task": f"{TASKS}.records.archive_old_records",
        # Daily at 02:00, when nobody is editing records.
        "schedule": crontab(minute=0, hour=2),
        "options": {"expires": 6 * HOUR},
    },
{%- if cookiecutter.scheduler != "redis" %}
    "refresh-records-at-sunrise": {
        "task": f"{TASKS}.records.refresh_stale_records",
        # Records are fresh when the site's working day starts, whatever the season.
        "schedule": solar("sunrise", SITE_LATITUDE, SITE_LONGITUDE),
        "options": {"expires": HOUR},
    },
{%- endif %}
    "generate-weekly-report": {
        "task": f"{TASKS}.reports.generate_weekly_report",
        # Monday at 09:00, about the week that ended on Sunday.
        "schedule": crontab(minute=0, hour=9, day_of_week="mon"),
        "options": {"expires": DAY},
    },
    "purge-archived-records": {
        "task": f"{TASKS}.records.purge_archived_records",
        # The 1st of every month at 03:00.
        "schedule": crontab(minute=0, hour=3, day_of_month=1),
        "options": {"expires": DAY},
    },
{%- if cookiecutter.web_framework == "django" %}
    "clear-expired-sessions": {
        "task": f"{TASKS}.sessions.clear_expired_sessions",
        # Daily at 04:15, after the night's archiving.
        "schedule": crontab(minute=15, hour=4),
        "options": {"expires": 6 * HOUR},
    },
{%- endif %}
}

# How the run ledger judges an entry, where its defaults do not suit: see
# ``entries.Monitoring``. `make health CHECKS=jobs` names every entry that is
# overdue (no success within its grace after it was due) or failing.
MONITORING: dict[str, Monitoring] = {
    # One failed sync is tried again a quarter of an hour later; three in a
    # row mean the source is down or has changed, and need a person.
    "sync-external-data": Monitoring(failing_after=3),
    # The report is read on Monday morning: by noon, a missing one is news.
    "generate-weekly-report": Monitoring(grace=timedelta(hours=3)),
}
