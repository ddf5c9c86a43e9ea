"""Settings read from the environment, once, in one place.

Every process of the project (worker, beat, Flower, the commands) takes its
configuration from ``settings`` here, after ``.env`` has filled in what the
environment lacks (``env_files``). A value the project cannot use stops
start-up with one line naming the variable, instead of a traceback from deep
inside Celery minutes later.
"""

import os
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self, TypeAlias
from urllib.parse import urlsplit

from .env_files import read_env_files
from .key_space import cache_prefix_problem

# Where settings are read from: os.environ, or a plain dict in the tests.
Environ: TypeAlias = Mapping[str, str]

REDIS_SCHEMES = ("redis", "rediss")
# Where a sentinel listens when REDIS_SENTINELS names none: Sentinel's own port.
SENTINEL_PORT = 26379
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
HTTP_SCHEMES = ("http", "https")
# Where JOB_PING_URL takes each schedule entry's name.
ENTRY_PLACEHOLDER = "{entry}"
HOUR = 60 * 60
DAY = 24 * HOUR
CENTURY = 36500  # days


class SettingsError(SystemExit):
    """An environment variable holds a value the project cannot use.

    It is a SystemExit so that, uncaught, it prints its one line and exits 1.
    """

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"Invalid environment variable {variable}: {problem}")
        self.variable = variable


def _redis_url(environ: Environ, name: str, default: str) -> str:
    value = environ.get(name, default)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise SettingsError(name, f"{value!r} is not a URL ({exc})") from None
    if parts.scheme not in REDIS_SCHEMES:
        # A unix:// socket works for redis-py, but Celery's broker spells it
        # redis+socket:// and RedBeat not at all: refused here, not at the
        # worker's first connection.
        raise SettingsError(name, f"{value!r} must start with redis:// or rediss://")
    if not parts.hostname:
        raise SettingsError(name, f"{value!r} has no host")
    database = parts.path.lstrip("/")
    if database and not database.isdigit():
        raise SettingsError(name, f"{value!r} names database {database!r}, which is not a number")
    return value


def _sentinels(environ: Environ, name: str) -> tuple[tuple[str, int], ...]:
    """``host:port`` addresses, comma-separated (``[::1]:26379`` for IPv6); none when unset."""
    value = environ.get(name, "")
    addresses = []
    for address in filter(None, (part.strip() for part in value.split(","))):
        try:
            parts = urlsplit(f"//{address}")
            port = parts.port or SENTINEL_PORT
        except ValueError as exc:  # a port that is not a number, or past 65535
            raise SettingsError(name, f"{address!r} is not host:port ({exc})") from None
        if not parts.hostname or parts.path or parts.query or parts.username:
            raise SettingsError(name, f"{address!r} is not host:port")
        addresses.append((parts.hostname, port))
    return tuple(addresses)


def _http_url(environ: Environ, name: str, default: str = "") -> str:
    value = environ.get(name, default)
    if not value:
        return value
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # a [ that opens no IPv6 address, say
        raise SettingsError(name, f"{value!r} is not a URL ({exc})") from None
    if parts.scheme not in HTTP_SCHEMES:
        raise SettingsError(name, f"{value!r} must start with http:// or https://")
    return value


def _ping_url(environ: Environ, name: str) -> str:
    """A URL with ``{entry}`` where each entry's name goes, or empty (no pings)."""
    value = _http_url(environ, name)
    if value and ENTRY_PLACEHOLDER not in value:
        raise SettingsError(name, f"{value!r} has no {ENTRY_PLACEHOLDER} for the entry's name")
    return value


