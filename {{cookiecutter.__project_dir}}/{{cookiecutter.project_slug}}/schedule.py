"""The schedule command: ``python -m {{ cookiecutter.project_slug }}.schedule``.

``list`` (the default) prints every entry: its task, its schedule in words,
whether it is enabled, its status (ok, overdue, failing, paused, never ran)
and last outcome from the run ledger, and its last and next run in the
project time zone. ``history NAME`` prints an entry's recent runs. ``run
NAME`` sends an entry's task (or any task, by name) now, waits for a worker
to run it and prints how the run ended. ``add``, ``pause``, ``resume`` and
``remove`` change the schedule a running beat reads, which applies the
change within its loop interval, without a restart; where the schedule is
code (the file scheduler) they say so and change nothing.

The command is only the command: the entries come from this scheduler's
``schedule_store``, their words and times from ``timetable``, their runs
from ``ledger`` and their status from ``job_status``.
"""

import argparse
import gc
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from celery.exceptions import TimeoutError as ResultTimeout
from celery.schedules import ParseException, crontab, schedule
from redis.exceptions import RedisError

from . import ledger
from .celery_app import app
from .entries import ChangeRefused, Entry, ScheduleStore, StoreUnavailable, UnknownEntry
from .job_status import JobState, Status, as_time, judge
from .jobs import Job, by_name, collector_paused, jobs_of, open_schedule_store
from .ledger import FINAL_OUTCOMES, Summary
from .redis_client import quick_redis
from .run_events import send_by_hand
from .timetable import describe, describe_last_run, format_time, next_run

INTERVAL_TEXT = re.compile(r"(\d+)\s*(s|m|h|d)")
INTERVAL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# The longest interval: a run further apart than a year is a crontab's job.
LONGEST_INTERVAL = timedelta(days=366)
# The longest name every scheduler can keep (django-celery-beat's column).
LONGEST_NAME = 200
DONE = {"pause": "Paused", "resume": "Resumed", "remove": "Removed"}


class UsageError(ValueError):
    """Bad input on the command line: printed as one line, exit status 2."""


def describe_status(state: JobState, summary: Summary, zone: tzinfo) -> str:
    if state.status is Status.FAILING:
        return f"failing ({summary.consecutive_failures} failed runs in a row)"
    if state.status is Status.OVERDUE and state.due_at is not None:
        return f"overdue (was due {format_time(state.due_at, zone)})"
    return str(state.status)


def describe_outcome(summary: Summary, zone: tzinfo) -> str:
    """The last run's outcome: "succeeded at <time> in 0.2 s", or "-"."""
    ended_at = as_time(summary.last_outcome_at)
    if summary.last_outcome is None or ended_at is None:
        return "-"
    words = f"{summary.last_outcome} at {format_time(ended_at, zone)}"
    if summary.last_duration is not None:
        words += f" in {summary.last_duration:.3g} s"
    if summary.last_error:
        words += f": {summary.last_error}"
    return words


def entry_lines(entry: Entry, job: Job | None, now: datetime, zone: tzinfo) -> list[str]:
    upcoming = next_run(entry.schedule, now, entry.next_run_after) if entry.enabled else None
    if job is None:
        status = ["  status:   unknown (Redis is unreachable)"]
    else:
        status = [
            f"  status:   {describe_status(job.state, job.summary, zone)}",
            f"  outcome:  {describe_outcome(job.summary, zone)}",
        ]
    return [
        "",
        entry.name,
        f"  task:     {entry.task}",
        f"  when:     {describe(entry.schedule)}",
        f"  enabled:  {'yes' if entry.enabled else 'no (paused)'}",
        *status,
        f"  last run: {describe_last_run(entry.last_run, zone)}",
        f"  next run: {format_time(upcoming, zone) if upcoming else '-'}",
    ]


