"""What the tests need to know of the database scheduler: django-celery-beat's tables."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from django_celery_beat.models import PeriodicTask

from ..beat_schedule import BEAT_SCHEDULE
from ..celery_app import app
from ..schedule_sync import sync_periodic_tasks
from ..scheduler import MigratedDatabaseScheduler
from .support import EVERY_MINUTE


def one_second_heartbeat() -> dict[str, str]:
    """Make the heartbeat entry due every second; return the environment a beat needs for it."""
    # This beat reads its entries from the database, where the code
    # schedule's heartbeat is once a minute.
    # As HEARTBEAT_INTERVAL=1 makes the code's: due, and expiring, after a second.
    every_second = {
        **BEAT_SCHEDULE["heartbeat"],
        "schedule": timedelta(seconds=1),
        "options": {"expires": 1},
    }
    sync_periodic_tasks({"heartbeat": every_second}, app)
    return {"HEARTBEAT_INTERVAL": "1"}


def set_last_run(name: str, when: datetime) -> None:
    """Set the entry's last run, as if beat sent it then and was down since."""
    PeriodicTask.objects.filter(name=name).update(last_run_at=when)


def store_code_schedule() -> None:
    """Put BEAT_SCHEDULE where beat reads it, as ``make migrate`` does."""
    sync_periodic_tasks(BEAT_SCHEDULE, app)


def beat_app_schedule(heartbeat_seconds: int) -> dict[str, str]:
    """Set ``beat_app``'s schedule up, the heartbeat every so many seconds; return its environment.

    This beat reads its entries from the database: they are stored there.
    """
    heartbeat = {**BEAT_SCHEDULE["heartbeat"], "schedule": timedelta(seconds=heartbeat_seconds)}
    sync_periodic_tasks({"heartbeat": heartbeat, **EVERY_MINUTE}, app)
    return {"HEARTBEAT_INTERVAL": str(heartbeat_seconds)}


@contextmanager
def scheduler_in_this_process(folder: Path) -> Iterator[MigratedDatabaseScheduler]:
    """The project's scheduler on app.conf.beat_schedule, made here (it leads), closed after.

    The schedule is stored in the database first, where this scheduler reads it.
    """
    sync_periodic_tasks(app.conf.beat_schedule, app)
    scheduler = MigratedDatabaseScheduler(app=app)
    try:
        yield scheduler
    finally:
        scheduler.close()
