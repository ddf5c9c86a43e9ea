"""The schedule beat runs, for the schedule command: here django-celery-beat's tables.

The same rows the admin edits. Saving or deleting one flags the change, and
a running beat reloads within its loop interval, without a restart.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import QuerySet
from django_celery_beat.models import PeriodicTask

from .beat_schedule import MONITORING
from .entries import ChangeRefused, Entry, LastRun, Monitoring, StoreUnavailable, UnknownEntry
from .schedule_sync import stored_schedule

# A PeriodicTask's schedule is in one of these rows.
SCHEDULE_ROWS = ("interval", "crontab", "solar", "clocked")
# What as_entry reads of a PeriodicTask, besides its schedule and monitoring.
ENTRY_COLUMNS = (
    "name",
    "task",
    "args",
    "kwargs",
    "enabled",
    "last_run_at",
    "date_changed",
    "expire_seconds",
)


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
            tasks = list(_with_monitoring().order_by("name"))
        # Entries share schedule rows (the admin and sync_periodic_tasks reuse
        # them): each row's Celery schedule is built once, not once per entry.
        schedules: dict[tuple[type, int], BaseSchedule] = {}
        entries = []
        for task in tasks:
            row = (type(task.scheduler), task.scheduler.pk)
            if row not in schedules:
                schedules[row] = task.schedule
            entries.append(as_entry(task, schedules[row]))
        return entries

    def find(self, name: str) -> Entry | None:
        with _database_errors():
            task = _with_monitoring().filter(name=name).first()
            return None if task is None else as_entry(task)

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


def _with_monitoring() -> "QuerySet[PeriodicTask]":
    # Only the columns an Entry is made of; each row's monitoring in the same
    # query; the schedule rows in one query each, one object per row that the
    # entries share (one query per entry otherwise, some 8 s for 10,000).
    return (
        PeriodicTask.objects.only(*ENTRY_COLUMNS, *SCHEDULE_ROWS, "monitoring")
        .select_related("monitoring")
        .prefetch_related(*SCHEDULE_ROWS)
    )


def monitoring_of(task: PeriodicTask) -> Monitoring:
    """What the admin sets for the task, field by field, else what the code sets."""
    code = MONITORING.get(task.name, Monitoring())
    set_here = getattr(task, "monitoring", None)
    if set_here is None:
        return code
    grace = set_here.grace_seconds
    return Monitoring(
        grace=code.grace if grace is None else timedelta(seconds=grace),
        failing_after=set_here.failing_after or code.failing_after,
    )


def _load(name: str) -> PeriodicTask:
    try:
        return PeriodicTask.objects.get(name=name)
    except PeriodicTask.DoesNotExist:
        raise UnknownEntry(name) from None


def as_entry(task: PeriodicTask, schedule: BaseSchedule | None = None) -> Entry:
    """The task as an entry; ``schedule``, if given, is its row's schedule, built already."""
    return Entry(
        name=task.name,
        task=task.task,
        schedule=task.schedule if schedule is None else schedule,
        args=json.loads(task.args or "[]"),
        kwargs=json.loads(task.kwargs or "{}"),
        enabled=task.enabled,
        last_run=LastRun(task.last_run_at),
        expires=None if task.expire_seconds is None else timedelta(seconds=task.expire_seconds),
        monitoring=monitoring_of(task),
        # As django-celery-beat counts a task that never ran: from its last change.
        counts_from=None if task.last_run_at else task.date_changed,
    )


def open_store(app: Celery) -> DatabaseStore:
    return DatabaseStore(app)
