"""The Celery application: ``celery -A {{ cookiecutter.project_slug }}.celery_app worker|beat``.

Configured from Django's settings: every CELERY_* name in django_settings.py
is a Celery setting (CELERY_BROKER_URL is ``broker_url``). Celery's Django
support sets Django up in the worker and beat before the tasks are imported,
so tasks can use the ORM.
"""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

from . import activity
{%- if cookiecutter.scheduler == "redis" %}
from .redis_client import CLIENT_OPTIONS, key
from .settings import settings
{%- endif %}

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.django_settings")

TASK_MODULES = [
    "{{ cookiecutter.project_slug }}.tasks.cache",
{%- if cookiecutter.scheduler == "database" %}
    "{{ cookiecutter.project_slug }}.tasks.digests",
{%- endif %}
    "{{ cookiecutter.project_slug }}.tasks.external_sync",
    "{{ cookiecutter.project_slug }}.tasks.heartbeat",
    "{{ cookiecutter.project_slug }}.tasks.records",
    "{{ cookiecutter.project_slug }}.tasks.reports",
    "{{ cookiecutter.project_slug }}.tasks.sessions",
]

app = Celery("{{ cookiecutter.project_slug }}", include=TASK_MODULES)
app.config_from_object("django.conf:settings", namespace="CELERY")
{%- if cookiecutter.scheduler == "redis" %}
# RedBeat looks its settings up by their own names, which Django's CELERY_
# namespace hides from it, so they are set here.
app.conf.update(
    redbeat_redis_url=settings.redis_url,
    redbeat_key_prefix=key("redbeat") + ":",
    redbeat_redis_options=dict(CLIENT_OPTIONS),
)
{%- endif %}


@setup_logging.connect
def use_django_logging(**_):
    """Log through Django's LOGGING, so web, worker and beat log alike.

    Connecting to this signal is what stops Celery from setting up logging
    its own way; the worker's --loglevel gives way to LOG_LEVEL.
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


activity.record_task_outcomes()
