"""The schedule command: ``python -m {{ cookiecutter.project_slug }}.schedule``.

``list`` (the default) prints every entry: its task, its schedule in words,
whether it is enabled, and its last and next run in the project time zone.
``run NAME`` sends an entry's task (or any task, by name) now, waits for a
worker to run it and prints its result. ``add``, ``pause``, ``resume`` and
``remove`` change the schedule a running beat reads, which applies the
change within its loop interval, without a restart; where the schedule is
code (the file scheduler) they say so and change nothing.

The command is only the command: the entries come from this scheduler's
``schedule_store``, and their words and times from ``timetable``.
"""

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from celery.exceptions import TimeoutError as ResultTimeout
from celery.schedules import ParseException, crontab, schedule
from redis.exceptions import RedisError

from .celery_app import app
from .entries import ChangeRefused, ScheduleStore, StoreUnavailable, UnknownEntry
from .timetable import describe, describe_last_run, format_time, next_run

INTERVAL_TEXT = re.compile(r"(\d+)\s*(s|m|h|d)")
INTERVAL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DONE = {"pause": "Paused", "resume": "Resumed", "remove": "Removed"}


class UsageError(ValueError):
    """Bad input on the command line: printed as one line, exit status 2."""


def open_schedule_store() -> ScheduleStore:
    """This project's schedule store, with every task module imported.

    Imported as a worker imports them, the tasks can be sent or scheduled by
    name; in a Django project, importing them also sets Django up (Celery's
    Django support), which the database store needs before it loads.
    """
    app.loader.import_default_modules()
    from .schedule_store import open_store

    return open_store(app)


def print_schedule(store: ScheduleStore) -> None:
    now = app.now()
    entries = sorted(store.entries(), key=lambda entry: entry.name)
    print(f"Time zone: {app.timezone}")
    for entry in entries:
        upcoming = None
        if entry.enabled:
            upcoming = next_run(entry.schedule, now, entry.last_run.at)
        print(f"\n{entry.name}\n  task:     {entry.task}")
        print(f"  when:     {describe(entry.schedule)}")
        print(f"  enabled:  {'yes' if entry.enabled else 'no (paused)'}")
        print(f"  last run: {describe_last_run(entry.last_run, app.timezone)}")
        print(f"  next run: {format_time(upcoming, app.timezone) if upcoming else '-'}")
    notes = store.notes()
    if notes:
        print("\n" + "\n".join(notes))


def find_task(store: ScheduleStore, name: str) -> tuple[str, Sequence[Any], dict[str, Any]] | None:
    """The (task, args, kwargs) an entry name or a task name stands for."""
    entry = store.find(name)
    if entry is not None:
        return entry.task, entry.args, entry.kwargs
    code_entry = app.conf.beat_schedule.get(name)
    if code_entry:
        return code_entry["task"], code_entry.get("args", ()), code_entry.get("kwargs", {})
    for task_name in app.tasks:
        if name in (task_name, task_name.rpartition(".")[2]):
            return task_name, (), {}
    return None


def run_now(store: ScheduleStore, name: str, timeout: float) -> int:
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


def parse_interval(text: str) -> schedule:
    """``"90s"``, ``"10m"``, ``"2h"`` or ``"1d"`` as an interval schedule."""
    match = INTERVAL_TEXT.fullmatch(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise UsageError(f"{text!r} is not an interval like 30s, 10m, 2h or 1d")
    return schedule(timedelta(**{INTERVAL_UNITS[match[2]]: int(match[1])}), app=app)


def parse_crontab(text: str) -> crontab:
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


def parse_json(text: str, kind: type[list[Any]] | type[dict[str, Any]], what: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not JSON") from None
    if not isinstance(value, kind):
        raise UsageError(f"{what} must be a JSON {'list' if kind is list else 'object'}")
    return value


def add_entry(store: ScheduleStore, args: argparse.Namespace) -> int:
    if args.task not in app.tasks:
        raise UsageError(f"no task named {args.task!r}")
    when = parse_interval(args.every) if args.every else parse_crontab(args.cron)
    arguments = parse_json(args.args, list, "--args")
    keyword_arguments = parse_json(args.kwargs, dict, "--kwargs")
    store.add(args.name, args.task, when, arguments, keyword_arguments)
    print(f"Added {args.name}: {args.task}, {describe(when)}")
    return 0


def change_entry(store: ScheduleStore, command: str, name: str) -> int:
    try:
        if command == "remove":
            store.remove(name)
        else:
            store.set_enabled(name, command == "resume")
    except UnknownEntry:
        raise UsageError(f"no schedule entry named {name!r}") from None
    print(f"{DONE[command]} {name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.schedule", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="print every entry and its next run (the default)")
    run = commands.add_parser("run", help="send a task now and print its result")
    run.add_argument("name", help="a schedule entry name, or a task name")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the result")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    try:
        store = open_schedule_store()
        if args.command == "run":
            return run_now(store, args.name, args.timeout)
        if args.command == "add":
            return add_entry(store, args)
        if args.command in DONE:
            return change_entry(store, args.command, args.name)
        print_schedule(store)
    except (UsageError, ChangeRefused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except RedisError as exc:
        print(f"error: cannot reach Redis ({exc})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
