"""Real beat and worker processes: beat sends on schedule, the worker runs it."""

import json

from conftest import PROJECT_ROOT, run_health, wait_for

from {{ cookiecutter.project_slug }}.tasks.heartbeat import HEARTBEAT_KEY


def heartbeat_times(redis, seen):
    ran_at = redis.hget(HEARTBEAT_KEY, "ran_at")
    if ran_at:
        seen.add(ran_at)
    return len(seen) >= 3


def test_beat_sends_the_heartbeat_and_a_worker_runs_it(redis, worker, start_beat, tmp_path):
    state_dir = tmp_path / "state"
    beat = start_beat(HEARTBEAT_INTERVAL="1", STATE_DIR=str(state_dir))

    seen = set()
    wait_for(lambda: heartbeat_times(redis, seen), 30, lambda: f"no heartbeats ran:\n{beat.log()}")

    health, _ = run_health("--workers")
    assert health.returncode == 0, health.stdout
    assert json.loads(health.stdout)["checks"]["workers"]["ok"] is True
    assert "Sending due task heartbeat" in beat.log()
    # Beat keeps its state in STATE_DIR, and writes no pidfile that could block a restart.
    assert list(state_dir.glob("celerybeat-schedule*"))
    assert not list(PROJECT_ROOT.glob("*.pid"))
