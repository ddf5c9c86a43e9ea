"""Expired sessions are deleted; live ones stay."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from ..tasks.sessions import clear_expired_sessions


def test_clears_expired_sessions_only():
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(1))

    clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
