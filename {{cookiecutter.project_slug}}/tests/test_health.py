"""``python -m {{ cookiecutter.project_slug }}.health``: JSON out, exit code for monitors."""

import json
import time

from conftest import free_port, run_health

from {{ cookiecutter.project_slug }}.tasks.heartbeat import HEARTBEAT_KEY


def test_unhealthy_before_any_heartbeat(redis):
    result, _ = run_health()

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["healthy"] is False
    assert report["checks"]["redis"] == {"ok": True}
    assert report["checks"]["heartbeat"] == {"ok": False, "error": "no heartbeat recorded yet"}


def test_healthy_with_a_fresh_heartbeat(redis):
    redis.hset(HEARTBEAT_KEY, mapping={"ran_at": time.time() - 5, "worker": "test"})

    result, _ = run_health()

    assert result.returncode == 0
    assert json.loads(result.stdout)["checks"]["heartbeat"]["ok"] is True


def test_unhealthy_with_a_stale_heartbeat(redis):
    redis.hset(HEARTBEAT_KEY, mapping={"ran_at": time.time() - 20, "worker": "test"})

    result, _ = run_health(HEARTBEAT_MAX_AGE="10")

    assert result.returncode == 1
    heartbeat = json.loads(result.stdout)["checks"]["heartbeat"]
    assert heartbeat["ok"] is False
    assert heartbeat["max_age_seconds"] == 10
    assert heartbeat["age_seconds"] >= 20


def test_answers_quickly_with_the_reason_when_redis_is_down():
    result, seconds = run_health(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    assert result.returncode == 1
    redis_check = json.loads(result.stdout)["checks"]["redis"]
    assert redis_check["ok"] is False
    assert "refused" in redis_check["error"].lower()
    assert seconds < 10  # generous for a loaded machine; docs/benchmarks.md has the real figure


def test_usage_error_exits_2():
    result, _ = run_health("--no-such-flag")

    assert result.returncode == 2
