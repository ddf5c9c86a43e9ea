"""Beat's settings for the redis scheduler: RedBeat, its schedule in Redis.

The scheduler's class is in ``scheduler``; ``celery_config`` adds these
settings to Celery's.
"""

from .redis_client import CLIENT_OPTIONS, REDIS_CREDENTIALS, REDIS_URL_WITHOUT_CREDENTIALS, key

BEAT_SETTINGS = {
    "beat_scheduler": f"{__package__}.scheduler:LeaderRedBeatScheduler",
    # Beat sleeps until the next entry is due, but never longer than this:
    # RedBeat reads the schedule from Redis on each wake-up, so a change made
    # there applies within this long. The leader lock (beat_leader) wakes it
    # more often still, to renew the lock.
    "beat_max_loop_interval": 5,
    # Its user and password apart, as for the broker (celery_config).
    "redbeat_redis_url": REDIS_URL_WITHOUT_CREDENTIALS,
    "redbeat_key_prefix": key("redbeat") + ":",
    "redbeat_redis_options": {**CLIENT_OPTIONS, **REDIS_CREDENTIALS},
    # RedBeat's own lock is off: the leader lock of beat_leader does its job,
    # and says which beat leads and which stands by.
    "redbeat_lock_key": None,
}

# Apps this scheduler adds to a Django project's INSTALLED_APPS: none.
DJANGO_APPS: list[str] = []
