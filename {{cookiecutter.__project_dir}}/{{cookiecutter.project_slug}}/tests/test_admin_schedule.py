"""django-celery-beat's admin: each task's schedule, last and next run, and the disable action.

That its pages load for staff only is ``test_admin``'s, with every page.
"""

from django_celery_beat.models import IntervalSchedule, PeriodicTask

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
