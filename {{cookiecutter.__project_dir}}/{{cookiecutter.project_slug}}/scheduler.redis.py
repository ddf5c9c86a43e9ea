"""Beat's scheduler class: RedBeat, its schedule in Redis (``beat_scheduler`` names it).

Like every scheduler of this project it sends only while it holds the
leader lock (``beat_leader``): a second beat is a standby, not a duplicate.
"""

import json
import logging
from datetime import datetime
from typing import Any

from celery import Celery
from redbeat.decoder import RedBeatJSONEncoder
from redbeat.schedulers import RedBeatScheduler, ensure_conf
from redbeat.schedulers import get_redis as redbeat_redis
from redis.client import Pipeline

from .beat_leader import LeaderOnlyScheduler
from .schedule_store import RedBeatEntry
from .scheduler_settings import redbeat_client

logger = logging.getLogger(__name__)

# Entries read or stored per Redis round trip when beat starts.
STORE_BATCH_SIZE = 500


class LeaderRedBeatScheduler(LeaderOnlyScheduler, RedBeatScheduler):
    """RedBeat, its schedule in Redis, behind the project's leader lock.

    RedBeat's own lock is turned off (``redbeat_lock_key``, in
    ``scheduler_settings``): the leader lock does the same job, says which
    beat leads and which stands by, and a beat that loses it exits instead of
    crashing in the middle of a tick.

    At start RedBeat writes BEAT_SCHEDULE over the stored entries, keeping
    when each last ran; an entry paused with the schedule command stays
    paused, so a restart does not undo an operator's pause.
    """

    Entry = RedBeatEntry

    def __init__(self, app: Celery, *args: Any, **kwargs: Any) -> None:
        redbeat_client(app)  # before RedBeat makes a client of its own
        super().__init__(app, *args, **kwargs)

    def update_from_dict(self, dict_: dict[str, Any]) -> None:
        # RedBeat's own version makes two round trips per entry, one to read
        # it and one to store it: some 8 s at 10,000 entries. In batches the
        # same work takes a round trip per STORE_BATCH_SIZE entries.
        names = list(dict_)
        for start in range(0, len(names), STORE_BATCH_SIZE):
            batch = names[start : start + STORE_BATCH_SIZE]
            self._store_batch({name: dict_[name] for name in batch})

    def _store_batch(self, dict_: dict[str, Any]) -> None:
        client = redbeat_redis(self.app)
        with client.pipeline(transaction=False) as pipe:
            for name in dict_:
                pipe.hmget(RedBeatEntry.generate_key(self.app, name), "definition", "meta")
            stored = pipe.execute()
        entries = []
        for (name, fields), (definition, meta) in zip(dict_.items(), stored, strict=True):
            try:
                entry = RedBeatEntry(**{**fields, "name": name, "app": self.app})
            except Exception as exc:
                # As in RedBeat: one bad entry must not keep the others out.
                logger.error("Could not add the entry %s to the schedule: %r", name, exc)
                continue
            if definition:
                entry.last_run_at = RedBeatEntry.decode_meta(meta)["last_run_at"]
                entry.enabled = entry.enabled and json.loads(definition).get("enabled", True)
            entries.append(entry)
        schedule_key = ensure_conf(self.app).schedule_key
        with client.pipeline(transaction=False) as pipe:
            for entry in entries:
                _save_onto(pipe, entry, schedule_key)
            pipe.execute()

    def find_entry(self, name: str) -> RedBeatEntry | None:
        # RedBeat's ``schedule`` holds only the entries due now: read it from Redis.
        try:
            entry = RedBeatEntry.from_key(RedBeatEntry.generate_key(self.app, name), app=self.app)
        except KeyError:
            return None
        return entry if entry.enabled else None

    def set_last_run(self, name: str, when: datetime) -> None:
        # Stored, with the entry filed under its new due time. Unlike
        # RedBeat's ``reschedule``, this keeps its count of runs.
        entry = self.find_entry(name)
        if entry is None:
            return
        entry.last_run_at = when
        meta = {"last_run_at": when, "total_run_count": entry.total_run_count}
        with redbeat_redis(self.app).pipeline() as pipe:
            pipe.hset(entry.key, "meta", json.dumps(meta, cls=RedBeatJSONEncoder))
            pipe.zadd(ensure_conf(self.app).schedule_key, {entry.key: entry.score})
            pipe.execute()

    def leadership_regained(self) -> None:
        # A Redis that restarted empty lost RedBeat's schedule with the lock,
        # and beat would go on sending nothing at all.
        if not redbeat_redis(self.app).exists(ensure_conf(self.app).schedule_key):
            logger.warning(
                "The schedule is gone from Redis (it restarted empty): storing "
                "BEAT_SCHEDULE again; entries added at runtime are lost"
            )
            self.setup_leader_schedule()


def _save_onto(pipe: Pipeline, entry: RedBeatEntry, schedule_key: str) -> None:
    """RedBeat's ``RedBeatSchedulerEntry.save()``, queued on a pipeline shared by many entries."""
    definition = {
        "name": entry.name,
        "task": entry.task,
        "args": entry.args,
        "kwargs": entry.kwargs,
        "options": entry.options,
        "schedule": entry.schedule,
        "enabled": entry.enabled,
    }
    pipe.hset(entry.key, "definition", json.dumps(definition, cls=RedBeatJSONEncoder))
    meta = {"last_run_at": entry.last_run_at}
    # Only where there is none yet, as RedBeat does: a stored meta also
    # counts the entry's runs.
    pipe.hsetnx(entry.key, "meta", json.dumps(meta, cls=RedBeatJSONEncoder))
    pipe.zadd(schedule_key, {entry.key: entry.score})
