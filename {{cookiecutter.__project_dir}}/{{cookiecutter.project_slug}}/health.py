"""Is the project alive? ``python -m {{ cookiecutter.project_slug }}.health``

The checks: ``redis`` answers (always checked; with Redis Sentinel it names
the primary it reached); ``beat`` sent a heartbeat, and a worker ran one
(``heartbeat``), within HEARTBEAT_MAX_AGE seconds; a worker answers a ping
(``workers``); no schedule entry is overdue or failing, by the run ledger
(``jobs``). Name the checks to run after the command; by default they are
``beat heartbeat``. ``jobs`` is a check of its own, never part of a
container's liveness: a failing job must not get a healthy worker
restarted. ``beat-loop`` and ``worker-loop`` ask whether *this* container's
beat or worker still turns its loop (``liveness``): they read a file, not
Redis, and are run on their own, as liveness probes.

Prints one JSON object with each check, its value and whether it passed,
and exits 0 when healthy, 1 when not, 2 on a usage error. It never hangs:
with Redis down it answers "unhealthy" within a couple of seconds, which is
what container healthchecks and outside monitors need.
"""

import argparse
import gc
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NotRequired, TypeAlias, TypedDict

import redis

from . import liveness
from .redis_client import (
    HEARTBEAT_KEY,
    QUICK_TIMEOUT_SECONDS,
    primary_address,
    quick_redis,
    text,
)
from .settings import settings

# The checks of this container's own process, by their name (see ``liveness``).
LOOP_CHECKS = {"beat-loop": liveness.BEAT, "worker-loop": liveness.WORKER}
CHECKS = ("beat", "heartbeat", "workers", "jobs", *LOOP_CHECKS)
DEFAULT_CHECKS = ("beat", "heartbeat")


class Check(TypedDict):
    """One check's result, as the JSON output shows it: whether it passed, and what it saw."""

    ok: bool
    error: NotRequired[str]
    primary: NotRequired[str]
    age_seconds: NotRequired[float]
    max_age_seconds: NotRequired[int]
    worker: NotRequired[str]
    workers: NotRequired[list[str]]
    entries: NotRequired[int]
    overdue: NotRequired[list[str]]
    failing: NotRequired[list[str]]


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


def check_redis_and_heartbeat(client: redis.Redis) -> Checks:
    """Redis answers; beat sent, and a worker ran, a heartbeat within HEARTBEAT_MAX_AGE.

    With Redis Sentinel, ``redis`` also says which server is the primary now.
    """
    try:
        sent_at, ran_at, worker = client.hmget(HEARTBEAT_KEY, ["sent_at", "ran_at", "worker"])
        primary = primary_address(client)
    except redis.RedisError as exc:
        return {
            "redis": {"ok": False, "error": str(exc) or type(exc).__name__},
            "beat": REDIS_UNREACHABLE,
            "heartbeat": REDIS_UNREACHABLE,
        }
    heartbeat = _age_check(ran_at, "no worker has run a heartbeat yet")
    if worker:
        heartbeat["worker"] = text(worker)
    reached: Check = {"ok": True}
    if primary:
        reached["primary"] = primary
    return {
        "redis": reached,
        "beat": _age_check(sent_at, "beat has not sent a heartbeat yet"),
        "heartbeat": heartbeat,
    }


def check_workers() -> Check:
    """At least one worker answers a ping."""
    from .celery_app import app

    try:
        replies = app.control.ping(timeout=QUICK_TIMEOUT_SECONDS)
    except Exception as exc:  # any broker failure means "no worker answered"
        return {"ok": False, "error": str(exc) or type(exc).__name__}
    workers = sorted(name for reply in replies or [] for name in reply)
    return {"ok": bool(workers), "workers": workers}


def check_jobs(client: redis.Redis) -> Check:
    """No schedule entry is overdue or failing; names every one that is."""
    from .entries import StoreUnavailable
    from .job_status import Status
    from .jobs import all_jobs, open_schedule_store

    try:
        jobs = all_jobs(open_schedule_store(), datetime.now(UTC), client)
    except (redis.RedisError, StoreUnavailable) as exc:
        return {"ok": False, "error": str(exc) or type(exc).__name__}
    overdue = [job.entry.name for job in jobs if job.state.status is Status.OVERDUE]
    failing = [job.entry.name for job in jobs if job.state.status is Status.FAILING]
    return {
        "ok": not overdue and not failing,
        "entries": len(jobs),
        "overdue": overdue,
        "failing": failing,
    }


def check_loop(process: str) -> Check:
    """This container's ``process`` (beat or worker) left its last sign of life in time."""
    sign = liveness.last_sign(process)
    if sign is None:
        return {"ok": False, "error": f"no {process} loop has come round here yet"}
    now = time.time()
    return {
        "ok": now <= sign.overdue_after,
        "age_seconds": round(now - sign.left_at, 1),
        "max_age_seconds": round(sign.overdue_after - sign.left_at),
    }


def report(checks: Checks) -> int:
    healthy = all(check["ok"] for check in checks.values())
    print(json.dumps({"healthy": healthy, "checks": checks}, sort_keys=True))
    return 0 if healthy else 1


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
    loops = [name for name in selected if name in LOOP_CHECKS]
    if loops:
        if len(loops) != len(selected):
            parser.error(f"{', '.join(LOOP_CHECKS)} are checked on their own, without Redis")
        return report({name: check_loop(LOOP_CHECKS[name]) for name in loops})

    client = quick_redis()
    found = check_redis_and_heartbeat(client)
    checks = {name: found[name] for name in ("redis", *selected) if name in found}
    if "workers" in selected:
        checks["workers"] = check_workers() if found["redis"]["ok"] else REDIS_UNREACHABLE
    if "jobs" in selected:
        checks["jobs"] = check_jobs(client) if found["redis"]["ok"] else REDIS_UNREACHABLE
    return report(checks)


if __name__ == "__main__":
    exit_code = main()
    gc.freeze()  # no collection at exit through the imports' objects (see schedule.py)
    sys.exit(exit_code)
