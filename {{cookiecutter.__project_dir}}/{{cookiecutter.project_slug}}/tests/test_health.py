"""The health command, ``python -m <package>.health``: JSON out, exit code for monitors."""

import json
import socket

import pytest
from redis import Redis

from .support import free_port, record_heartbeat, run_health


def health_report(*args, **environment):
    result, _ = run_health(*args, **environment)
    return result.returncode, json.loads(result.stdout)


def test_unhealthy_before_any_heartbeat(redis):
    returncode, report = health_report()

    assert returncode == 1
    assert report["healthy"] is False
    assert report["checks"] == {
        "redis": {"ok": True},
        "beat": {"ok": False, "error": "beat has not sent a heartbeat yet"},
        "heartbeat": {"ok": False, "error": "no worker has run a heartbeat yet"},
    }


def test_healthy_when_beat_sent_and_a_worker_ran_a_heartbeat_recently(redis):
    record_heartbeat(redis, sent_seconds_ago=5, ran_seconds_ago=4)

    returncode, report = health_report()

    assert returncode == 0
    assert report["healthy"] is True
    assert report["checks"]["beat"]["ok"] is True
    assert report["checks"]["heartbeat"]["ok"] is True
    assert report["checks"]["heartbeat"]["worker"] == "w1"


def test_a_stale_heartbeat_from_a_live_beat_blames_the_workers(redis):
    record_heartbeat(redis, sent_seconds_ago=1, ran_seconds_ago=20)

    returncode, report = health_report(HEARTBEAT_INTERVAL="5", HEARTBEAT_MAX_AGE="10")

    assert returncode == 1
    assert report["checks"]["beat"]["ok"] is True
    heartbeat = report["checks"]["heartbeat"]
    assert heartbeat["ok"] is False
    assert heartbeat["max_age_seconds"] == 10
    assert heartbeat["age_seconds"] >= 20


def test_unhealthy_when_beat_stopped_sending(redis):
    record_heartbeat(redis, sent_seconds_ago=20, ran_seconds_ago=20)

    returncode, report = health_report(HEARTBEAT_INTERVAL="5", HEARTBEAT_MAX_AGE="10")

    assert returncode == 1
    assert report["checks"]["beat"]["ok"] is False
    assert report["checks"]["beat"]["age_seconds"] >= 20


def test_answers_quickly_with_the_reason_when_redis_is_down():
    result, seconds = run_health(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    assert result.returncode == 1
    checks = json.loads(result.stdout)["checks"]
    assert checks["redis"]["ok"] is False
    assert "refused" in checks["redis"]["error"].lower()
    assert checks["beat"]["ok"] is False
    assert seconds < 10  # generous for a loaded machine; docs/benchmarks.md has the real figure


def test_answers_quickly_when_redis_accepts_connections_but_never_answers():
    with socket.create_server(("127.0.0.1", 0)) as silent_server:
        port = silent_server.getsockname()[1]
        result, seconds = run_health(REDIS_URL=f"redis://127.0.0.1:{port}/0")

    assert result.returncode == 1
    redis_check = json.loads(result.stdout)["checks"]["redis"]
    assert redis_check["ok"] is False
    assert "timeout" in redis_check["error"].lower()
    assert seconds < 10


def test_workers_check_fails_when_no_worker_answers(redis):
    # A database no worker listens on: the ping goes out and nobody answers.
    server = redis.connection_pool.connection_kwargs
    url = f"redis://{server['host']}:{server['port']}/9"
    other_database = Redis.from_url(url)
    record_heartbeat(other_database, sent_seconds_ago=0, ran_seconds_ago=0)

    returncode, report = health_report("workers", REDIS_URL=url)

    assert returncode == 1
    assert set(report["checks"]) == {"redis", "workers"}
    assert report["checks"]["workers"] == {"ok": False, "workers": []}
    other_database.flushdb()


def test_runs_only_the_checks_named(redis):
    record_heartbeat(redis, sent_seconds_ago=0)  # beat is up, no worker ran it

    returncode, report = health_report("beat")

    assert returncode == 0
    assert set(report["checks"]) == {"redis", "beat"}


@pytest.mark.parametrize("arguments", [["--no-such-flag"], ["beet"]])
def test_usage_error_exits_2_with_one_line(arguments):
    result, _ = run_health(*arguments)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].startswith("python -m")
