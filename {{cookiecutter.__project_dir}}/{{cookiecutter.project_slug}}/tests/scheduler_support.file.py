"""What the tests need to know of the file scheduler: its schedule is BEAT_SCHEDULE."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ..celery_app import app
from ..schedule_store import record_last_run
from ..scheduler import StateDirScheduler


def one_second_heartbeat() -> dict[str, str]:
    """Make the heartbeat entry due every second; return the environment a beat needs for it."""
    return {"HEARTBEAT_INTERVAL": "1"}


def set_last_run(name: str, when: datetime) -> None:
    """Set the entry's last run, as if beat sent it then and was down since.

    A beat takes each entry's last run from Redis when it starts to lead.
    """
    record_last_run(name, when)


def store_code_schedule() -> None:
    """Put BEAT_SCHEDULE where beat reads it: nothing to do, beat reads it from the code."""


def beat_app_schedule(heartbeat_seconds: int) -> dict[str, str]:
    """Set ``beat_app``'s schedule up, the heartbeat every so many seconds; return its environment.

    Beat reads BEAT_SCHEDULE, built from that environment, and beat_app's entry.
    """
    return {"HEARTBEAT_INTERVAL": str(heartbeat_seconds)}


@contextmanager
def scheduler_in_this_process(folder: Path) -> Iterator[StateDirScheduler]:
    """The project's scheduler on app.conf.beat_schedule, made here (it leads), closed after."""
    scheduler = StateDirScheduler(app=app, schedule_filename=str(folder / "celerybeat-schedule"))
    try:
        yield scheduler
    finally:
        scheduler.close()
