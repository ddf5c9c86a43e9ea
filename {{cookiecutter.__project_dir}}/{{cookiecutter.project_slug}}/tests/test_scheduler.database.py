"""The database scheduler: the schedule command reads django-celery-beat's tables."""

from ..schedule import main
from .support import free_port, run_module


def test_list_points_at_code_entries_missing_from_the_database(capsys):
    assert main(["list"]) == 0

    assert "In beat_schedule.py but not in the database yet: heartbeat" in capsys.readouterr().out


def test_list_works_without_redis_from_the_database():
    result = run_module("schedule", "list", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    assert result.returncode == 0, result.stderr
