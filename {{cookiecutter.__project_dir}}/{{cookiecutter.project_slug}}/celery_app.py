"""The Celery application: ``celery -A {{ cookiecutter.project_slug }}.celery_app worker|beat``.

Its settings are in ``celery_config``, the scheduler's among them.
"""

from celery import Celery

from . import activity, liveness, run_events
from .celery_config import CELERY_SETTINGS
from .sentry import start_sentry

app = Celery(__package__)
app.config_from_object(CELERY_SETTINGS)

start_sentry()
activity.record_task_outcomes()
run_events.watch_runs()
liveness.sign_worker_loop(app)
