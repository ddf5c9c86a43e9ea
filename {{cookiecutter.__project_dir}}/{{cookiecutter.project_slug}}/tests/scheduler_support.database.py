"""What the tests need to know of the database scheduler: django-celery-beat's tables."""

from datetime import datetime, timedelta

from django_celery_beat.models import PeriodicTask

from ..beat_schedule import BEAT_SCHEDULE
from ..celery_app import app
from ..schedule_sync import sync_periodic_tasks


def one_second_heartbeat() -> dict[str, str]:
    """Make the heartbeat entry due every second; return the environment a beat needs for it."""
    # This beat reads its entries from the database, where the code
    # schedule's heartbeat is once a minute.
    every_second = {**BEAT_SCHEDULE["heartbeat"], "schedule": timedelta(seconds=1)}
    sync_periodic_tasks({"heartbeat": every_second}, app)
    return {"HEARTBEAT_INTERVAL": "1"}


def set_last_run(name: str, when: datetime) -> None:
    """Set the entry's last run, as if beat sent it then and was down since."""
    PeriodicTask.objects.filter(name=name).update(last_run_at=when)


def store_code_schedule() -> None:
    """Put BEAT_SCHEDULE where beat reads it, as ``make migrate`` does."""
    sync_periodic_tasks(BEAT_SCHEDULE, app)
