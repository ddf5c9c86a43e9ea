"""What the tests need to know of the redis scheduler: RedBeat's entries in Redis."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from redbeat.schedulers import ensure_conf

from ..celery_app import app
from ..schedule_store import RedBeatEntry
from ..scheduler import LeaderRedBeatScheduler
from .support import EVERY_MINUTE


def one_second_heartbeat() -> dict[str, str]:
    """Make the heartbeat entry due every second; return the environment a beat needs for it.

    Beat stores BEAT_SCHEDULE, built from that environment, when it starts.
    """
    return {"HEARTBEAT_INTERVAL": "1"}


def set_last_run(name: str, when: datetime) -> None:
    """Set the entry's last run, as if beat sent it then and was down since.

    An entry of the code (or beat_app's) that no beat has stored yet is
    stored, as a beat would store it.
    """
    ensure_conf(app)  # RedBeat's key prefix, read from the app's configuration
    try:
        entry = RedBeatEntry.from_key(RedBeatEntry.generate_key(app, name), app=app)
    except KeyError:
        definition = {**app.conf.beat_schedule, **EVERY_MINUTE}[name]
        entry = RedBeatEntry(name, app=app, **definition)
        entry.save()
    entry.next(last_run_at=when)  # as beat's reserve does: a run counted, and its time


def store_code_schedule() -> None:
    """Put BEAT_SCHEDULE where beat reads it: nothing to do until beat starts.

    Beat stores it in Redis when it starts; until then the schedule command
    lists the code's entries as beat will store them.
    """


def beat_app_schedule(heartbeat_seconds: int) -> dict[str, str]:
    """Set ``beat_app``'s schedule up, the heartbeat every so many seconds; return its environment.

    Beat reads BEAT_SCHEDULE, built from that environment, and beat_app's entry.
    """
    return {"HEARTBEAT_INTERVAL": str(heartbeat_seconds)}


@contextmanager
def scheduler_in_this_process(folder: Path) -> Iterator[LeaderRedBeatScheduler]:
    """The project's scheduler on app.conf.beat_schedule, made here (it leads), closed after."""
    scheduler = LeaderRedBeatScheduler(app=app)
    try:
        yield scheduler
    finally:
        scheduler.close()
