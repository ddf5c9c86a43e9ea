"""Is the project alive? ``python -m {{ cookiecutter.project_slug }}.health``

Prints one JSON object with each check, its value and whether it passed,
and exits 0 when healthy, 1 when not, 2 on a usage error. It never hangs:
with Redis down it answers "unhealthy" within a couple of seconds, which is
what container healthchecks and outside monitors need.
"""

import argparse
import json
import sys
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .settings import settings
from .tasks.heartbeat import HEARTBEAT_KEY

TIMEOUT_SECONDS = 1.0


def check_redis_and_heartbeat(client):
    """Redis answers, and the last heartbeat is younger than HEARTBEAT_MAX_AGE."""
    checks = {}
    try:
        ran_at = client.hget(HEARTBEAT_KEY, "ran_at")
    except redis.RedisError as exc:
        checks["redis"] = {"ok": False, "error": str(exc) or type(exc).__name__}
        checks["heartbeat"] = {"ok": False, "error": "Redis is unreachable"}
        return checks
    checks["redis"] = {"ok": True}
    if ran_at is None:
        checks["heartbeat"] = {"ok": False, "error": "no heartbeat recorded yet"}
    else:
        age = round(time.time() - float(ran_at), 1)
        checks["heartbeat"] = {
            "ok": age <= settings.heartbeat_max_age,
            "age_seconds": age,
            "max_age_seconds": settings.heartbeat_max_age,
        }
    return checks


def check_workers():
    """At least one worker answers a ping."""
    from .celery_app import app

    try:
        replies = app.control.ping(timeout=TIMEOUT_SECONDS)
    except Exception as exc:  # any broker failure means "no worker answered"
        return {"ok": False, "error": str(exc) or type(exc).__name__}
    return {"ok": bool(replies), "workers": sorted(name for reply in replies for name in reply)}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.health", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--workers", action="store_true", help="also require a worker to answer a ping"
    )
    args = parser.parse_args(argv)  # exits 2 on a usage error

    # One short attempt, no retries: a health check must answer, not wait.
    client = redis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    checks = check_redis_and_heartbeat(client)
    if args.workers and checks["redis"]["ok"]:
        checks["workers"] = check_workers()
    healthy = all(check["ok"] for check in checks.values())
    print(json.dumps({"healthy": healthy, "checks": checks}, sort_keys=True))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
