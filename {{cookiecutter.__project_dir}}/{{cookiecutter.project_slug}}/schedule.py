"""See and change the beat schedule: ``python -m {{ cookiecutter.project_slug }}.schedule``.

``list`` (the default) prints every entry: its task, its schedule in words,
whether it is enabled, and its last and next run in the project time zone.
``run NAME`` sends an entry's task (or any task, by name) now, waits for a
worker to run it and prints its result.
{%- if cookiecutter.scheduler != "file" %} ``add``, ``pause``, ``resume`` and
``remove`` change the schedule beat runs; a running beat applies the change
within its loop interval, without a restart.
{%- endif %}
"""

import argparse
import json
{%- if cookiecutter.scheduler != "file" %}
import re
{%- endif %}
import sys
from datetime import UTC, datetime, timedelta

from celery.exceptions import TimeoutError as ResultTimeout
{%- if cookiecutter.scheduler == "file" %}
from celery.schedules import crontab, solar
{%- else %}
from celery.schedules import ParseException, crontab, maybe_schedule, solar
{%- endif %}
from cron_descriptor import ExpressionDescriptor, Options
{%- if cookiecutter.scheduler == "database" %}
from django.db import DatabaseError
{%- endif %}
from redis.exceptions import RedisError

from .celery_app import app

UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
{%- if cookiecutter.scheduler != "file" %}
INTERVAL_TEXT = re.compile(r"(\d+)\s*(s|m|h|d)")
INTERVAL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
{%- endif %}


class UsageError(ValueError):
    """Bad input on the command line: printed as one line, exit status 2."""


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
    if hasattr(schedule, "run_every"):
        return describe_interval(schedule.run_every)
    return str(schedule)  # e.g. a one-off clocked schedule made in the admin


def next_run(schedule, now, last_run_at=None):
    """When ``schedule`` is next due after ``now``, in the project time zone.

    Computed by Celery's own schedule classes, so it is what beat will do.
    Interval entries count from the last run; with none given, from ``now``.
    The sum is done in UTC: the estimate is real time to wait, and adding it
    to a local time would be off by an hour across a DST change.
    """
    remaining = schedule.remaining_estimate(last_run_at or now)
    return (now.astimezone(UTC) + remaining).astimezone(app.timezone)


def load_store():
    """The schedule store of this project's scheduler (imported late: it may need Django)."""
{%- if cookiecutter.web_framework == "django" %}
    import django

    django.setup()
{%- endif %}
    from . import schedule_store

    return schedule_store


def print_schedule(store):
    now = app.now()
    entries = list(store.entries(app))
    print(f"Time zone: {app.timezone}")
    for entry in sorted(entries, key=lambda entry: entry["name"]):
        # A time, None for never, or the store's words for why it cannot tell.
        last_run = entry["last_run_at"]
        known = isinstance(last_run, datetime)
        upcoming = None
        if entry["enabled"]:
            upcoming = next_run(entry["schedule"], now, last_run if known else None)
        print(f"\n{entry['name']}\n  task:     {entry['task']}")
        print(f"  when:     {describe(entry['schedule'])}")
        print(f"  enabled:  {'yes' if entry['enabled'] else 'no (paused)'}")
        print(f"  last run: {format_time(last_run) if known else last_run or 'never'}")
        print(f"  next run: {format_time(upcoming) if upcoming else '-'}")
{%- if cookiecutter.scheduler == "database" %}
    stored = {entry["name"] for entry in entries}
    missing = [name for name in app.conf.beat_schedule if name not in stored]
    if missing:
        print(f"\nIn beat_schedule.py but not in the database yet: {', '.join(missing)}")
        print("`make migrate` (manage.py sync_periodic_tasks) adds them.")
{%- endif %}


def format_time(moment):
    """To the nearest second: the schedules compute from their own, slightly later, now."""
    rounded = moment + timedelta(milliseconds=500)
    return rounded.astimezone(app.timezone).isoformat(timespec="seconds")


def find_task(store, name):
    """The (task, args, kwargs) an entry name or a task name stands for."""
    entry = store.find(app, name) or app.conf.beat_schedule.get(name)
    if entry:
        return entry["task"], entry.get("args", ()), entry.get("kwargs", {})
    app.loader.import_default_modules()
    for task_name in app.tasks:
        if name in (task_name, task_name.rpartition(".")[2]):
            return task_name, (), {}
    return None


