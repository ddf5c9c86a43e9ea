"""The per-user daily digest that ``user_digests`` schedules."""

from datetime import timedelta
from typing import NotRequired, TypedDict

from celery.utils.log import get_task_logger
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from ..celery_app import app
from ..models import Document

logger = get_task_logger(__name__)


class DigestSummary(TypedDict):
    sent: bool
    changed: NotRequired[int]


@app.task(acks_late=True, reject_on_worker_lost=True)
def send_daily_digest(user_id: int) -> DigestSummary:
    """E-mail one user how many documents changed in the last day."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        logger.info("Skipping the digest of user %s: no active user with an e-mail", user_id)
        return {"sent": False}
    changed = Document.objects.filter(updated_at__gte=timezone.now() - timedelta(days=1)).count()
    send_mail(
        subject="Your daily digest",
        message=f"{changed} documents changed in the last 24 hours.",
        from_email=None,  # DEFAULT_FROM_EMAIL
        recipient_list=[user.email],
    )
    return {"sent": True, "changed": changed}
