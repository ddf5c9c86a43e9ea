"""Is the project alive? ``python -m {{ cookiecutter.project_slug }}.health``

The checks: ``redis`` answers (always checked); ``beat`` sent a heartbeat,
and a worker ran one (``heartbeat``), within HEARTBEAT_MAX_AGE seconds; a
worker answers a ping (``workers``). Name the checks to run after the
command; by default they are ``beat heartbeat``. Prints one JSON object with
each check, its value and whether it passed, and exits 0 when healthy, 1
when not, 2 on a usage error. It never hangs:
with Redis down it answers "unhealthy" within a couple of seconds, which is
what container healthchecks and outside monitors need.
"""

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import NotRequired, TypeAlias, TypedDict

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .redis_client import HEARTBEAT_KEY, text
from .settings import settings

TIMEOUT_SECONDS = 1.0

CHECKS = ("beat", "heartbeat", "workers")
DEFAULT_CHECKS = ("beat", "heartbeat")


class Check(TypedDict):
    """One check's result, as the JSON output shows it: whether it passed, and what it saw."""

    ok: bool
    error: NotRequired[str]
    age_seconds: NotRequired[float]
    max_age_seconds: NotRequired[int]
    worker: NotRequired[str]
    workers: NotRequired[list[str]]


# Each check's result, by the check's name.
Checks: TypeAlias = dict[str, Check]

# What every check but ``redis`` says when Redis does not answer.
REDIS_UNREACHABLE: Check = {"ok": False, "error": "unknown: Redis is unreachable"}


def _age_check(timestamp: str | bytes | None, never_message: str) -> Check:
    """Whether ``timestamp`` (Unix seconds, or None) is within HEARTBEAT_MAX_AGE."""
    if timestamp is None:
        return {"ok": False, "error": never_message}
    age = round(time.time() - float(timestamp), 1)
    return {
        "ok": age <= settings.heartbeat_max_age,
        "age_seconds": age,
        "max_age_seconds": settings.heartbeat_max_age,
    }


def health_client() -> redis.Redis:
    """A Redis client that makes one short attempt, without retries.

    Not the shared client of redis_client: a health check must answer, not
    wait through the timeouts and retries that suit a task.
    """
    return redis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def check_redis_and_heartbeat(client: redis.Redis) -> Checks:
    """Redis answers; beat sent, and a worker ran, a heartbeat within HEARTBEAT_MAX_AGE."""
    try:
        sent_at, ran_at, worker = client.hmget(HEARTBEAT_KEY, ["sent_at", "ran_at", "worker"])
    except redis.RedisError as exc:
        return {
            "redis": {"ok": False, "error": str(exc) or type(exc).__name__},
            "beat": REDIS_UNREACHABLE,
            "heartbeat": REDIS_UNREACHABLE,
        }
    heartbeat = _age_check(ran_at, "no worker has run a heartbeat yet")
    if worker:
        heartbeat["worker"] = text(worker)
    return {
        "redis": {"ok": True},
        "beat": _age_check(sent_at, "beat has not sent a heartbeat yet"),
        "heartbeat": heartbeat,
    }


def check_workers() -> Check:
    """At least one worker answers a ping."""
    from .celery_app import app

    try:
        replies = app.control.ping(timeout=TIMEOUT_SECONDS)
    except Exception as exc:  # any broker failure means "no worker answered"
        return {"ok": False, "error": str(exc) or type(exc).__name__}
    workers = sorted(name for reply in replies or [] for name in reply)
    return {"ok": bool(workers), "workers": workers}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.health", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "checks",
        nargs="*",
        metavar="CHECK",
        help=f"any of {', '.join(CHECKS)} (default: {' '.join(DEFAULT_CHECKS)})",
    )
    args = parser.parse_args(argv)  # exits 2 on a usage error
    unknown = sorted(set(args.checks) - set(CHECKS))
    if unknown:
        parser.error(f"unknown check {unknown[0]!r}; choose from {', '.join(CHECKS)}")
    selected = args.checks or DEFAULT_CHECKS

    found = check_redis_and_heartbeat(health_client())
    checks = {name: found[name] for name in ("redis", *selected) if name in found}
    if "workers" in selected:
        checks["workers"] = check_workers() if found["redis"]["ok"] else REDIS_UNREACHABLE
    healthy = all(check["ok"] for check in checks.values())
    print(json.dumps({"healthy": healthy, "checks": checks}, sort_keys=True))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
