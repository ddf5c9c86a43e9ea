"""The one Redis connection pool the project's own code uses, and its key names.

Celery keeps its own connections for the broker and results; this pool is for
what the tasks store (records, watermarks, reports, the heartbeat). With
Redis Sentinel (REDIS_SENTINELS), every client here, and Celery's and
RedBeat's through the settings below, asks the sentinels which server is the
primary, and asks again when it fails over.
"""

import logging
import time
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool

from .settings import settings

logger = logging.getLogger(__name__)

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
# REDIS_URL's database number.
REDIS_DB = int(urlsplit(settings.redis_url).path.lstrip("/") or 0)


def celery_redis_url() -> str:
    """Where Celery's broker and results are: REDIS_URL, or every sentinel, kombu's way.

    Without their credentials, which Celery's settings hold apart.
    """
    sentinels = settings.redis_sentinels
    if sentinels is None:
        return REDIS_URL_WITHOUT_CREDENTIALS
    return ";".join(
        f"sentinel://{_address(host, port)}/{REDIS_DB}" for host, port in sentinels.addresses
    )


def sentinel_options(**socket_options: Any) -> dict[str, Any]:
    """What kombu, Celery's results and RedBeat need to know of the sentinels; {} without them.

    ``socket_options`` apply to the connections to the sentinels themselves.
    """
    sentinels = settings.redis_sentinels
    if sentinels is None:
        return {}
    sentinel_kwargs = dict(socket_options)
    if sentinels.password:
        sentinel_kwargs["password"] = sentinels.password
    return {"master_name": sentinels.primary_name, "sentinel_kwargs": sentinel_kwargs}


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


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


def connect(**options: Any) -> redis.Redis:
    """A client that returns str, for REDIS_URL or for the primary the sentinels name.

    A Sentinel client asks the sentinels for the primary's address whenever
    it opens a connection, and drops its connections when the server it
    reached refuses writes (a primary demoted to replica): after a failover
    its next attempt reaches the new primary.
    """
    sentinels = settings.redis_sentinels
    if sentinels is None:
        return redis.Redis.from_url(settings.redis_url, decode_responses=True, **options)
    socket_options = {name: value for name, value in options.items() if name.startswith("socket_")}
    sentinel_kwargs = sentinel_options(**socket_options)["sentinel_kwargs"]
    client: redis.Redis = Sentinel(sentinels.addresses, sentinel_kwargs=sentinel_kwargs).master_for(
        sentinels.primary_name, db=REDIS_DB, decode_responses=True, **REDIS_CREDENTIALS, **options
    )
    return client


@cache
def get_redis() -> redis.Redis:
    """The project's client for REDIS_URL (or the sentinels' primary); it returns str, not bytes."""
    return connect(**CLIENT_OPTIONS)


def quick_redis() -> redis.Redis:
    """A client that makes one short attempt, without retries, and returns str.

    For what must answer or give up at once rather than wait through the
    timeouts and retries that suit a task: the health checks.
    """
    return connect(
        socket_timeout=QUICK_TIMEOUT_SECONDS,
        socket_connect_timeout=QUICK_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


# How long a write that must survive a failover waits for a replica to have
# it (``wait_for_replica``); on loopback or in one zone it takes about 1 ms.
REPLICA_WAIT_MS = 500
# After a wait that no replica answered in time, writes stop waiting for this
# long: a primary left without replicas would slow every lock and every send.
NO_REPLICA_PAUSE_SECONDS = 30
_no_replica_until = 0.0


def wait_for_replica(client: redis.Redis, what: str) -> None:
    """With Redis Sentinel, wait until a replica has the writes this client just made.

    Replication is asynchronous: a primary that dies a moment after a write
    takes the write with it, and the replica promoted in its place never saw
    it. For a lock, that is a second holder; for beat's record of a run,
    the same run sent twice. So these writes wait for a replica, at most
    REPLICA_WAIT_MS. WAIT counts the writes of one connection: call this
    right after them, from the thread that made them.

    Without a replica in time, carry on, and do not wait again for
    NO_REPLICA_PAUSE_SECONDS: losing Redis's replicas must not stop the
    project. The warning says what a failover then could lose.
    """
    global _no_replica_until
    if settings.redis_sentinels is None or time.monotonic() < _no_replica_until:
        return
    try:
        confirmed = client.wait(1, REPLICA_WAIT_MS) >= 1
    except redis.RedisError:
        confirmed = False  # Redis is going away: what comes next says so
    if not confirmed:
        _no_replica_until = time.monotonic() + NO_REPLICA_PAUSE_SECONDS
        logger.warning(
            "No Redis replica confirmed %s within %d ms: a failover now could lose it. "
            "Writes do not wait for a replica for the next %d s",
            what,
            REPLICA_WAIT_MS,
            NO_REPLICA_PAUSE_SECONDS,
        )


def primary_address(client: redis.Redis) -> str | None:
    """The primary a Sentinel client reaches now, as host:port; None for any other client."""
    pool = client.connection_pool
    if not isinstance(pool, SentinelConnectionPool):
        return None
    host, port = pool.get_master_address()
    return _address(host, port)


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