def print_schedule(store: ScheduleStore) -> None:
    now = app.now()
    zone = app.timezone
    with collector_paused():
        entries = by_name(store.entries())
        try:
            jobs: list[Job | None] = list(jobs_of(entries, now))
        except RedisError:
            jobs = [None] * len(entries)  # still listed; only what became of the runs is not
        lines = [f"Time zone: {zone}"]
        for entry, job in zip(entries, jobs, strict=True):
            lines += entry_lines(entry, job, now, zone)
    notes = store.notes()
    if notes:
        lines += ["", *notes]
    # One write, not a print per line: 10,000 entries are 80,000 lines.
    print("\n".join(lines))


def run_fate(run: dict[str, Any], now: float) -> str:
    """How a run ended, or where it is: its outcome, or "running", "waiting", "expired"."""
    if run.get("outcome"):
        return str(run["outcome"])
    if run.get("started_at"):
        return "running"
    expires_at = run.get("expires_at")
    if expires_at is not None and now > expires_at:
        return "expired (no worker started it)"
    return "waiting for a worker"


def print_history(store: ScheduleStore, name: str) -> None:
    entry = store.find(name)
    if entry is None:
        raise UsageError(f"no schedule entry named {name!r}")
    runs = ledger.history(name)
    zone = app.timezone
    summary = ledger.summaries([name])[name]
    state = judge(entry, summary, app.now())
    print(f"{name}: {describe_status(state, summary, zone)}")
    counts = ", ".join(f"{count} {outcome}" for outcome, count in (summary.runs or {}).items())
    print(f"Runs ended: {counts or 'none yet'}")
    if summary.missed_writes:
        print(f"The ledger missed {summary.missed_writes} writes (Redis was unreachable)")
    print(f"\nLast {len(runs)} runs, newest first, by due time in {zone}:")
    now = time.time()
    for run in runs:
        due = as_time(run.get("due_at") or run.get("sent_at"))
        duration = run.get("duration")
        took = f"{duration:.3g} s" if duration is not None else "-"
        line = f"{format_time(due, zone) if due else '-'}  {run_fate(run, now):<9} {took:>10}"
        line += f"  sent by {run.get('sent_by', '?')}"
        if run.get("started_at") and run.get("sent_at"):
            line += f", waited {run['started_at'] - run['sent_at']:.3g} s for a worker"
        print(line)
        if run.get("error"):
            print(f"    {run['error']}")
    if not runs:
        print("none yet")


def find_entry(store: ScheduleStore, name: str) -> tuple[str, Sequence[Any], dict[str, Any]] | None:
    """The (task, args, kwargs) of the schedule entry called ``name``."""
    entry = store.find(name)
    if entry is not None:
        return entry.task, entry.args, entry.kwargs
    code_entry = app.conf.beat_schedule.get(name)
    if code_entry:
        return code_entry["task"], code_entry.get("args", ()), code_entry.get("kwargs", {})
    return None


def find_task(name: str) -> str | None:
    """The full name of the task called ``name`` (or just its function's name)."""
    return next(
        (task for task in app.tasks if name in (task, task.rpartition(".")[2])),
        None,
    )


def run_entry(name: str, task_name: str, args: Any, kwargs: Any, timeout: float) -> int:
    """Send a run of entry ``name``, and report how it ended, from the run ledger."""
    result = send_by_hand(app, name, task_name, args, kwargs, {})
    print(f"Sent {name} ({task_name}) as {result.id}; waiting up to {timeout} s", file=sys.stderr)
    deadline = time.monotonic() + timeout
    while (run := ledger.run(name, result.id)) is None or run.get("outcome") not in FINAL_OUTCOMES:
        if time.monotonic() > deadline:
            where = "no worker started it" if not (run or {}).get("started_at") else "still running"
            print(f"error: {name} did not finish within {timeout} s ({where})", file=sys.stderr)
            return 1
        time.sleep(0.1)
    report = {key: run[key] for key in ("outcome", "duration", "error", "worker") if run.get(key)}
    print(json.dumps({"entry": name, "task": task_name, "id": result.id, **report}))
    return 0 if run["outcome"] == "succeeded" else 1


