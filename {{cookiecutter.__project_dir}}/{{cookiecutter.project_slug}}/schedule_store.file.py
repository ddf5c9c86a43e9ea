"""The schedule beat runs, for the schedule command: here BEAT_SCHEDULE itself.

With the file scheduler the schedule is code, so it is changed in code, not
at runtime. When each entry last ran is recorded in Redis as it is sent
(``record_last_run``), where every beat finds it whatever its own state
file says; this store reads it there too.
"""

from datetime import datetime
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule
from redis.exceptions import RedisError

from .beat_schedule import MONITORING
from .entries import ChangeRefused, Entry, LastRun, Monitoring, expiry_of
from .redis_client import get_redis, key, text_map
from .typing_gaps import as_schedule

LAST_RUN_KEY = key("schedule", "last_run")
SCHEDULE_IS_CODE = (
    "the schedule is code with scheduler=file: change BEAT_SCHEDULE in beat_schedule.py "
    "and restart beat"
)


def record_last_run(name: str, when: datetime) -> None:
    get_redis().hset(LAST_RUN_KEY, name, when.isoformat())


def recorded_last_runs() -> dict[str, datetime]:
    """When each entry was last sent, by any beat."""
    recorded = text_map(get_redis().hgetall(LAST_RUN_KEY))
    return {name: datetime.fromisoformat(when) for name, when in recorded.items()}


class CodeScheduleStore:
    """BEAT_SCHEDULE, with the last runs beat recorded in Redis."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def entries(self) -> list[Entry]:
        try:
            recorded = recorded_last_runs()
        except RedisError:
            recorded = None  # the schedule is code and still listed; only its last runs are not
        return [
            self._entry(name, fields, self._last_run(recorded, name))
            for name, fields in self.app.conf.beat_schedule.items()
        ]

    def find(self, name: str) -> Entry | None:
        return next((entry for entry in self.entries() if entry.name == name), None)

    def add(
        self, name: str, task: str, schedule: BaseSchedule, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        raise ChangeRefused(SCHEDULE_IS_CODE)

    def set_enabled(self, name: str, enabled: bool) -> None:
        raise ChangeRefused(SCHEDULE_IS_CODE)

    def remove(self, name: str) -> None:
        raise ChangeRefused(SCHEDULE_IS_CODE)

    def notes(self) -> list[str]:
        return []

    @staticmethod
    def _last_run(recorded: dict[str, datetime] | None, name: str) -> LastRun:
        if recorded is None:
            return LastRun.unknown("Redis is unreachable")
        return LastRun(recorded.get(name))

    def _entry(self, name: str, fields: dict[str, Any], last_run: LastRun) -> Entry:
        return Entry(
            name=name,
            task=fields["task"],
            schedule=as_schedule(fields["schedule"], self.app),
            args=list(fields.get("args", ())),
            kwargs=fields.get("kwargs", {}),
            enabled=True,
            last_run=last_run,
            expires=expiry_of(fields.get("options", {})),
            monitoring=MONITORING.get(name, Monitoring()),
        )


def open_store(app: Celery) -> CodeScheduleStore:
    return CodeScheduleStore(app)
