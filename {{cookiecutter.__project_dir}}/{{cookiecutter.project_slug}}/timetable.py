"""The schedule as people read it: each schedule in words, its next run, its last run.

Used by the schedule command and the admin, on entries from any store. It
needs neither the Celery app nor Django, so a web process that shows a next
run does not load Celery's tasks.
"""

from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache

from celery.schedules import BaseSchedule, crontab, schedule, solar
from celery.utils.time import remaining

from .entries import LastRun
from .typing_gaps import crontab_expression, interval_of, zone_of

UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def describe_interval(interval: timedelta) -> str:
    """The interval in words, in the largest unit that divides it: "Every 10 minutes"."""
    seconds = interval.total_seconds()
    for unit, size in UNITS:
        count, remainder = divmod(seconds, size)
        if count and not remainder:
            return f"Every {unit}" if count == 1 else f"Every {count:g} {unit}s"
    return f"Every {seconds:g} seconds"


def describe_crontab(when: crontab) -> str:
    return describe_expression(crontab_expression(when))


@cache
def describe_expression(expression: str) -> str:
    """Five crontab fields in words. Cached: cron-descriptor loads its wording on every call."""
    # Imported here: ``health jobs`` reckons due times with this module, and
    # describes no schedule.
    from cron_descriptor import ExpressionDescriptor, Options

    options = Options()
    options.use_24hour_time_format = True
    return f"{ExpressionDescriptor(expression, options).get_description()} ({expression})"


def describe(when: BaseSchedule) -> str:
    """A schedule in words, e.g. "At 09:00, only on Monday (0 9 * * mon)"."""
    if isinstance(when, crontab):
        return describe_crontab(when)
    if isinstance(when, solar):
        return f"At {when.event.replace('_', ' ')} at {when.lat}, {when.lon}"
    if isinstance(when, schedule):
        return describe_interval(interval_of(when))
    return str(when)  # e.g. a one-off clocked schedule made in the admin


def next_run(when: BaseSchedule, now: datetime, last_run_at: datetime | None = None) -> datetime:
    """When the schedule ``when`` is next due after ``now``, in the schedule's time zone.

    Computed by Celery's own schedule classes, so it is what beat will do.
    Interval entries count from the last run; with none given, from ``now``.
    The sum is done in UTC: the estimate is real time to wait, and adding it
    to a local time would be off by an hour across a DST change.
    """
    since = last_run_at or now
    if not isinstance(when, crontab):
        return _next_run(when, now, since)
    # A crontab's next time after ``since`` depends on the minute ``since``
    # falls in, not on its seconds (and in older Celery on today's date): the
    # thousands of entries of a few crontabs, each last run at its last time,
    # share one answer. Celery's reckoning costs some 50 us a crontab.
    key = (
        type(when),
        crontab_expression(when),
        str(zone_of(when)),
        since.astimezone(UTC).replace(second=0, microsecond=0),
        now.astimezone(UTC).replace(second=0, microsecond=0),
    )
    answer = _crontab_answers.get(key)
    if answer is None:
        if len(_crontab_answers) >= CRONTAB_ANSWERS_KEPT:
            _crontab_answers.clear()  # a long-lived process (the admin) moves on to new minutes
        answer = _crontab_answers[key] = _next_run(when, now, since)
    return answer


# Crontab next runs already reckoned (see next_run), at most CRONTAB_ANSWERS_KEPT.
_crontab_answers: dict[tuple[object, ...], datetime] = {}
CRONTAB_ANSWERS_KEPT = 10_000


def _next_run(when: BaseSchedule, now: datetime, since: datetime) -> datetime:
    left = time_left(when, since, now)
    return to_the_second(now.astimezone(UTC) + left).astimezone(zone_of(when))


def time_left(when: BaseSchedule, since: datetime, now: datetime) -> timedelta:
    """How long from ``now`` until ``when`` is first due after ``since``, as Celery reckons it.

    For an interval, with Celery's ``remaining``, as its ``remaining_estimate``
    does, but from ``now`` rather than from the app's clock: reading that
    clock cost more than the rest, some 0.15 s for 10,000 entries. A
    subclass may reckon otherwise, and is asked.
    """
    if type(when) is schedule:
        start, current = when.maybe_make_aware(since), when.maybe_make_aware(now)
        return remaining(start, interval_of(when), current, when.relative)
    return when.remaining_estimate(since)


def to_the_second(moment: datetime) -> datetime:
    """``moment`` to the nearest second.

    Celery reckons the time left from its own now, a moment after ``now``:
    unrounded, a run due at 04:15 comes out at 04:14:59.99999, which the
    admin shows as 4:14.
    """
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)


def due_time(when: BaseSchedule | None, now: datetime, last_run_at: datetime | None) -> datetime:
    """When a run that is due at ``now`` was due: the first due time after its last run.

    Now, for an entry that never ran (or has no schedule). Later than the
    due time is how late beat sends it (it was down, say).
    """
    if when is None or last_run_at is None:
        return now
    return min(now, next_run(when, now, last_run_at))


def format_time(moment: datetime, zone: tzinfo) -> str:
    return to_the_second(moment).astimezone(zone).isoformat(timespec="seconds")


def describe_last_run(last_run: LastRun, zone: tzinfo) -> str:
    """The time, "never", or "unknown (why)"."""
    if not last_run.known:
        return f"unknown ({last_run.unknown_because})"
    return "never" if last_run.at is None else format_time(last_run.at, zone)
