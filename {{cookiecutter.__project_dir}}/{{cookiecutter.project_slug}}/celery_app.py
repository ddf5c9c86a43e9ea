"""The Celery application: ``celery -A {{ cookiecutter.project_slug }}.celery_app worker|beat``.

Configured for periodic maintenance work: messages are JSON only, every task
has a time limit, and a task lost with its worker is delivered again.
"""

import ssl
from datetime import timedelta

from celery import Celery

from . import activity
from .beat_schedule import BEAT_SCHEDULE
{%- if cookiecutter.scheduler == "redis" %}
from .redis_client import CLIENT_OPTIONS, key
{%- endif %}
from .settings import settings

TASK_MODULES = [
    "{{ cookiecutter.project_slug }}.tasks.cache",
    "{{ cookiecutter.project_slug }}.tasks.external_sync",
    "{{ cookiecutter.project_slug }}.tasks.heartbeat",
    "{{ cookiecutter.project_slug }}.tasks.records",
    "{{ cookiecutter.project_slug }}.tasks.reports",
]

{% if cookiecutter.scheduler == "redis" %}
# Beat sleeps until the next entry is due, but never longer than this: RedBeat
# reads the schedule from Redis on each wake-up, so a change made there
# applies within this long. The leader lock (beat_leader) wakes it more often
# still, to renew the lock.
BEAT_MAX_LOOP_INTERVAL_SECONDS = 5
{%- else %}
# Beat sleeps until the next entry is due, but never longer than this. The
# leader lock (beat_leader) wakes it more often still, to renew the lock.
BEAT_MAX_LOOP_INTERVAL_SECONDS = 60
{%- endif %}

# A crontab run that beat missed (it was down at the time) is sent when beat
# comes back only if it is less than this late; an older one is skipped and
# the entry waits for its next time. Interval and solar entries are not
# affected: an overdue one runs once when beat comes back.
CRON_STARTING_DEADLINE_SECONDS = 30 * 60

BROKER_TRANSPORT_OPTIONS = {
    # A message whose worker died without acknowledging it (kill -9, a lost
    # machine) goes back to the queue this long after it was delivered;
    # settings makes sure that is longer than any task may run.
    "visibility_timeout": settings.visibility_timeout,
    # Workers look for such messages every 10 s; kombu would otherwise look
    # only every tenth time, so redelivery could lag by 100 s.
    "unacked_restore_throttle": 1,
}

app = Celery("{{ cookiecutter.project_slug }}", include=TASK_MODULES)

app.conf.update(
    broker_url=settings.redis_url,
    result_backend=settings.redis_url,
    broker_connection_retry_on_startup=True,
    broker_transport_options=BROKER_TRANSPORT_OPTIONS,
    result_backend_transport_options={"visibility_timeout": settings.visibility_timeout},
    # JSON only: a worker that accepted pickle would run whatever code
    # anyone able to write to Redis put in a message.
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    result_expires=timedelta(days=1),
    task_soft_time_limit=settings.task_soft_time_limit,
    task_time_limit=settings.task_time_limit,
    # Long maintenance tasks: a worker takes one message at a time so a
    # second one never waits behind a long run while another worker idles.
    worker_prefetch_multiplier=1,
    # Events let Flower show tasks as they are sent, start and finish.
    worker_send_task_events=True,
    task_send_sent_event=True,
    task_track_started=True,
    timezone=settings.timezone,
    enable_utc=True,
    beat_schedule=BEAT_SCHEDULE,
{%- if cookiecutter.scheduler == "redis" %}
    # RedBeat keeps the schedule in Redis. Its own lock is off: the leader
    # lock of beat_leader keeps a second beat a standby (see schedulers).
    beat_scheduler="{{ cookiecutter.project_slug }}.schedulers:LeaderRedBeatScheduler",
    redbeat_redis_url=settings.redis_url,
    redbeat_key_prefix=key("redbeat") + ":",
    redbeat_redis_options=dict(CLIENT_OPTIONS),
{%- else %}
    beat_scheduler="{{ cookiecutter.project_slug }}.schedulers:StateDirScheduler",
    beat_schedule_filename=str(settings.state_dir / "celerybeat-schedule"),
{%- endif %}
    beat_max_loop_interval=BEAT_MAX_LOOP_INTERVAL_SECONDS,
    beat_cron_starting_deadline=CRON_STARTING_DEADLINE_SECONDS,
)

if settings.redis_url.startswith("rediss://"):
    # Celery refuses a rediss:// URL unless told how to check the server's
    # certificate; check it, as redis-py does by default.
    app.conf.broker_use_ssl = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    app.conf.redis_backend_use_ssl = {"ssl_cert_reqs": ssl.CERT_REQUIRED}

activity.record_task_outcomes()
