"""The one Redis connection pool the project's own code uses, and its key names.

Celery keeps its own connections for the broker and results; this pool is for
what the tasks store (records, watermarks, reports, the heartbeat).
"""

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .settings import settings

# Every key starts with the package's name (see ``key``).
KEY_PREFIX = __package__

# A task must fail fast when Redis is gone rather than hang until its time
# limit; Celery retries or the next beat tick runs it again.
SOCKET_TIMEOUT_SECONDS = 5

# Connection options for the project's clients (and RedBeat's): fail fast,
# and check an idle connection before trusting it.
CLIENT_OPTIONS: dict[str, Any] = {
    "socket_timeout": SOCKET_TIMEOUT_SECONDS,
    "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
    "health_check_interval": 30,
}


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its user and password, and those two as redis-py's keywords.

    For Celery's settings: ``celery report``, ``celery inspect conf`` and
    Flower's config page print every setting, and hide a value only under a
    name that says it is secret (``broker_password``), not a password inside
    a URL (RedBeat's ``redbeat_redis_url``, or Django's CELERY_BROKER_URL).
    """
    parts = urlsplit(url)
    credentials = {
        name: unquote(value)
        for name, value in (("username", parts.username), ("password", parts.password))
        if value
    }
    if not credentials:
        return url, {}
    # What follows the last "@" is the host and port, an IPv6 address included.
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl(), credentials


# REDIS_URL as Celery's settings (and RedBeat's) hold it, and its user and
# password, which go in settings of their own.
REDIS_URL_WITHOUT_CREDENTIALS, REDIS_CREDENTIALS = split_credentials(settings.redis_url)


def key(*parts: object) -> str:
    """The project's name for a Redis key, e.g. ``key("records", 42)``.

    Every key carries the project prefix so the project can share a Redis
    with others and its keys can be found with one SCAN pattern.
    """
    return ":".join([KEY_PREFIX, *map(str, parts)])


# How long a quick client (``quick_redis``) waits for Redis.
QUICK_TIMEOUT_SECONDS = 1.0


# Defined here rather than in tasks/heartbeat.py so that the health command
# can read it without loading Celery, which would double its start-up time.
HEARTBEAT_KEY = key("heartbeat")


@cache
def get_redis() -> redis.Redis:
    """A client for ``REDIS_URL`` that returns str, not bytes."""
    return redis.Redis.from_url(settings.redis_url, decode_responses=True, **CLIENT_OPTIONS)


def quick_redis() -> redis.Redis:
    """A client that makes one short attempt, without retries, and returns str.

    For what must answer or give up at once rather than wait through the
    timeouts and retries that suit a task: the health checks.
    """
    return redis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=QUICK_TIMEOUT_SECONDS,
        socket_connect_timeout=QUICK_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


# redis-py types a reply as bytes or str, whichever its client returns. The
# project's clients return str; these read a reply as such.


def text(reply: bytes | str) -> str:
    return reply.decode() if isinstance(reply, bytes) else reply


def texts(reply: Iterable[Any]) -> list[str]:
    """A reply that lists keys or members."""
    return [text(item) for item in reply]


def text_map(reply: Mapping[Any, Any]) -> dict[str, str]:
    """A hash, as HGETALL replies."""
    # A client that decodes replies (hiredis does it, in C) decodes every
    # field: one tells for all. Converting each again cost 0.2 s for the
    # ledger's 10,000 entries.
    if isinstance(next(iter(reply), ""), str):
        return dict(reply)
    return {text(field): text(value) for field, value in reply.items()}
