"""A count of task outcomes per day, kept in Redis, and summed per week for the weekly report."""

import logging
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

import redis
from celery import Task
from celery.signals import task_postrun

from .redis_client import get_redis, key, text_map
from .settings import settings

logger = logging.getLogger(__name__)

# Long enough for a report about last week to be generated late.
RETENTION = timedelta(days=40)

# Each task name, and how many of its runs ended in each state.
Outcomes: TypeAlias = dict[str, dict[str, int]]


def today() -> date:
    """Today's date in the project time zone, the one schedules run in."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


def day_key(day: date) -> str:
    return key("activity", day.isoformat())


def count_outcome(task_name: str, state: str, day: date) -> None:
    """Add one to the count of ``task_name`` ending in ``state`` on ``day``."""
    pipe = get_redis().pipeline()
    pipe.hincrby(day_key(day), f"{task_name}:{state}", 1)
    pipe.expire(day_key(day), RETENTION)
    pipe.execute()


def outcomes_on(day: date) -> Outcomes:
    """Each task name mapped to its count per final state, on one day."""
    counts: Outcomes = {}
    for field, count in text_map(get_redis().hgetall(day_key(day))).items():
        task_name, _, state = field.rpartition(":")
        counts.setdefault(task_name, {})[state] = int(count)
    return counts


def previous_week(day: date) -> tuple[date, date]:
    """Monday and Sunday of the full week before the one ``day`` is in."""
    monday = day - timedelta(days=day.weekday() + 7)
    return monday, monday + timedelta(days=6)


def outcomes_in_week(monday: date) -> Outcomes:
    """Each task name mapped to its count per final state, over the seven days from ``monday``."""
    totals: Outcomes = {}
    for offset in range(7):
        for task_name, states in outcomes_on(monday + timedelta(days=offset)).items():
            counts = totals.setdefault(task_name, {})
            for state, count in states.items():
                counts[state] = counts.get(state, 0) + count
    return totals


def _count_finished_task(task: Task[Any, Any], state: str, **_: Any) -> None:
    try:
        count_outcome(task.name, state, today())
    except redis.RedisError as exc:
        # Bookkeeping must never fail the task it is counting.
        logger.warning("Could not record the outcome of %s: %s", task.name, exc)


def record_task_outcomes() -> None:
    """Count every task outcome in the process that calls this (the worker)."""
    task_postrun.connect(_count_finished_task, weak=False)
