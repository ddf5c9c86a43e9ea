"""The schedule as people read it: each schedule in words, its next run, its last run.

Used by the schedule command and the admin, on entries from any store. It
needs neither the Celery app nor Django, so a web process that shows a next
run does not load Celery's tasks.
"""

from datetime import UTC, datetime, timedelta, tzinfo

from celery.schedules import BaseSchedule, crontab, solar
from cron_descriptor import ExpressionDescriptor, Options

from .entries import LastRun

UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def describe_interval(interval: timedelta) -> str:
    """The interval in words, in the largest unit that divides it: "Every 10 minutes"."""
    seconds = interval.total_seconds()
    for unit, size in UNITS:
        count, remainder = divmod(seconds, size)
        if count and not remainder:
            return f"Every {unit}" if count == 1 else f"Every {count:g} {unit}s"
    return f"Every {seconds:g} seconds"


def describe_crontab(schedule: crontab) -> str:
    expression = " ".join(
        str(field)
        for field in (
            schedule._orig_minute,
            schedule._orig_hour,
            schedule._orig_day_of_month,
            schedule._orig_month_of_year,
            schedule._orig_day_of_week,
        )
    )
    options = Options()
    options.use_24hour_time_format = True
    return f"{ExpressionDescriptor(expression, options).get_description()} ({expression})"


def describe(schedule: BaseSchedule) -> str:
    """A schedule in words, e.g. "At 09:00, only on Monday (0 9 * * mon)"."""
    if isinstance(schedule, crontab):
        return describe_crontab(schedule)
    if isinstance(schedule, solar):
        return f"At {schedule.event.replace('_', ' ')} at {schedule.lat}, {schedule.lon}"
    if hasattr(schedule, "run_every"):
        return describe_interval(schedule.run_every)
    return str(schedule)  # e.g. a one-off clocked schedule made in the admin


def next_run(
    schedule: BaseSchedule, now: datetime, last_run_at: datetime | None = None
) -> datetime:
    """When ``schedule`` is next due after ``now``, in the schedule's time zone.

    Computed by Celery's own schedule classes, so it is what beat will do.
    Interval entries count from the last run; with none given, from ``now``.
    The sum is done in UTC: the estimate is real time to wait, and adding it
    to a local time would be off by an hour across a DST change.
    """
    remaining = schedule.remaining_estimate(last_run_at or now)
    return (now.astimezone(UTC) + remaining).astimezone(schedule.tz)


def format_time(moment: datetime, zone: tzinfo) -> str:
    """To the nearest second: the schedules compute from their own, slightly later, now."""
    rounded = moment + timedelta(milliseconds=500)
    return rounded.astimezone(zone).isoformat(timespec="seconds")


def describe_last_run(last_run: LastRun, zone: tzinfo) -> str:
    """The time, "never", or "unknown (why)"."""
    if not last_run.known:
        return f"unknown ({last_run.unknown_because})"
    return "never" if last_run.at is None else format_time(last_run.at, zone)
