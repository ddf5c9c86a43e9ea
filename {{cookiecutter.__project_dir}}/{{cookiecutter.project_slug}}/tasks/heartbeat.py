"""The heartbeat: proof that beat is sending and a worker is running tasks.

Two timestamps in one Redis hash tell the two apart: ``sent_at``, written by
the process that sends the heartbeat (beat, every HEARTBEAT_INTERVAL
seconds), and ``ran_at``, written by the worker that runs it. A fresh
``sent_at`` with a stale ``ran_at`` means beat is fine and the workers are
not; both stale means beat is down. ``python -m <project>.health`` reads them.
"""

import time
from typing import Any, TypedDict

from celery import Task
from celery.signals import before_task_publish
from celery.utils.log import get_task_logger

from ..celery_app import app
from ..redis_client import HEARTBEAT_KEY, get_redis

logger = get_task_logger(__name__)


class HeartbeatSummary(TypedDict):
    ran_at: float


@app.task(bind=True, ignore_result=True)
def heartbeat(self: Task[Any, Any]) -> HeartbeatSummary:
    """Record when a worker last ran the heartbeat.

    The entry lets it expire after one interval, so a fresh ``ran_at`` means
    beat, the broker and a worker all worked in the last interval.
    """
    now = time.time()
    worker = self.request.hostname or "unknown"
    get_redis().hset(HEARTBEAT_KEY, mapping={"ran_at": now, "worker": worker})
    logger.info("Heartbeat from %s", worker)
    return {"ran_at": now}


@before_task_publish.connect(sender=heartbeat.name)
def record_heartbeat_sent(**_: Any) -> None:
    """Record when the heartbeat was last sent: by beat, or by hand with ``make run``.

    Beat imports the task modules at start, so this runs in beat's process.
    """
    get_redis().hset(HEARTBEAT_KEY, "sent_at", time.time())
