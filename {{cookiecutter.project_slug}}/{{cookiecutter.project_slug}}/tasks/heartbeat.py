"""The heartbeat: proof that beat is sending and a worker is running tasks."""

import time

from celery.utils.log import get_task_logger

from ..celery_app import app
from ..redis_client import get_redis, key

logger = get_task_logger(__name__)

HEARTBEAT_KEY = key("heartbeat")


@app.task(bind=True, ignore_result=True)
def heartbeat(self):
    """Record when a worker last ran the heartbeat beat sent.

    The entry sends it every HEARTBEAT_INTERVAL seconds and lets it expire
    after one interval, so a fresh timestamp here means beat, the broker and
    a worker all worked in the last interval.
    """
    now = time.time()
    get_redis().hset(HEARTBEAT_KEY, mapping={"ran_at": now, "worker": self.request.hostname})
    logger.info("Heartbeat from %s", self.request.hostname)
    return {"ran_at": now}
