"""Beat's settings for the redis scheduler: RedBeat, its schedule in Redis, and its client.

The scheduler's class is in ``scheduler``; ``celery_config`` adds these
settings to Celery's.
"""

from typing import Any

from celery import Celery
from redbeat.schedulers import REDBEAT_REDIS_KEY
from redbeat.schedulers import get_redis as redbeat_redis
from redis import Redis

from .redis_client import (
    CLIENT_OPTIONS,
    REDIS_CREDENTIALS,
    REDIS_DB,
    REDIS_URL_WITHOUT_CREDENTIALS,
    get_redis,
    key,
    sentinel_options,
)
from .settings import settings


def redbeat_connection() -> tuple[str, dict[str, Any]]:
    """RedBeat's ``redbeat_redis_url`` and ``redbeat_redis_options``: REDIS_URL or the sentinels.

    What RedBeat would connect with by itself; the project hands it its own
    client instead (``redbeat_client``).
    """
    options = {**CLIENT_OPTIONS, **REDIS_CREDENTIALS}
    if settings.redis_sentinels is None:
        return REDIS_URL_WITHOUT_CREDENTIALS, options
    sentinels = sentinel_options()
    return "redis-sentinel://", {
        **options,
        "sentinels": list(settings.redis_sentinels.addresses),
        "service_name": sentinels["master_name"],
        "sentinel_kwargs": sentinels["sentinel_kwargs"],
        "db": REDIS_DB,
    }


def redbeat_client(app: Celery) -> Redis:
    """RedBeat's Redis client for ``app``: the project's own, given to RedBeat before it makes one.

    One connection pool for the scheduler and the project. RedBeat's own
    Sentinel client would open a new pool, and a new connection, on every
    call it makes.
    """
    if getattr(app, REDBEAT_REDIS_KEY, None) is None:
        setattr(app, REDBEAT_REDIS_KEY, get_redis())
    client: Redis = redbeat_redis(app)
    return client


REDBEAT_URL, REDBEAT_OPTIONS = redbeat_connection()

BEAT_SETTINGS = {
    "beat_scheduler": f"{__package__}.scheduler:LeaderRedBeatScheduler",
    # Beat sleeps until the next entry is due, but never longer than this:
    # RedBeat reads the schedule from Redis on each wake-up, so a change made
    # there applies within this long. The leader lock (beat_leader) wakes it
    # more often still, to renew the lock.
    "beat_max_loop_interval": 5,
    # Its user and password apart, as for the broker (celery_config).
    "redbeat_redis_url": REDBEAT_URL,
    "redbeat_key_prefix": key("redbeat") + ":",
    "redbeat_redis_options": REDBEAT_OPTIONS,
    # RedBeat's own lock is off: the leader lock of beat_leader does its job,
    # and says which beat leads and which stands by.
    "redbeat_lock_key": None,
}

# Apps this scheduler adds to a Django project's INSTALLED_APPS: none.
DJANGO_APPS: list[str] = []
