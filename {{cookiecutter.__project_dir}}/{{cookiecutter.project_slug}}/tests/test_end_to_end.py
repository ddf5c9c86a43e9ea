"""Real beat and worker processes: beat sends on schedule, the worker runs it,
and health tells when beat is gone."""

import json

from ..redis_client import HEARTBEAT_KEY
from .scheduler_support import one_second_heartbeat
from .support import PROJECT_ROOT, run_health, wait_for

# A 1-second heartbeat counts as dead after 3 seconds without one.
HEARTBEAT = {"HEARTBEAT_INTERVAL": "1", "HEARTBEAT_MAX_AGE": "3"}


# The last answer health gave, for a test that fails waiting on it.
last_checks: dict[str, object] = {}


def health():
    result, _ = run_health("beat", "heartbeat", "workers", **HEARTBEAT)
    checks = json.loads(result.stdout)["checks"]
    last_checks.update(checks)
    return result.returncode, checks


def healthy():
    return health()[0] == 0


def unhealthy_checks():
    returncode, checks = health()
    return checks if returncode == 1 else None


def test_health_follows_beat_as_it_stops_and_starts(redis, worker, start_beat, tmp_path):
    one_second_heartbeat()
    state_dir = tmp_path / "state"
    beat = start_beat(STATE_DIR=str(state_dir), **HEARTBEAT)

    wait_for(healthy, 30, lambda: f"never healthy: {last_checks}\n{beat.log()}")
    assert "Sending due task heartbeat" in beat.log()
    ran_at = float(redis.hget(HEARTBEAT_KEY, "ran_at"))
    wait_for(
        lambda: float(redis.hget(HEARTBEAT_KEY, "ran_at")) > ran_at,
        10,
        "the worker ran no second heartbeat",
    )
    # Beat writes no pidfile that could block a restart.
    assert not list(PROJECT_ROOT.glob("*.pid"))

    beat.stop()
    checks = wait_for(unhealthy_checks, 15, "still healthy without beat")
    assert checks["beat"]["ok"] is False and checks["beat"]["age_seconds"] > 3
    assert checks["workers"]["ok"] is True  # the workers are fine; beat is what is missing

    beat = start_beat(STATE_DIR=str(state_dir), **HEARTBEAT)
    wait_for(healthy, 30, lambda: f"not healthy after restart: {last_checks}\n{beat.log()}")
