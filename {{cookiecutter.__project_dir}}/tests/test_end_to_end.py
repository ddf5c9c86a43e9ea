"""Real beat and worker processes: beat sends on schedule, the worker runs it,
and health tells when beat is gone."""

import json

from conftest import PROJECT_ROOT, one_second_heartbeat, run_health, wait_for

from {{ cookiecutter.project_slug }}.redis_client import HEARTBEAT_KEY
{%- if cookiecutter.scheduler != "database" %}
from {{ cookiecutter.project_slug }}.schedule import main
{%- endif %}

# A 1-second heartbeat counts as dead after 3 seconds without one.
HEARTBEAT = {"HEARTBEAT_INTERVAL": "1", "HEARTBEAT_MAX_AGE": "3"}


def health():
    result, _ = run_health("beat", "heartbeat", "workers", **HEARTBEAT)
    return result.returncode, json.loads(result.stdout)["checks"]


def healthy():
    return health()[0] == 0


def unhealthy_checks():
    returncode, checks = health()
    return checks if returncode == 1 else None


def test_health_follows_beat_as_it_stops_and_starts(redis, worker, start_beat, tmp_path, capsys):
    one_second_heartbeat()
    state_dir = tmp_path / "state"
    beat = start_beat(STATE_DIR=str(state_dir), **HEARTBEAT)

    wait_for(healthy, 30, lambda: f"never healthy:\n{beat.log()}")
    assert "Sending due task heartbeat" in beat.log()
    ran_at = float(redis.hget(HEARTBEAT_KEY, "ran_at"))
    wait_for(
        lambda: float(redis.hget(HEARTBEAT_KEY, "ran_at")) > ran_at,
        10,
        "the worker ran no second heartbeat",
    )
{%- if cookiecutter.scheduler == "file" %}
    # Beat keeps its state in STATE_DIR, and writes no pidfile that could block a restart.
    assert list(state_dir.glob("celerybeat-schedule*"))
{%- else %}
    # Beat writes no pidfile that could block a restart.
{%- endif %}
    assert not list(PROJECT_ROOT.glob("*.pid"))
{%- if cookiecutter.scheduler != "database" %}
    # The schedule command shows when beat last sent it.
    assert main(["list"]) == 0
    heartbeat_entry = capsys.readouterr().out.split("\nheartbeat\n")[1].split("\n\n")[0]
    assert "last run: never" not in heartbeat_entry
{%- endif %}

    beat.stop()
    checks = wait_for(unhealthy_checks, 15, "still healthy without beat")
    assert checks["beat"]["ok"] is False and checks["beat"]["age_seconds"] > 3
    assert checks["workers"]["ok"] is True  # the workers are fine; beat is what is missing

    beat = start_beat(STATE_DIR=str(state_dir), **HEARTBEAT)
    wait_for(healthy, 30, lambda: f"not healthy after restart:\n{beat.log()}")