def run_task(name: str, timeout: float) -> int:
    """Send task ``name``, which is no schedule entry's, and print its result if it keeps one."""
    task_name = find_task(name)
    if task_name is None:
        raise UsageError(f"no schedule entry or task named {name!r}")
    result = app.send_task(task_name)
    if app.tasks[task_name].ignore_result:
        print(json.dumps({"task": task_name, "id": result.id, "state": "SENT"}))
        print(f"{task_name} keeps no result: its worker's log says how it went", file=sys.stderr)
        return 0
    print(f"Sent {task_name} as {result.id}; waiting up to {timeout} s", file=sys.stderr)
    try:
        value = result.get(timeout=timeout, propagate=False)
    except ResultTimeout:
        print(f"error: no result within {timeout} s: is a worker running?", file=sys.stderr)
        return 1
    print(json.dumps({"task": task_name, "state": result.state, "result": value}, default=str))
    return 0 if result.successful() else 1


def ping_redis() -> None:
    """Raise RedisError unless Redis answers at once.

    Before a send: Celery would retry the connection some 20 times over 20 s,
    then end in a traceback. (A store in Redis fails as fast on its own; the
    database's does not touch Redis.)
    """
    client = quick_redis()
    try:
        client.ping()
    finally:
        client.close()


def run_now(store: ScheduleStore, name: str, timeout: float) -> int:
    found = find_entry(store, name)
    if found is not None:
        return run_entry(name, *found, timeout=timeout)
    return run_task(name, timeout)


def parse_interval(text: str) -> schedule:
    """``"90s"``, ``"10m"``, ``"2h"`` or ``"1d"`` as an interval schedule."""
    match = INTERVAL_TEXT.fullmatch(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise UsageError(f"{text!r} is not an interval like 30s, 10m, 2h or 1d")
    count, unit = int(match[1]), INTERVAL_UNITS[match[2]]
    # Compared before a timedelta is made: 999999999d overflows one.
    if count * timedelta(**{unit: 1}).total_seconds() > LONGEST_INTERVAL.total_seconds():
        raise UsageError(f"{text!r} is longer than a year; use --cron")
    return schedule(timedelta(**{unit: count}), app=app)


def parse_name(text: str) -> str:
    """An entry's name: some visible text, on one line, of at most LONGEST_NAME characters."""
    if not text.strip():
        raise UsageError("an entry's name cannot be empty")
    if len(text) > LONGEST_NAME:
        raise UsageError(f"an entry's name must be at most {LONGEST_NAME} characters")
    if not text.isprintable():
        raise UsageError(f"{text!r} holds a character that does not print (a newline, a tab)")
    return text


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
    name = parse_name(args.name)
    when = parse_interval(args.every) if args.every is not None else parse_crontab(args.cron)
    arguments = parse_json(args.args, list, "--args")
    keyword_arguments = parse_json(args.kwargs, dict, "--kwargs")
    store.add(name, args.task, when, arguments, keyword_arguments)
    ledger.watch([name], restart=True)
    print(f"Added {name}: {args.task}, {describe(when)}")
    return 0


def change_entry(store: ScheduleStore, command: str, name: str) -> int:
    try:
        if command == "remove":
            store.remove(name)
            ledger.forget(name)
        else:
            store.set_enabled(name, command == "resume")
            if command == "resume":
                # Not overdue for the time it was paused.
                ledger.watch([name], restart=True)
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
    history = commands.add_parser("history", help="print an entry's recent runs")
    history.add_argument("name", help="a schedule entry name")
    run = commands.add_parser("run", help="send a task now and print how its run ended")
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
        if args.command == "history":
            print_history(store, args.name)
            return 0
        if args.command == "run":
            ping_redis()
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
    exit_code = main()
    # As Python ends, it looks for garbage more than once through every
    # object still alive, and Celery's imports (and Django's) made tens of
    # thousands: some 0.2 s, to free memory the ending process hands back
    # anyway. Frozen, they are left out.
    gc.freeze()
    sys.exit(exit_code)
