"""The database scheduler: the schedule command reads django-celery-beat's tables."""

from datetime import datetime, timedelta

from django_celery_beat.models import PeriodicTask

from ..schedule import main
from .scheduler_support import store_code_schedule
from .support import free_port, listed_entry, run_module


def test_list_points_at_code_entries_missing_from_the_database(capsys):
    assert main(["list"]) == 0

    assert "In beat_schedule.py but not in the database yet: heartbeat" in capsys.readouterr().out


def test_list_works_without_redis_from_the_database():
    result = run_module("schedule", "list", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    assert result.returncode == 0, result.stderr


def test_a_task_that_never_ran_reads_never_and_counts_from_its_last_change(capsys):
    store_code_schedule()
    task = PeriodicTask.objects.get(name="refresh-stale-records")
    assert task.last_run_at is None and task.interval is not None

    assert main(["list"]) == 0
    listed = listed_entry(capsys.readouterr().out, task.name)

    # As django-celery-beat counts it: one interval after the row last changed.
    assert "last run: never" in listed
    next_run = datetime.fromisoformat(listed.split("next run: ")[1].strip())
    expected = task.date_changed + timedelta(seconds=task.interval.every)
    assert abs(next_run - expected) <= timedelta(seconds=1)
