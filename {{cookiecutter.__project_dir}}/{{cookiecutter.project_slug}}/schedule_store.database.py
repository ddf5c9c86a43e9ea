"""The schedule beat runs, for the schedule command: here django-celery-beat's tables.

The same rows the admin edits. Saving or deleting one flags the change, and
a running beat reloads within its loop interval, without a restart.
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from celery import Celery
from celery.schedules import BaseSchedule
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import F, QuerySet
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from .beat_schedule import MONITORING
from .entries import ChangeRefused, Entry, LastRun, Monitoring, StoreUnavailable, UnknownEntry
from .schedule_sync import stored_schedule

# A PeriodicTask's schedule is a row of one of these, the first it names (as
# its ``scheduler`` picks it), by the column that holds the row's id.
ScheduleRow = IntervalSchedule | CrontabSchedule | SolarSchedule | ClockedSchedule
SCHEDULE_MODELS: dict[str, type[ScheduleRow]] = {
    "interval_id": IntervalSchedule,
    "crontab_id": CrontabSchedule,
    "solar_id": SolarSchedule,
    "clocked_id": ClockedSchedule,
}


class TaskColumns(Protocol):
    """What an Entry is made of, of a PeriodicTask: a model object's or a listed row's."""

    @property
    def name(self) -> str: ...

    @property
    def task(self) -> str: ...

    @property
    def args(self) -> str: ...

    @property
    def kwargs(self) -> str: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def last_run_at(self) -> datetime | None: ...

    @property
    def date_changed(self) -> datetime: ...

    @property
    def expire_seconds(self) -> int | None: ...


class ListedTask(NamedTuple):
    """A PeriodicTask as the store lists it: its columns, its monitoring's, its schedule's id."""

    name: str
    task: str
    args: str
    kwargs: str
    enabled: bool
    last_run_at: datetime | None
    date_changed: datetime
    expire_seconds: int | None
    # The task's EntryMonitoring, None where it has none or leaves a field blank.
    grace_seconds: int | None
    failing_after: int | None
    interval_id: int | None
    crontab_id: int | None
    solar_id: int | None
    clocked_id: int | None


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except DatabaseError as exc:
        # A long-lived reader (the metrics endpoint) would otherwise keep a
        # broken connection: Django reconnects only once it is closed.
        close_old_connections()
        raise StoreUnavailable(
            f"cannot read the schedule ({exc}); has `make migrate` run?"
        ) from None


class DatabaseStore:
    """django-celery-beat's PeriodicTask rows."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def entries(self) -> list[Entry]:
        with _database_errors():
            tasks = _listed_tasks(PeriodicTask.objects.order_by("name"))
            schedules = _schedules(tasks)
        return [_listed_entry(task, schedules) for task in tasks]

    def find(self, name: str) -> Entry | None:
        with _database_errors():
            tasks = _listed_tasks(PeriodicTask.objects.filter(name=name))
            schedules = _schedules(tasks)
        return _listed_entry(tasks[0], schedules) if tasks else None

    def add(
        self, name: str, task: str, schedule: BaseSchedule, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        # One transaction: a task that cannot be stored leaves no schedule row behind.
        with _database_errors(), transaction.atomic():
            if PeriodicTask.objects.filter(name=name).exists():
                raise ChangeRefused(f"an entry named {name!r} exists already")
            field_name, row = stored_schedule(schedule, self.app)
            PeriodicTask.objects.create(
                name=name,
                task=task,
                args=json.dumps(args),
                kwargs=json.dumps(kwargs),
                **{field_name: row},
            )

    def set_enabled(self, name: str, enabled: bool) -> None:
        with _database_errors():
            task = _load(name)
            task.enabled = enabled
            task.save()  # save(), not update(): saving is what tells beat

    def remove(self, name: str) -> None:
        with _database_errors():
            _load(name).delete()

    def notes(self) -> list[str]:
        with _database_errors():
            stored = set(PeriodicTask.objects.values_list("name", flat=True))
        missing = [name for name in self.app.conf.beat_schedule if name not in stored]
        if not missing:
            return []
        return [
            f"In beat_schedule.py but not in the database yet: {', '.join(missing)}",
            "`make migrate` (manage.py sync_periodic_tasks) adds them.",
        ]


def _listed_tasks(tasks: "QuerySet[PeriodicTask]") -> list[ListedTask]:
    """The tasks' columns, each task's monitoring in the same query.

    Rows, not model objects: making 10,000 PeriodicTasks (and fetching their
    schedules through them) took longer than the rest of the listing.
    """
    rows = tasks.annotate(
        grace_seconds=F("monitoring__grace_seconds"),
        failing_after=F("monitoring__failing_after"),
    ).values_list(*ListedTask._fields)
    return [ListedTask._make(row) for row in rows]


def _schedule_row(task: ListedTask) -> tuple[str, int]:
    """Which schedule row the task runs on: the column that names it, and its id."""
    for column in SCHEDULE_MODELS:
        row_id = getattr(task, column)
        if row_id is not None:
            return column, row_id
    raise ValueError(f"the periodic task {task.name!r} has no schedule")


def _schedules(tasks: Iterable[ListedTask]) -> dict[tuple[str, int], BaseSchedule]:
    """The Celery schedule of each schedule row the tasks run on, by ``_schedule_row``.

    Entries share schedule rows (the admin and sync_periodic_tasks reuse
    them): each row is read in one query per kind and its schedule built
    once, not once per entry.
    """
    wanted: dict[str, set[int]] = {column: set() for column in SCHEDULE_MODELS}
    for task in tasks:
        column, row_id = _schedule_row(task)
        wanted[column].add(row_id)
    return {
        (column, row_id): row.schedule
        for column, row_ids in wanted.items()
        if row_ids
        for row_id, row in SCHEDULE_MODELS[column].objects.in_bulk(row_ids).items()
    }


def _listed_entry(task: ListedTask, schedules: dict[tuple[str, int], BaseSchedule]) -> Entry:
    monitoring = monitoring_of(task.name, task.grace_seconds, task.failing_after)
    return _entry(task, schedules[_schedule_row(task)], monitoring)


def monitoring_of(name: str, grace_seconds: int | None, failing_after: int | None) -> Monitoring:
    """What the admin sets for the task (None: a field left blank), else what the code sets."""
    code = MONITORING.get(name, Monitoring())
    return Monitoring(
        grace=code.grace if grace_seconds is None else timedelta(seconds=grace_seconds),
        failing_after=failing_after or code.failing_after,
    )


def _load(name: str) -> PeriodicTask:
    try:
        return PeriodicTask.objects.get(name=name)
    except PeriodicTask.DoesNotExist:
        raise UnknownEntry(name) from None


def as_entry(task: PeriodicTask) -> Entry:
    """The task as an entry (the admin's rows are model objects)."""
    set_here = getattr(task, "monitoring", None)
    monitoring = monitoring_of(
        task.name,
        set_here.grace_seconds if set_here else None,
        set_here.failing_after if set_here else None,
    )
    return _entry(task, task.schedule, monitoring)


def _entry(task: TaskColumns, schedule: BaseSchedule, monitoring: Monitoring) -> Entry:
    return Entry(
        name=task.name,
        task=task.task,
        schedule=schedule,
        args=json.loads(task.args or "[]"),
        kwargs=json.loads(task.kwargs or "{}"),
        enabled=task.enabled,
        last_run=LastRun(task.last_run_at),
        expires=None if task.expire_seconds is None else timedelta(seconds=task.expire_seconds),
        monitoring=monitoring,
        # As django-celery-beat counts a task that never ran: from its last change.
        counts_from=None if task.last_run_at else task.date_changed,
    )


def open_store(app: Celery) -> DatabaseStore:
    return DatabaseStore(app)
