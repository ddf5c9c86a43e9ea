"""A schedule created, moved, paused and removed at runtime, per user."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django_celery_beat.models import PeriodicTask

from ..models import Document
from ..tasks.digests import send_daily_digest
from ..user_digests import (
    DIGEST_TASK,
    pause_daily_digest,
    remove_daily_digest,
    schedule_daily_digest,
)


@pytest.fixture
def user():
    return get_user_model().objects.create_user("ada", email="ada@example.com")


def test_schedules_a_daily_digest_at_the_users_time(user, settings):
    task = schedule_daily_digest(user, hour=7, minute=30)

    assert (task.task, task.enabled) == (DIGEST_TASK, True)
    assert json.loads(task.kwargs) == {"user_id": user.pk}
    assert task.crontab is not None
    assert (task.crontab.hour, task.crontab.minute) == ("7", "30")
    assert str(task.crontab.timezone) == settings.TIME_ZONE


def test_scheduling_again_moves_the_same_digest(user):
    schedule_daily_digest(user, hour=7)

    schedule_daily_digest(user, hour=18)

    (task,) = PeriodicTask.objects.filter(task=DIGEST_TASK)
    assert task.crontab.hour == "18"


def test_pause_keeps_the_schedule_and_disables_it(user):
    schedule_daily_digest(user, hour=7)

    pause_daily_digest(user)

    task = PeriodicTask.objects.get(task=DIGEST_TASK)
    assert task.crontab is not None
    assert (task.enabled, task.crontab.hour) == (False, "7")
    assert schedule_daily_digest(user, hour=7).enabled is True


def test_remove_deletes_the_schedule(user):
    schedule_daily_digest(user, hour=7)

    assert remove_daily_digest(user) is True
    assert remove_daily_digest(user) is False
    assert not PeriodicTask.objects.filter(task=DIGEST_TASK).exists()


def test_the_digest_mails_the_user(user):
    Document.objects.create(title="changed today")

    assert send_daily_digest(user.pk) == {"sent": True, "changed": 1}
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "1 documents changed" in message.body


def test_no_digest_for_a_user_without_an_address():
    quiet = get_user_model().objects.create_user("quiet")

    assert send_daily_digest(quiet.pk) == {"sent": False}
    assert mail.outbox == []
