"""Celery's settings, written once for every process and both flavours.

Configured for periodic maintenance work: messages are JSON only, every task
has a time limit, and a task lost with its worker is delivered again. What
beat needs for this project's scheduler comes from ``scheduler_settings``.

``celery_app`` reads ``CELERY_SETTINGS``; in a Django project they reach it
through Django's settings, as CELERY_* names (``as_django_settings``).
"""

import pkgutil
import ssl
from datetime import timedelta
from typing import Any

from celery.app.defaults import SETTING_KEYS

from . import tasks
from .beat_schedule import BEAT_SCHEDULE
from .redis_client import (
    CLIENT_OPTIONS,
    REDIS_CREDENTIALS,
    celery_redis_url,
    sentinel_options,
)
from .scheduler_settings import BEAT_SETTINGS
from .settings import settings

# Every module in tasks/, the ones a worker imports: a new module there is
# picked up without being listed anywhere.
TASK_MODULES = sorted(
    f"{tasks.__name__}.{module.name}" for module in pkgutil.iter_modules(tasks.__path__)
)

# A crontab run that beat missed (it was down at the time) is sent when beat
# comes back only if it is less than this late; an older one is skipped and
# the entry waits for its next time. Interval and solar entries are not
# affected: an overdue one runs once when beat comes back.
CRON_STARTING_DEADLINE_SECONDS = 30 * 60

# Where broker and results are (REDIS_URL, or the sentinels: then kombu's
# sentinel:// URLs, and the primary's name in the transport options).
REDIS_LOCATION = celery_redis_url()
SENTINEL_OPTIONS = sentinel_options(
    socket_timeout=CLIENT_OPTIONS["socket_timeout"],
    socket_connect_timeout=CLIENT_OPTIONS["socket_connect_timeout"],
)

CELERY_SETTINGS: dict[str, Any] = {
    "include": TASK_MODULES,
    # REDIS_URL's user and password in settings of their own, whose names
    # Celery hides when it prints its settings (redis_client.split_credentials).
    "broker_url": REDIS_LOCATION,
    "broker_user": REDIS_CREDENTIALS.get("username"),
    "broker_password": REDIS_CREDENTIALS.get("password"),
    "result_backend": REDIS_LOCATION,
    "redis_username": REDIS_CREDENTIALS.get("username"),
    "redis_password": REDIS_CREDENTIALS.get("password"),
    "broker_connection_retry_on_startup": True,
    "broker_transport_options": {
        # A message whose worker died without acknowledging it (kill -9, a
        # lost machine) goes back to the queue this long after it was
        # delivered; settings makes sure that is longer than any task may run.
        "visibility_timeout": settings.visibility_timeout,
        # Workers look for such messages every 10 s; kombu would otherwise
        # look only every tenth time, so redelivery could lag by 100 s.
        "unacked_restore_throttle": 1,
        **SENTINEL_OPTIONS,
    },
    "result_backend_transport_options": {
        "visibility_timeout": settings.visibility_timeout,
        **SENTINEL_OPTIONS,
    },
    # JSON only: a worker that accepted pickle would run whatever code anyone
    # able to write to Redis put in a message.
    "task_serializer": "json",
    "result_serializer": "json",
    "accept_content": ["json"],
    "result_accept_content": ["json"],
    # Results live in Redis and expire by themselves: nothing to clean up.
    "result_expires": timedelta(days=1),
    "task_soft_time_limit": settings.task_soft_time_limit,
    "task_time_limit": settings.task_time_limit,
    # Long maintenance tasks: a worker takes one message at a time so a
    # second one never waits behind a long run while another worker idles.
    "worker_prefetch_multiplier": 1,
    # Events let Flower show tasks as they are sent, start and finish.
    "worker_send_task_events": True,
    "task_send_sent_event": True,
    "task_track_started": True,
    "timezone": settings.timezone,
    "enable_utc": True,
    "beat_schedule": BEAT_SCHEDULE,
    "beat_cron_starting_deadline": CRON_STARTING_DEADLINE_SECONDS,
    **BEAT_SETTINGS,
}

if settings.redis_url.startswith("rediss://"):
    # Celery refuses a rediss:// URL unless told how to check the server's
    # certificate; check it, as redis-py does by default.
    CELERY_SETTINGS["broker_use_ssl"] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    CELERY_SETTINGS["redis_backend_use_ssl"] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}


def as_django_settings(celery_settings: dict[str, Any]) -> dict[str, Any]:
    """The same settings under the names Django's settings give them.

    Celery's own take the CELERY_ prefix (``broker_url`` is CELERY_BROKER_URL),
    which ``celery_app`` strips with ``namespace="CELERY"``. Another library's
    (RedBeat's ``redbeat_*``) keep their own name in capitals: those libraries
    look their settings up by that name, and would not find them prefixed.
    """
    return {
        f"CELERY_{name.upper()}" if name in SETTING_KEYS else name.upper(): value
        for name, value in celery_settings.items()
    }
