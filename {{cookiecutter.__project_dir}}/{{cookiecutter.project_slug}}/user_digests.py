"""Schedules that are data, not code: a daily digest each user sets for themselves.

A task per user cannot live in BEAT_SCHEDULE, so each one is a row in
django-celery-beat's table, created, paused and removed by the code below
(from a settings page, say). Beat picks every change up within seconds,
without a restart.
"""

import json

from django.contrib.auth.models import AbstractBaseUser
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .settings import settings

# By name: the web process that calls these need not load the Celery app.
DIGEST_TASK = f"{__package__}.tasks.digests.send_daily_digest"


def digest_task_name(user: AbstractBaseUser) -> str:
    return f"daily-digest:user-{user.pk}"


def schedule_daily_digest(user: AbstractBaseUser, hour: int, minute: int = 0) -> PeriodicTask:
    """Send ``user`` a digest every day at ``hour:minute``, project time; returns the task.

    Calling it again moves the digest to the new time and enables it.
    """
    at_time, _ = CrontabSchedule.objects.get_or_create(
        minute=str(minute),
        hour=str(hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.timezone,
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=digest_task_name(user),
        defaults={
            "task": DIGEST_TASK,
            "crontab": at_time,
            "kwargs": json.dumps({"user_id": user.pk}),
            "enabled": True,
            # A digest that could not go out within the hour is skipped,
            # not sent late.
            "expire_seconds": 60 * 60,
            "description": f"Daily digest for {user}",
        },
    )
    return task


def pause_daily_digest(user: AbstractBaseUser) -> None:
    """Stop sending the digest, keeping its time for when it is resumed."""
    task = PeriodicTask.objects.filter(name=digest_task_name(user)).first()
    if task is not None and task.enabled:
        task.enabled = False
        task.save()  # save(), not update(): saving is what tells beat


def remove_daily_digest(user: AbstractBaseUser) -> bool:
    """Delete the user's digest schedule; returns True if there was one."""
    deleted, _ = PeriodicTask.objects.filter(name=digest_task_name(user)).delete()
    return bool(deleted)
