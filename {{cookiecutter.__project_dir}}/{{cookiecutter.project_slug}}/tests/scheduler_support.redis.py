"""What the tests need to know of the redis scheduler: RedBeat's entries in Redis."""

from datetime import datetime

from redbeat.schedulers import RedBeatSchedulerEntry

from ..celery_app import app


def one_second_heartbeat() -> dict[str, str]:
    """Make the heartbeat entry due every second; return the environment a beat needs for it.

    Beat stores BEAT_SCHEDULE, built from that environment, when it starts.
    """
    return {"HEARTBEAT_INTERVAL": "1"}


def set_last_run(name: str, when: datetime) -> None:
    """Set the entry's last run, as if beat sent it then and was down since."""
    entry_key = RedBeatSchedulerEntry.generate_key(app, name)
    RedBeatSchedulerEntry.from_key(entry_key, app=app).reschedule(last_run_at=when)


def store_code_schedule() -> None:
    """Put BEAT_SCHEDULE where beat reads it: nothing to do until beat starts.

    Beat stores it in Redis when it starts; until then the schedule command
    lists the code's entries as beat will store them.
    """
