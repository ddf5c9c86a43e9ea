"""The schedule as beat runs it, for the schedule command: here, BEAT_SCHEDULE.

With the file scheduler the schedule is code, so it is changed in code, not
at runtime. When each entry last ran is in beat's state file, which beat
keeps open while it runs; the scheduler also records it in Redis
(``record_last_run``), and that is what the command reads.
"""

from datetime import datetime

from celery.schedules import maybe_schedule
from redis.exceptions import RedisError

from .redis_client import get_redis, key

LAST_RUN_KEY = key("schedule", "last_run")
LAST_RUN_UNKNOWN = "unknown (Redis is unreachable)"


def record_last_run(name, when):
    get_redis().hset(LAST_RUN_KEY, name, when.isoformat())


def find(app, name):
    return next((entry for entry in entries(app) if entry["name"] == name), None)


def entries(app):
    """Every entry: name, task, schedule, args, kwargs, enabled and last_run_at."""
    try:
        last_runs = get_redis().hgetall(LAST_RUN_KEY)
    except RedisError:
        last_runs = None  # the schedule is code and still listed; only its last runs are not
    for name, entry in app.conf.beat_schedule.items():
        if last_runs is None:
            last_run_at = LAST_RUN_UNKNOWN
        else:
            last_run = last_runs.get(name)
            last_run_at = datetime.fromisoformat(last_run) if last_run else None
        yield {
            "name": name,
            "task": entry["task"],
            "schedule": maybe_schedule(entry["schedule"], app=app),
            "args": list(entry.get("args", ())),
            "kwargs": entry.get("kwargs", {}),
            "enabled": True,
            "last_run_at": last_run_at,
        }
