"""The project's Celery app with one more entry, due every minute, for the tests' beats.

``celery -A <package>.tests.beat_app beat`` runs the project's own scheduler
on BEAT_SCHEDULE and ``support.EVERY_MINUTE``: a crontab entry the failover
tests can watch without waiting hours for one of the code's.
"""

from ..celery_app import app
from .support import EVERY_MINUTE

app.conf.beat_schedule = {**app.conf.beat_schedule, **EVERY_MINUTE}
