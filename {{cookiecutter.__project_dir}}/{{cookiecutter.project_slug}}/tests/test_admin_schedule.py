"""django-celery-beat's admin: each task's schedule, last and next run, and the disable action.

That its pages load for staff only is ``test_admin``'s, with every page.
"""

import re
import time
from datetime import UTC

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from .. import ledger
from ..beat_admin.models import EntryMonitoring
from ..tasks.heartbeat import heartbeat

HEARTBEAT_TASK = heartbeat.name


def test_periodic_task_list_shows_schedule_last_and_next_run(admin_client):
    every_ten_minutes, _ = IntervalSchedule.objects.get_or_create(
        every=10, period=IntervalSchedule.MINUTES
    )
    PeriodicTask.objects.create(name="listed-task", task=HEARTBEAT_TASK, interval=every_ten_minutes)

    page = admin_client.get("/admin/django_celery_beat/periodictask/").content.decode()

    assert "listed-task" in page
    assert "every 10 minutes" in page
    for column in ("Last run", "Next run", "Enabled"):
        assert column.lower() in page.lower()


def test_a_crontab_tasks_next_run_is_shown_on_its_minute(admin_client):
    at_seven_past, _ = CrontabSchedule.objects.get_or_create(minute="7", timezone=UTC)
    PeriodicTask.objects.create(name="at-seven-past", task=HEARTBEAT_TASK, crontab=at_seven_past)

    page = admin_client.get("/admin/django_celery_beat/periodictask/").content.decode()

    next_run = re.search(r'class="field-next_run[^"]*">([^<]*)<', row_of(page, "at-seven-past"))
    assert next_run is not None and ":07 " in next_run[1], next_run


def test_periodic_task_list_shows_each_tasks_status_last_outcome_and_duration(admin_client, redis):
    every_ten_minutes, _ = IntervalSchedule.objects.get_or_create(
        every=10, period=IntervalSchedule.MINUTES
    )
    for name in ("failing-task", "new-task"):
        PeriodicTask.objects.create(name=name, task=HEARTBEAT_TASK, interval=every_ten_minutes)
    ledger.watch(["failing-task", "new-task"])
    ledger.record("failing-task", "run-1", sent_at=time.time(), sent_by="beat")
    ledger.record("failing-task", "run-1", outcome="failed", duration=0.5, error="ValueError: no")

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/django_celery_beat/periodictask/").content.decode()

    rows = {name: row_of(page, name) for name in ("failing-task", "new-task")}
    assert "failing" in rows["failing-task"]
    assert "failed: ValueError: no" in rows["failing-task"]
    assert "0.5 s" in rows["failing-task"]
    assert "never ran" in rows["new-task"]
    # Each row's schedule and monitoring come in the rows' query, not in one query per row.
    for table in (EntryMonitoring._meta.db_table, IntervalSchedule._meta.db_table):
        assert not [query for query in queries if f'FROM "{table}"' in query["sql"]]


def row_of(page, name):
    """The table row of the list page that names ``name``."""
    start = page.index(f">{name}<")
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_a_staff_user_can_disable_a_periodic_task_from_the_list(admin_client):
    every_minute, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.MINUTES
    )
    task = PeriodicTask.objects.create(
        name="to-disable", task=HEARTBEAT_TASK, interval=every_minute
    )

    response = admin_client.post(
        "/admin/django_celery_beat/periodictask/",
        {"action": "disable_tasks", "_selected_action": [task.pk]},
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.enabled is False
