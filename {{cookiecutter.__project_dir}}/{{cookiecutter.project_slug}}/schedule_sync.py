"""Bringing django-celery-beat's periodic tasks in line with BEAT_SCHEDULE.

The code schedule is the seed: ``manage.py sync_periodic_tasks`` creates the
entries it defines and updates them when the code changes. The database is
where an operator switches an entry off or on in the admin, and a sync keeps
that choice unless told to reset it. Entries the sync created say so in their
description; only those can be pruned when they leave the code, so a task
someone scheduled in the admin or from code at runtime is never touched.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule, crontab, schedule, solar
from django.db import models, transaction
from django_celery_beat.models import (
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
    SolarSchedule,
)

from .typing_gaps import as_schedule

FROM_CODE = "From BEAT_SCHEDULE (beat_schedule.py): change it there and run sync_periodic_tasks."

# Each schedule type, the model that stores it (untyped, as django-celery-beat
# is), and the PeriodicTask field that holds it; an entry sets one.
SCHEDULE_FIELDS: tuple[tuple[type[BaseSchedule], Any, str], ...] = (
    (crontab, CrontabSchedule, "crontab"),
    (solar, SolarSchedule, "solar"),
    (schedule, IntervalSchedule, "interval"),
)


@dataclass
class SyncReport:
    """What a sync did, entry by entry name."""

    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # name: the fields that changed
    unchanged: list[str] = field(default_factory=list)
    kept_disabled: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.pruned)


def stored_schedule(value: BaseSchedule | timedelta, app: Celery) -> tuple[str, models.Model]:
    """The saved CrontabSchedule, SolarSchedule or IntervalSchedule row for a schedule."""
    when = as_schedule(value, app)
    for schedule_type, model, field_name in SCHEDULE_FIELDS:
        if isinstance(when, schedule_type):
            row: models.Model = model.from_schedule(when)  # an existing row, or a new unsaved one
            if row.pk is None:
                row.save()
            return field_name, row
    raise TypeError(f"cannot store a schedule of type {type(when).__name__}")


def fields_from_entry(entry: dict[str, Any], app: Celery) -> dict[str, Any]:
    """The PeriodicTask field values that a BEAT_SCHEDULE entry stands for."""
    options = entry.get("options", {})
    field_name, row = stored_schedule(entry["schedule"], app)
    fields = {
        "task": entry["task"],
        "args": json.dumps(list(entry.get("args", ()))),
        "kwargs": json.dumps(entry.get("kwargs", {}), sort_keys=True),
        # django-celery-beat takes a relative expiry as expire_seconds.
        "expire_seconds": options.get("expires"),
        "queue": options.get("queue"),
        "priority": options.get("priority"),
        "description": FROM_CODE,
        **{name: None for _, _, name in SCHEDULE_FIELDS},
    }
    fields[field_name] = row
    return fields


def _differences(task: PeriodicTask, fields: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in fields.items() if getattr(task, name) != value)


@transaction.atomic
def sync_periodic_tasks(
    beat_schedule: dict[str, dict[str, Any]],
    app: Celery,
    *,
    prune: bool = False,
    reset_enabled: bool = False,
) -> SyncReport:
    """Create and update the periodic tasks of ``beat_schedule``; report what changed.

    ``prune`` deletes the entries a sync created that are no longer in the
    code. ``reset_enabled`` enables the code's entries an operator disabled.
    """
    report = SyncReport()
    existing = {task.name: task for task in PeriodicTask.objects.all()}
    for name, entry in beat_schedule.items():
        fields = fields_from_entry(entry, app)
        task = existing.get(name)
        if task is None:
            PeriodicTask.objects.create(name=name, enabled=True, **fields)
            report.created.append(name)
            continue
        changed = _differences(task, fields)
        if reset_enabled and not task.enabled:
            fields["enabled"] = True
            changed.append("enabled")
        elif not task.enabled:
            report.kept_disabled.append(name)
        if changed:
            for field_name, value in fields.items():
                setattr(task, field_name, value)
            task.save()
            report.updated[name] = changed
        else:
            report.unchanged.append(name)
    if prune:
        leftovers = [
            task
            for name, task in existing.items()
            if name not in beat_schedule and task.description == FROM_CODE
        ]
        for task in leftovers:
            task.delete()
            report.pruned.append(task.name)
    if report.changed:
        # Saving a task flags the change for beat, but not every bulk path
        # does; flagging once more makes a running beat reload for certain.
        PeriodicTasks.update_changed()
    return report
