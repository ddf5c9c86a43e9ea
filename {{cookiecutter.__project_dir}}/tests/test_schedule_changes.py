"""Changing the schedule at runtime with ``python -m {{ cookiecutter.project_slug }}.schedule``."""

import time
{%- if cookiecutter.scheduler == "redis" %}
from datetime import UTC, datetime, timedelta
{%- endif %}

import pytest
from conftest import {% if cookiecutter.scheduler == "redis" %}schedule_of, {% endif %}successful_runs, wait_for
{%- if cookiecutter.scheduler == "redis" %}
from redbeat.schedulers import RedBeatSchedulerEntry
{%- endif %}

{% if cookiecutter.scheduler == "redis" -%}
from {{ cookiecutter.project_slug }} import schedule_store
from {{ cookiecutter.project_slug }}.celery_app import app
{% endif -%}
from {{ cookiecutter.project_slug }}.schedule import main
{%- if cookiecutter.scheduler == "redis" %}
from {{ cookiecutter.project_slug }}.schedulers import LeaderRedBeatScheduler
{%- endif %}
from {{ cookiecutter.project_slug }}.tasks.cache import cleanup_expired_cache

CLEANUP = cleanup_expired_cache.name
DRY_RUN = '{"dry_run": true}'


def listed_entry(capsys, name):
    """What ``list`` prints about one entry, or None if it does not list it."""
    capsys.readouterr()  # drop what earlier commands printed
    assert main(["list"]) == 0
    output = capsys.readouterr().out
    if f"\n{name}\n" not in output:
        return None
    return output.split(f"\n{name}\n")[1].split("\n\n")[0]


def test_add_pause_resume_and_remove_an_entry(redis, capsys):
    assert main(["add", "nightly-cleanup", CLEANUP, "--cron", "15 3 * * *"]) == 0
    assert "Added nightly-cleanup" in capsys.readouterr().out
    entry = listed_entry(capsys, "nightly-cleanup")
    assert "when:     At 03:15 (15 3 * * *)" in entry
    assert "enabled:  yes" in entry

    assert main(["pause", "nightly-cleanup"]) == 0
    assert "enabled:  no (paused)" in listed_entry(capsys, "nightly-cleanup")

    assert main(["resume", "nightly-cleanup"]) == 0
    assert "enabled:  yes" in listed_entry(capsys, "nightly-cleanup")

    assert main(["remove", "nightly-cleanup"]) == 0
    assert listed_entry(capsys, "nightly-cleanup") is None


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["pause", "no-such-entry"], "no schedule entry named 'no-such-entry'"),
        (["remove", "no-such-entry"], "no schedule entry named 'no-such-entry'"),
        (["add", "x", CLEANUP, "--cron", "61 * * * *"], "is not a valid crontab"),
        (["add", "x", CLEANUP, "--cron", "0 9 * *"], "is not five crontab fields"),
        (["add", "x", CLEANUP, "--every", "often"], "is not an interval like 30s"),
        (["add", "x", CLEANUP, "--every", "0s"], "is not an interval like 30s"),
        (["add", "x", "no.such.task", "--every", "1m"], "no task named 'no.such.task'"),
        (["add", "x", CLEANUP, "--every", "1m", "--kwargs", "[1]"], "must be a JSON object"),
    ],
)
def test_refuses_bad_input_with_one_line(redis, capsys, arguments, error):
    assert main(arguments) == 2

    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and error in line


def test_refuses_a_name_that_is_taken(redis, capsys):
    assert main(["add", "twice", CLEANUP, "--every", "1h"]) == 0

    assert main(["add", "twice", CLEANUP, "--every", "2h"]) == 2
    assert "exists already" in capsys.readouterr().err


def test_a_running_beat_applies_changes_without_a_restart(redis, worker, start_beat):
    beat = start_beat()
    wait_for(lambda: "This beat is the leader" in beat.log(), 30, beat.log)

    added = main(["add", "every-second", CLEANUP, "--every", "1s", "--kwargs", DRY_RUN])
    assert added == 0
    wait_for(lambda: successful_runs(cleanup_expired_cache) >= 3, 30, beat.log)

    assert main(["pause", "every-second"]) == 0
    time.sleep(6)  # beat applies a change within its loop interval, 5 s
    runs_once_paused = successful_runs(cleanup_expired_cache)
    time.sleep(3)
    assert successful_runs(cleanup_expired_cache) == runs_once_paused
    assert beat.process.poll() is None
{%- if cookiecutter.scheduler == "redis" %}


def start_and_stop_beats_scheduler():
    """What a beat start does to the schedule: store BEAT_SCHEDULE over what Redis holds."""
    LeaderRedBeatScheduler(app=app).close()


def test_a_beat_restart_keeps_a_paused_entry_paused_and_every_last_run(redis):
    start_and_stop_beats_scheduler()
    assert main(["pause", "generate-weekly-report"]) == 0
    sent_at = datetime.now(UTC) - timedelta(minutes=9)
    entry_key = RedBeatSchedulerEntry.generate_key(app, "refresh-stale-records")
    RedBeatSchedulerEntry.from_key(entry_key, app=app).reschedule(last_run_at=sent_at)

    start_and_stop_beats_scheduler()

    assert not schedule_store.find(app, "generate-weekly-report")["enabled"]
    assert schedule_store.find(app, "refresh-stale-records")["enabled"]
    assert schedule_store.find(app, "refresh-stale-records")["last_run_at"] == sent_at
    # Beat loads an entry once its score, a time, has come: a restart that
    # counted from now would put this one off by 9 minutes.
    due_at = sent_at + schedule_of("refresh-stale-records").run_every
    assert redis.zscore(app.redbeat_conf.schedule_key, entry_key) <= due_at.timestamp()
{%- endif %}
