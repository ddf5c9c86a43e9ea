"""The Celery application: ``celery -A {{ cookiecutter.project_slug }}.celery_app worker|beat``.

Configured from Django's settings: every CELERY_* name in django_settings.py
is a Celery setting (CELERY_BROKER_URL is ``broker_url``); they are
``celery_config``'s unless the site sets its own. Celery's Django support
sets Django up in the worker and beat before the tasks are imported, so
tasks can use the ORM.
"""

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

from . import activity, liveness, run_events
from .sentry import start_sentry

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{__package__}.django_settings")

app = Celery(__package__)
app.config_from_object("django.conf:settings", namespace="CELERY")


@setup_logging.connect
def use_django_logging(**_: Any) -> None:
    """Log through Django's LOGGING, so web, worker and beat log alike.

    Connecting to this signal is what stops Celery from setting up logging
    its own way; the worker's --loglevel gives way to LOG_LEVEL.
    """
    from django.conf import settings as django_settings

    logging.config.dictConfig(django_settings.LOGGING)


start_sentry()
activity.record_task_outcomes()
run_events.watch_runs()
liveness.sign_worker_loop(app)
