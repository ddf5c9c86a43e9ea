"""Django's own housekeeping: the session table."""

from importlib import import_module

from celery.utils.log import get_task_logger
from django.conf import settings as django_settings

from ..celery_app import app

logger = get_task_logger(__name__)


@app.task(acks_late=True, reject_on_worker_lost=True)
def clear_expired_sessions() -> None:
    """Delete expired sessions, as ``manage.py clearsessions`` does.

    Django never deletes a session that simply expired; without this the
    table grows by one row per visitor for ever.
    """
    engine = import_module(django_settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    logger.info("Cleared expired sessions")
