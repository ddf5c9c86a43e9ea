"""``manage.py sync_periodic_tasks``: the code schedule seeds the database, the operator decides."""

from datetime import timedelta

from celery.schedules import crontab
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from ..beat_schedule import BEAT_SCHEDULE
from ..celery_app import app
from ..schedule_sync import FROM_CODE, sync_periodic_tasks
from ..tasks.cache import cleanup_expired_cache
from ..typing_gaps import interval_of

TASK = cleanup_expired_cache.name


def sync(schedule, **options):
    return sync_periodic_tasks(schedule, app, **options)


def test_creates_every_entry_of_the_code_schedule():
    report = sync(BEAT_SCHEDULE)

    assert sorted(report.created) == sorted(BEAT_SCHEDULE)
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == set(BEAT_SCHEDULE)


def test_stores_schedule_arguments_and_expiry_of_each_entry():
    sync(BEAT_SCHEDULE)

    audit = PeriodicTask.objects.get(name="audit-session-keys")
    assert audit.task == BEAT_SCHEDULE["audit-session-keys"]["task"]
    assert audit.kwargs == '{"dry_run": true, "prefix": "session:"}'
    assert audit.expire_seconds == BEAT_SCHEDULE["audit-session-keys"]["options"]["expires"]
    assert audit.crontab is not None
    assert (audit.crontab.minute, audit.crontab.hour, audit.crontab.day_of_week) == (
        "30",
        "8",
        "mon-fri",
    )
    assert str(audit.crontab.timezone) == str(app.conf.timezone)
    heartbeat = PeriodicTask.objects.get(name="heartbeat")
    assert heartbeat.interval is not None
    assert interval_of(heartbeat.interval.schedule) == BEAT_SCHEDULE["heartbeat"]["schedule"]
    sunrise = PeriodicTask.objects.get(name="refresh-records-at-sunrise")
    assert sunrise.solar is not None and sunrise.solar.event == "sunrise"


def test_a_second_sync_changes_nothing():
    sync(BEAT_SCHEDULE)
    last_change = PeriodicTasks.last_change()

    report = sync(BEAT_SCHEDULE)

    assert sorted(report.unchanged) == sorted(BEAT_SCHEDULE)
    assert not report.changed
    assert PeriodicTasks.last_change() == last_change


def cleanup_entry(**changes):
    """A schedule entry for the cache cleanup: hourly at seven past, unless changed."""
    return {"task": TASK, "schedule": crontab(minute=7), **changes}


def test_updates_an_entry_whose_code_changed_and_tells_beat():
    sync({"cleanup": cleanup_entry()})
    before = PeriodicTasks.last_change()

    report = sync(
        {"cleanup": cleanup_entry(schedule=timedelta(minutes=5), kwargs={"prefix": "tmp:"})}
    )

    assert report.updated == {"cleanup": ["crontab", "interval", "kwargs"]}
    task = PeriodicTask.objects.get(name="cleanup")
    assert task.crontab is None
    assert task.interval is not None
    assert (task.interval.every, task.interval.period) == (300, IntervalSchedule.SECONDS)
    assert PeriodicTasks.last_change() > before


def test_keeps_an_entry_the_operator_disabled():
    sync({"cleanup": cleanup_entry()})
    PeriodicTask.objects.filter(name="cleanup").update(enabled=False)

    report = sync({"cleanup": cleanup_entry(schedule=crontab(minute=8))})

    assert report.kept_disabled == ["cleanup"]
    task = PeriodicTask.objects.get(name="cleanup")
    assert task.crontab is not None
    assert (task.enabled, task.crontab.minute) == (False, "8")


def test_reset_enabled_overrides_the_operator():
    sync({"cleanup": cleanup_entry()})
    PeriodicTask.objects.filter(name="cleanup").update(enabled=False)

    report = sync({"cleanup": cleanup_entry()}, reset_enabled=True)

    assert report.updated == {"cleanup": ["enabled"]}
    assert PeriodicTask.objects.get(name="cleanup").enabled is True


def test_prune_deletes_only_entries_the_sync_created():
    sync({"gone-from-code": cleanup_entry()})
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(name="made-in-the-admin", task=TASK, interval=every_hour)

    kept = sync({}, prune=False)
    pruned = sync({}, prune=True)

    assert kept.pruned == []
    assert pruned.pruned == ["gone-from-code"]
    remaining = PeriodicTask.objects.values_list("name", "description")
    assert list(remaining) == [("made-in-the-admin", "")]


def test_the_command_reports_what_it_did(capsys):
    call_command("sync_periodic_tasks")
    PeriodicTask.objects.filter(name="heartbeat").update(enabled=False)

    call_command("sync_periodic_tasks")

    output = capsys.readouterr().out
    assert "created   heartbeat" in output
    assert "disabled  heartbeat (kept as set in the admin" in output
    assert f"0 created, 0 updated, {len(BEAT_SCHEDULE)} unchanged, 0 pruned" in output
    assert PeriodicTask.objects.get(name="generate-weekly-report").description == FROM_CODE