def _whole_number(environ: Environ, name: str, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``; unset or empty is ``default``.

    Every number has a ceiling: a value past what the project can hold (a
    heartbeat every 30,000 years) fails here, in one line, rather than as an
    OverflowError deep in Celery at the first send.
    """
    value = environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(name, f"{value!r} is not a whole number") from None
    if not low <= number <= high:
        raise SettingsError(name, f"{value!r} must be from {low} to {high}")
    return number


def _port(environ: Environ, name: str, default: int) -> int:
    return _whole_number(environ, name, default, 1, 65535)


def _state_dir(environ: Environ, name: str, default: str) -> Path:
    value = environ.get(name) or default
    if "\0" in value:
        raise SettingsError(name, f"{value!r} holds a NUL character")
    path = Path(value).resolve()
    try:
        is_a_file = path.exists() and not path.is_dir()
    except OSError as exc:  # a name too long for the file system, say
        raise SettingsError(name, f"{value!r} is not a usable path ({exc.strerror})") from None
    if is_a_file:
        raise SettingsError(name, f"{str(path)!r} is a file, not a folder")
    return path


def _cache_key_prefix(environ: Environ, name: str, default: str) -> str:
    value = environ.get(name) or default
    problem = cache_prefix_problem(value)
    if problem:
        raise SettingsError(name, f"{value!r} {problem}")
    return value


def read_flag(environ: Environ, name: str, default: bool = False) -> bool:
    """A yes/no variable: 1, true, yes or on; 0, false, no or off; unset or empty is ``default``."""
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in TRUE_WORDS + FALSE_WORDS:
        raise SettingsError(name, f"{value!r} is not one of {', '.join(TRUE_WORDS + FALSE_WORDS)}")
    return value in TRUE_WORDS


def _timezone(environ: Environ, name: str, default: str) -> str:
    value = environ.get(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    # A region such as "Europe" is a folder of zone files: OSError.
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        raise SettingsError(name, f"{value!r} is not an IANA time zone name") from None
    return value


@dataclass(frozen=True)
class Sentinels:
    """Redis Sentinel: the sentinels to ask, and the name of the primary they watch.

    With them, the project connects to whichever server they name primary,
    and follows a failover; REDIS_URL gives the rest (database, user,
    password) and its host is not used.
    """

    addresses: tuple[tuple[str, int], ...]
    primary_name: str
    # The sentinels' own password (``requirepass`` in sentinel.conf), if any.
    password: str

    @classmethod
    def from_environ(cls, environ: Environ, redis_url: str) -> Self | None:
        addresses = _sentinels(environ, "REDIS_SENTINELS")
        primary_name = environ.get("REDIS_SENTINEL_MASTER", "").strip()
        if not addresses:
            if primary_name:
                # Without the sentinels, the project would use REDIS_URL's
                # host: maybe a replica that refuses writes, maybe a primary
                # that is gone.
                raise SettingsError(
                    "REDIS_SENTINEL_MASTER",
                    f"{primary_name!r} is set, but REDIS_SENTINELS is not: set both, or neither",
                )
            return None
        if not primary_name:
            raise SettingsError(
                "REDIS_SENTINELS",
                "needs REDIS_SENTINEL_MASTER too, the name of the primary the sentinels watch",
            )
        if redis_url.startswith("rediss://"):
            raise SettingsError("REDIS_URL", "rediss:// does not work with REDIS_SENTINELS yet")
        return cls(addresses, primary_name, environ.get("REDIS_SENTINEL_PASSWORD", ""))


@dataclass(frozen=True)
class Settings:
    redis_url: str
    # None: REDIS_URL's host is the one Redis.
    redis_sentinels: Sentinels | None
    timezone: str
    heartbeat_interval: int
    heartbeat_max_age: int
    beat_leader_lock: bool
    beat_leader_lock_ttl: int
    task_soft_time_limit: int
    task_time_limit: int
    visibility_timeout: int
    state_dir: Path
    cache_key_prefix: str
    sync_source_url: str
    sync_max_retries: int
    sync_retry_backoff: int
    archive_after_days: int
    archive_retention_days: int
    jobs_failing_after: int
    job_ping_url: str
    sentry_dsn: str

    @classmethod
    def from_environ(cls, environ: Environ) -> Self:
        # Flower reads FLOWER_PORT itself, with a traceback for a bad one,
        # before it reads flowerconfig.py: checked here, as every process starts.
        _port(environ, "FLOWER_PORT", 5555)
        heartbeat_interval = _whole_number(environ, "HEARTBEAT_INTERVAL", 60, 1, DAY)
        heartbeat_max_age = _whole_number(
            environ, "HEARTBEAT_MAX_AGE", 3 * heartbeat_interval, 1, 7 * DAY
        )
        if heartbeat_max_age <= heartbeat_interval:
            # Health would call beat dead before each heartbeat is due.
            raise SettingsError(
                "HEARTBEAT_MAX_AGE",
                f"{heartbeat_max_age} must be greater than HEARTBEAT_INTERVAL "
                f"({heartbeat_interval})",
            )
        soft_time_limit = _whole_number(environ, "TASK_SOFT_TIME_LIMIT", 300, 1, 7 * DAY)
        time_limit = _whole_number(
            environ, "TASK_TIME_LIMIT", soft_time_limit + 60, 1, 7 * DAY + HOUR
        )
        if time_limit <= soft_time_limit:
            # The soft limit raises inside the task so it can clean up; the
            # hard limit kills it. A hard limit first leaves no time to clean up.
            raise SettingsError(
                "TASK_TIME_LIMIT",
                f"{time_limit} must be greater than TASK_SOFT_TIME_LIMIT ({soft_time_limit})",
            )
        # The leader renews its lock every third of the ttl, and beat's loop
        # is not exact to the second: a lock under 3 s would expire under a
        # leader that is merely busy.
        leader_lock_ttl = _whole_number(environ, "BEAT_LEADER_LOCK_TTL", 10, 3, HOUR)
        visibility_timeout = _whole_number(
            environ, "BROKER_VISIBILITY_TIMEOUT", max(HOUR, 2 * time_limit), 1, 30 * DAY
        )
        if visibility_timeout <= time_limit:
            # Redis hands an unacknowledged message to another worker after
            # this long: before the hard limit, a slow task would run twice.
            raise SettingsError(
                "BROKER_VISIBILITY_TIMEOUT",
                f"{visibility_timeout} must be greater than TASK_TIME_LIMIT ({time_limit})",
            )
        redis_url = _redis_url(environ, "REDIS_URL", "redis://localhost:6379/0")
        return cls(
            redis_url=redis_url,
            redis_sentinels=Sentinels.from_environ(environ, redis_url),
            timezone=_timezone(environ, "TIMEZONE", "{{ cookiecutter.timezone }}"),
            heartbeat_interval=heartbeat_interval,
            heartbeat_max_age=heartbeat_max_age,
            beat_leader_lock=read_flag(environ, "BEAT_LEADER_LOCK", default=True),
            beat_leader_lock_ttl=leader_lock_ttl,
            task_soft_time_limit=soft_time_limit,
            task_time_limit=time_limit,
            visibility_timeout=visibility_timeout,
            state_dir=_state_dir(environ, "STATE_DIR", "state"),
            cache_key_prefix=_cache_key_prefix(environ, "CACHE_KEY_PREFIX", "cache:"),
            sync_source_url=_http_url(environ, "SYNC_SOURCE_URL"),
            sync_max_retries=_whole_number(environ, "SYNC_MAX_RETRIES", 5, 1, 100),
            sync_retry_backoff=_whole_number(environ, "SYNC_RETRY_BACKOFF", 10, 1, HOUR),
            archive_after_days=_whole_number(environ, "ARCHIVE_AFTER_DAYS", 90, 1, CENTURY),
            archive_retention_days=_whole_number(
                environ, "ARCHIVE_RETENTION_DAYS", 365, 1, CENTURY
            ),
            jobs_failing_after=_whole_number(environ, "JOBS_FAILING_AFTER", 1, 1, 1000),
            job_ping_url=_ping_url(environ, "JOB_PING_URL"),
            sentry_dsn=_http_url(environ, "SENTRY_DSN"),
        )


read_env_files()
settings = Settings.from_environ(os.environ)


def _login(environ: Environ, prefix: str, serves: str) -> tuple[str, str]:
    """``<prefix>_USER`` and ``<prefix>_PASSWORD``: both required, the password 12+ characters."""
    user = environ.get(f"{prefix}_USER", "")
    password = environ.get(f"{prefix}_PASSWORD", "")
    if not user:
        raise SettingsError(f"{prefix}_USER", f"is not set; {serves} will not run without a login")
    if len(password) < 12:
        raise SettingsError(
            f"{prefix}_PASSWORD",
            f"must be at least 12 characters; {serves} will not run without a login",
        )
    return user, password


def metrics_options(environ: Environ = os.environ) -> tuple[tuple[str, str], str, int]:
    """The metrics endpoint's login, address and port, from METRICS_* variables.

    Like Flower's: a login is required, and it listens on the loopback
    interface unless METRICS_ADDRESS says otherwise.
    """
    login = _login(environ, "METRICS", "the metrics endpoint")
    address = environ.get("METRICS_ADDRESS") or "127.0.0.1"
    return login, address, _port(environ, "METRICS_PORT", 9540)


def flower_options(environ: Environ = os.environ) -> tuple[list[str], str, int]:
    """Flower's ``basic_auth``, ``address`` and ``port``, from FLOWER_* variables.

    Flower shows every task's arguments and results and can revoke tasks and
    shut workers down, so a missing login is an error, not a default, and it
    listens on the loopback interface unless FLOWER_ADDRESS says otherwise.
    """
    user, password = _login(environ, "FLOWER", "Flower")
    address = environ.get("FLOWER_ADDRESS") or "127.0.0.1"
    return [f"{user}:{password}"], address, _port(environ, "FLOWER_PORT", 5555)
