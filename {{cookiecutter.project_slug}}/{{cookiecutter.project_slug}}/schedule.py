"""See and use the beat schedule: ``python -m {{ cookiecutter.project_slug }}.schedule``.

``list`` (the default) prints every entry with its schedule in words and its
next run in the project time zone. ``run NAME`` sends an entry's task (or any
task, by name) now, waits for a worker to run it and prints its result.
"""

import argparse
import json
import sys
from datetime import UTC, timedelta

from celery.exceptions import TimeoutError as ResultTimeout
from celery.schedules import crontab, maybe_schedule, solar
from cron_descriptor import ExpressionDescriptor, Options

from .celery_app import app

UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def describe_interval(interval: timedelta):
    """The interval in words, in the largest unit that divides it: "Every 10 minutes"."""
    seconds = interval.total_seconds()
    for unit, size in UNITS:
        count, remainder = divmod(seconds, size)
        if count and not remainder:
            return f"Every {unit}" if count == 1 else f"Every {count:g} {unit}s"
    return f"Every {seconds:g} seconds"


def describe_crontab(schedule: crontab):
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


def describe(schedule):
    """A schedule in words, e.g. "At 09:00, only on Monday (0 9 * * mon)"."""
    if isinstance(schedule, crontab):
        return describe_crontab(schedule)
    if isinstance(schedule, solar):
        return f"At {schedule.event.replace('_', ' ')} at {schedule.lat}, {schedule.lon}"
    return describe_interval(schedule.run_every)


def next_run(schedule, now, last_run_at=None):
    """When ``schedule`` is next due after ``now``, in the project time zone.

    Computed by Celery's own schedule classes, so it is what beat will do.
    Interval entries count from the last run; with none given, from ``now``.
    The sum is done in UTC: the estimate is real time to wait, and adding it
    to a local time would be off by an hour across a DST change.
    """
    remaining = schedule.remaining_estimate(last_run_at or now)
    return (now.astimezone(UTC) + remaining).astimezone(app.timezone)


def schedule_rows(now=None):
    now = now or app.now()
    rows = []
    for name, entry in app.conf.beat_schedule.items():
        schedule = maybe_schedule(entry["schedule"], app=app)
        rows.append(
            {
                "name": name,
                "task": entry["task"],
                "schedule": describe(schedule),
                "next_run": next_run(schedule, now).isoformat(timespec="seconds"),
            }
        )
    return rows


def print_schedule():
    rows = schedule_rows()
    print(f"Time zone: {app.timezone}")
    for row in sorted(rows, key=lambda row: row["next_run"]):
        print(f"\n{row['name']}\n  task:     {row['task']}\n  when:     {row['schedule']}")
        print(f"  next run: {row['next_run']}")


def find_task(name):
    """The (task, args, kwargs) an entry name or a task name stands for."""
    entry = app.conf.beat_schedule.get(name)
    if entry:
        return entry["task"], entry.get("args", ()), entry.get("kwargs", {})
    app.loader.import_default_modules()
    for task_name in app.tasks:
        if name in (task_name, task_name.rpartition(".")[2]):
            return task_name, (), {}
    return None


def run_now(name, timeout):
    found = find_task(name)
    if found is None:
        entries = ", ".join(app.conf.beat_schedule)
        print(
            f"error: no schedule entry or task named {name!r} (entries: {entries})", file=sys.stderr
        )
        return 2
    task_name, args, kwargs = found
    result = app.send_task(task_name, args=args, kwargs=kwargs)
    print(
        f"Sent {task_name} as {result.id}; waiting up to {timeout} s for a worker", file=sys.stderr
    )
    try:
        value = result.get(timeout=timeout, propagate=False)
    except ResultTimeout:
        print(f"error: no result within {timeout} s: is a worker running?", file=sys.stderr)
        return 1
    print(json.dumps({"task": task_name, "state": result.state, "result": value}, default=str))
    return 0 if result.successful() else 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.schedule", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="print every entry and its next run (the default)")
    run = commands.add_parser("run", help="send a task now and print its result")
    run.add_argument("name", help="a schedule entry name, or a task name")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the result")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_now(args.name, args.timeout)
    print_schedule()
    return 0


if __name__ == "__main__":
    sys.exit(main())
