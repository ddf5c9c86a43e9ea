"""Every schedule entry with what the run ledger says of it, for whoever reports on the jobs.

The schedule command, ``health jobs`` and the metrics endpoint all start
here: the entries from this scheduler's store, each one's ledger summary
(in two Redis round trips for them all) and its status (``job_status``).
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import redis

from . import ledger
from .entries import Entry, ScheduleStore
from .job_status import JobState, judge
from .ledger import Summary


def open_schedule_store() -> ScheduleStore:
    """This project's schedule store, with every task module imported.

    Imported as a worker imports them, the tasks can be sent or scheduled by
    name; in a Django project, importing them also sets Django up (Celery's
    Django support), which the database store needs before it loads.
    """
    from .celery_app import app

    app.loader.import_default_modules()  # first: in a Django project it sets Django up
    from .schedule_store import open_store

    return open_store(app)


@dataclass(frozen=True)
class Job:
    entry: Entry
    summary: Summary
    state: JobState


def all_jobs(store: ScheduleStore, now: datetime, client: redis.Redis | None = None) -> list[Job]:
    """Every entry of ``store``, by name, with its ledger summary and status at ``now``."""
    with collector_paused():
        return jobs_of(by_name(store.entries()), now, client)


def by_name(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda entry: entry.name)


def jobs_of(entries: list[Entry], now: datetime, client: redis.Redis | None = None) -> list[Job]:
    """These entries, in the order given, with their ledger summaries and status at ``now``."""
    summaries = ledger.summaries((entry.name for entry in entries), client)
    return [
        Job(entry, summaries[entry.name], judge(entry, summaries[entry.name], now))
        for entry in entries
    ]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the block, which reads (or lists) every entry.

    Each entry read makes a dozen objects that live on, and the collector
    goes through every object of the process each time their number grows
    by a quarter: a tenth of the time 10,000 entries took. They make no
    cycles, so it would find nothing to free.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
