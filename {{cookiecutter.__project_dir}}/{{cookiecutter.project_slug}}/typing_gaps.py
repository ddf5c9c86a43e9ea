"""What Celery does that its type stubs do not say, written once, for the type checker.

Celery's types come from celery-types, which leaves out some attributes the
file scheduler builds on and gets a few others wrong (a schedule's time
zone is a tzinfo, not a str). Each gap is said here, as what Celery really
does, so that the rest of the project is checked as it is written, with no
cast or ``type: ignore`` anywhere else.
"""

from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any, cast

from celery import Celery
from celery.beat import ScheduleEntry, Scheduler
from celery.schedules import BaseSchedule, crontab, maybe_schedule, schedule

if TYPE_CHECKING:
    from celery.beat import PersistentScheduler as StubbedPersistentScheduler

    class PersistentScheduler(StubbedPersistentScheduler):
        # Set and defined by Celery's PersistentScheduler (celery-types: missing).
        schedule_filename: str

        def _remove_db(self) -> None: ...
        def _open_schedule(self) -> Any: ...

else:
    from celery.beat import PersistentScheduler

__all__ = [
    "PersistentScheduler",
    "as_schedule",
    "crontab_expression",
    "interval_of",
    "reserve",
    "zone_of",
]

CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def zone_of(when: BaseSchedule) -> tzinfo:
    """The time zone a schedule runs in: its app's (celery-types: a str)."""
    return cast(tzinfo, when.tz)


def crontab_expression(when: crontab) -> str:
    """The five crontab fields as they were written, e.g. "0 9 * * mon".

    Celery keeps them in attributes of its own (``_orig_minute`` and so on),
    which celery-types leaves out.
    """
    written = vars(when)
    return " ".join(str(written[f"_orig_{field}"]) for field in CRONTAB_FIELDS)


def interval_of(when: schedule) -> timedelta:
    """How often an interval schedule runs (celery-types: ``run_every`` is missing)."""
    every: timedelta = vars(when)["run_every"]
    return every


def as_schedule(value: BaseSchedule | timedelta, app: Celery) -> BaseSchedule:
    """A BEAT_SCHEDULE entry's ``schedule`` as beat uses it: a timedelta becomes an interval.

    ``maybe_schedule`` is typed as returning what it is given, where it
    returns a schedule for anything but None.
    """
    return cast(BaseSchedule, maybe_schedule(value, app=app))


def reserve(scheduler: Scheduler, entry: ScheduleEntry) -> ScheduleEntry:
    """``scheduler.reserve(entry)``: the entry as it stands once this run is under way.

    celery-types says a heap event; every scheduler returns the entry.
    """
    return cast(ScheduleEntry, scheduler.reserve(entry))
