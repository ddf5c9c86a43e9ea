"""What a send costs beat, in Redis commands and time, per scheduler.

    .venv/bin/python send_cost.py SLUG

Run from the project's root with its interpreter; prints one JSON object.
The project's scheduler class writes each run down in the store every beat
shares, and confirms its leader lock, just before it sends: this measures
what that adds. The project's class and the upstream class it extends (the
reference) are each made in this process, against a private redis-server
(and, in a Django project, a fresh SQLite database), on a schedule of one
entry due every second. A frozen clock (time-machine) moves on a second
before each tick, so that every tick sends that entry, as beat's loop does;
nothing else talks to that Redis.

- ``round_trips_per_send``: the requests this process sent Redis during a
  tick (a pipeline, or a Lua script, is one), counted where redis-py sends
  them, for every client in the process: the lock's, the task message's.
- ``commands_per_send``: the commands Redis processed during a tick, by its
  own count (INFO stats, less the INFO calls around it), a script's own
  commands among them, and which ones (INFO commandstats). Sending the
  task's message is among them, for both.
- ``tick_us``: the tick's wall time (``time.perf_counter``, which the frozen
  clock leaves alone), median and 99th percentile: the time beat spends per
  send, publishing the message included.

The first WARM_UP_SENDS ticks, which open the connections, are not counted.
"""

import importlib
import json
import statistics
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from time import perf_counter

import project_under_test
from celery.utils.imports import symbol_by_name
from project_under_test import fresh_case, scheduler_support
from stock_schedulers import STOCK_SCHEDULERS, project_scheduler

SENDS = 200
WARM_UP_SENDS = 5
START = datetime(2026, 6, 1, 12, tzinfo=UTC)


def commands_processed(client):
    """Redis's count of every command it processed, and its count per command."""
    total = client.info("stats")["total_commands_processed"]
    per_command = {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in client.info("commandstats").items()
    }
    return total, per_command


@contextmanager
def counting_round_trips():
    """A one-item list holding how many requests this process has sent Redis so far."""
    from redis.connection import AbstractConnection

    send = AbstractConnection.send_packed_command
    sent = [0]

    def counted(connection, command, check_health=True):
        sent[0] += 1
        return send(connection, command, check_health)

    AbstractConnection.send_packed_command = counted
    try:
        yield sent
    finally:
        AbstractConnection.send_packed_command = send


@contextmanager
def stock_scheduler(kind, app, folder):
    """The upstream class the project's scheduler extends, made here, closed after."""
    scheduler_class = symbol_by_name(STOCK_SCHEDULERS[kind])
    if kind == "file":
        scheduler = scheduler_class(app=app, schedule_filename=str(folder / "stock-schedule"))
    else:
        scheduler = scheduler_class(app=app)
    try:
        yield scheduler
    finally:
        scheduler.close()


def measure_sends(make_scheduler, folder, client, start):
    """Tick ``make_scheduler(folder)`` once a (frozen) second from ``start``; what each costs."""
    import time_machine

    round_trips: list[int] = []
    commands: list[int] = []
    tick_us: list[float] = []
    per_command: dict[str, int] = {}
    with (
        counting_round_trips() as sent,
        time_machine.travel(start, tick=False) as clock,
        make_scheduler(folder) as scheduler,
    ):
        for tick in range(WARM_UP_SENDS + SENDS):
            clock.shift(timedelta(seconds=1))
            total_before, before = commands_processed(client)
            sent_before, started = sent[0], perf_counter()
            scheduler.tick()
            elapsed, tick_round_trips = perf_counter() - started, sent[0] - sent_before
            # The count after the tick includes the two INFO calls before it.
            total_after, after = commands_processed(client)
            if tick < WARM_UP_SENDS:
                continue
            round_trips.append(tick_round_trips)
            commands.append(total_after - total_before - 2)
            tick_us.append(elapsed * 1e6)
            for name, calls in after.items():
                if name != "info":
                    per_command[name] = per_command.get(name, 0) + calls - before.get(name, 0)
    return {
        "sends": SENDS,
        "round_trips_per_send": round(statistics.mean(round_trips), 2),
        "commands_per_send": round(statistics.mean(commands), 2),
        "commands": {name: round(calls / SENDS, 2) for name, calls in per_command.items() if calls},
        "tick_us_p50": round(statistics.median(tick_us)),
        "tick_us_p99": round(statistics.quantiles(tick_us, n=100, method="inclusive")[98]),
    }


def measure(slug, workdir):
    app = importlib.import_module(f"{slug}.celery_app").app
    kind = project_scheduler(app)[1]
    heartbeat = app.conf.beat_schedule["heartbeat"]
    app.conf.beat_schedule = {"heartbeat": {**heartbeat, "schedule": timedelta(seconds=1)}}
    client = importlib.import_module(f"{slug}.redis_client").get_redis()
    cases = {
        "project": lambda folder: scheduler_support().scheduler_in_this_process(folder),
        "stock": lambda folder: stock_scheduler(kind, app, folder),
    }
    figures = {"scheduler": kind}
    for day, (case, make_scheduler) in enumerate(cases.items()):
        folder = workdir / case
        fresh_case(folder, {})
        # A day later than the case before: the database keeps the last runs
        # that case recorded, and the entry must not look run in the future.
        start = START + timedelta(days=day)
        figures[case] = measure_sends(make_scheduler, folder, client, start)
    return figures


def main(slug):
    with project_under_test.private_services("bench-send-cost-") as workdir:
        figures = measure(slug, workdir)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
