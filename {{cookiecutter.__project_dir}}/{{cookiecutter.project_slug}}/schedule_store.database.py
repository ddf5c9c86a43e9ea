"""The schedule as beat runs it, for the schedule command: here, django-celery-beat's tables.

The same rows the admin edits. Saving or deleting one flags the change, and
a running beat reloads within its loop interval, without a restart.
"""

import json

from django_celery_beat.models import PeriodicTask

from .schedule_sync import stored_schedule


class UnknownEntry(LookupError):
    pass


def _as_row(task):
    return {
        "name": task.name,
        "task": task.task,
        "schedule": task.schedule,
        "args": json.loads(task.args or "[]"),
        "kwargs": json.loads(task.kwargs or "{}"),
        "enabled": task.enabled,
        "last_run_at": task.last_run_at,
    }


def _load(name):
    try:
        return PeriodicTask.objects.get(name=name)
    except PeriodicTask.DoesNotExist:
        raise UnknownEntry(name) from None


def entries(app):
    """Every entry: name, task, schedule, args, kwargs, enabled and last_run_at."""
    return [_as_row(task) for task in PeriodicTask.objects.order_by("name")]


def find(app, name):
    task = PeriodicTask.objects.filter(name=name).first()
    return None if task is None else _as_row(task)


def add(app, name, task, schedule, args, kwargs):
    if PeriodicTask.objects.filter(name=name).exists():
        raise ValueError(f"an entry named {name!r} exists already")
    field_name, row = stored_schedule(schedule, app)
    PeriodicTask.objects.create(
        name=name, task=task, args=json.dumps(args), kwargs=json.dumps(kwargs), **{field_name: row}
    )


def set_enabled(app, name, enabled):
    task = _load(name)
    task.enabled = enabled
    task.save()  # save(), not update(): saving is what tells beat


def remove(app, name):
    _load(name).delete()