def run_now(store, name, timeout):
    found = find_task(store, name)
    if found is None:
        raise UsageError(f"no schedule entry or task named {name!r}")
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
{%- if cookiecutter.scheduler != "file" %}


def parse_interval(text):
    """``"90s"``, ``"10m"``, ``"2h"`` or ``"1d"`` as a timedelta."""
    match = INTERVAL_TEXT.fullmatch(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise UsageError(f"{text!r} is not an interval like 30s, 10m, 2h or 1d")
    return timedelta(**{INTERVAL_UNITS[match[2]]: int(match[1])})


def parse_crontab(text):
    """Five crontab fields, ``"minute hour day-of-month month day-of-week"``."""
    fields = text.split()
    if len(fields) != 5:
        raise UsageError(f"{text!r} is not five crontab fields (minute hour day month weekday)")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        schedule = crontab(minute, hour, day_of_week, day_of_month, month_of_year, app=app)
        schedule.remaining_estimate(app.now())  # some mistakes only show when it is used
    except (ValueError, ParseException) as exc:
        raise UsageError(f"{text!r} is not a valid crontab: {exc}") from None
    return schedule


def parse_json(text, kind, what):
    try:
        value = json.loads(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not JSON") from None
    if not isinstance(value, kind):
        raise UsageError(f"{what} must be a JSON {'list' if kind is list else 'object'}")
    return value


def add_entry(store, args):
    app.loader.import_default_modules()
    if args.task not in app.tasks:
        raise UsageError(f"no task named {args.task!r}")
    schedule = parse_interval(args.every) if args.every else parse_crontab(args.cron)
    arguments = parse_json(args.args, list, "--args")
    keyword_arguments = parse_json(args.kwargs, dict, "--kwargs")
    try:
        store.add(app, args.name, args.task, schedule, arguments, keyword_arguments)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"Added {args.name}: {args.task}, {describe(maybe_schedule(schedule, app=app))}")
    return 0


DONE = {"pause": "Paused", "resume": "Resumed", "remove": "Removed"}


def change_entry(store, command, name):
    try:
        if command == "remove":
            store.remove(app, name)
        else:
            store.set_enabled(app, name, command == "resume")
    except store.UnknownEntry:
        raise UsageError(f"no schedule entry named {name!r}") from None
    print(f"{DONE[command]} {name}")
    return 0
{%- endif %}


def build_parser():
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.schedule", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="print every entry and its next run (the default)")
    run = commands.add_parser("run", help="send a task now and print its result")
    run.add_argument("name", help="a schedule entry name, or a task name")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the result")
{%- if cookiecutter.scheduler != "file" %}
    add = commands.add_parser("add", help="add an entry to the schedule beat runs")
    add.add_argument("name", help="a name for the entry")
    add.add_argument("task", help="the task's full name, as `make schedule` shows it")
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--every", help="an interval: 30s, 10m, 2h or 1d")
    when.add_argument("--cron", help='five crontab fields, e.g. "0 9 * * mon"')
    add.add_argument("--args", default="[]", help="positional arguments, a JSON list")
    add.add_argument("--kwargs", default="{}", help="keyword arguments, a JSON object")
    for command, words in [
        ("pause", "stop sending an entry, keeping it"),
        ("resume", "send a paused entry again"),
        ("remove", "delete an entry"),
    ]:
        commands.add_parser(command, help=words).add_argument("name")
{%- endif %}
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    store = load_store()
    try:
        if args.command == "run":
            return run_now(store, args.name, args.timeout)
{%- if cookiecutter.scheduler != "file" %}
        if args.command == "add":
            return add_entry(store, args)
        if args.command in ("pause", "resume", "remove"):
            return change_entry(store, args.command, args.name)
{%- endif %}
        print_schedule(store)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RedisError as exc:
        print(f"error: cannot reach Redis ({exc})", file=sys.stderr)
        return 1
{%- if cookiecutter.scheduler == "database" %}
    except DatabaseError as exc:
        print(f"error: cannot read the schedule ({exc}); has `make migrate` run?", file=sys.stderr)
        return 1
{%- endif %}
    return 0


if __name__ == "__main__":
    sys.exit(main())
