"""A running beat follows the database: no restart for a change, no crash before migrations."""

import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ..redis_client import HEARTBEAT_KEY
from ..tasks.cache import cleanup_expired_cache
from .support import LEADS, PROJECT_ROOT, successful_runs, wait_for


def test_a_heartbeat_stored_after_beat_leads_is_sent_at_once(redis, start_beat):
    # As after `make migrate` on a fresh database: beat, waiting for the
    # tables, leads as soon as they exist, before the sync stores the schedule.
    beat = start_beat()
    wait_for(lambda: LEADS in beat.log(), 30, beat.log)

    call_command("sync_periodic_tasks")

    # Beat sees the change within its 5 s loop, well inside the heartbeat's minute.
    wait_for(lambda: redis.hget(HEARTBEAT_KEY, "sent_at"), 20, beat.log)


def test_an_entry_added_while_beat_runs_is_sent_without_a_restart(redis, worker, start_beat):
    call_command("sync_periodic_tasks")
    beat = start_beat()
    wait_for(lambda: "beat: Starting" in beat.log(), 30, beat.log)
    # Beat logs through Django's LOGGING, whose format names the logger.
    assert "] celery.beat: beat: Starting" in beat.log()

    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    entry = PeriodicTask.objects.create(
        name="added-at-runtime",
        task=cleanup_expired_cache.name,
        kwargs='{"dry_run": true}',
        interval=every_second,
    )
    wait_for(lambda: successful_runs(cleanup_expired_cache) >= 3, 30, beat.log)

    entry.enabled = False
    entry.save()
    # Beat checks for changes at least every 5 s (its loop interval).
    time.sleep(7)
    runs_after_disabling = successful_runs(cleanup_expired_cache)
    time.sleep(3)
    assert successful_runs(cleanup_expired_cache) == runs_after_disabling
    assert beat.process.poll() is None


def test_beat_started_before_migrations_waits_then_starts(tmp_path, start_beat):
    fresh_database = f"sqlite:///{tmp_path}/fresh.sqlite3"
    beat = start_beat(DATABASE_URL=fresh_database)
    wait_for(lambda: "Beat is waiting" in beat.log(), 30, beat.log)
    assert beat.process.poll() is None

    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": fresh_database},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert migrate.returncode == 0, migrate.stderr
    wait_for(lambda: "Database ready" in beat.log(), 30, beat.log)
    assert beat.log().count("Beat is waiting") == 1
    assert beat.process.poll() is None


def test_a_beat_waiting_for_migrations_stops_at_once_when_told_to(tmp_path, start_beat):
    beat = start_beat(DATABASE_URL=f"sqlite:///{tmp_path}/fresh.sqlite3")
    wait_for(lambda: "Beat is waiting" in beat.log(), 30, beat.log)

    assert beat.exit_code_on(signal.SIGTERM) == 0
