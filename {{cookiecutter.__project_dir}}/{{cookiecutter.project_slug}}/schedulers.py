"""The beat scheduler the project runs, chosen by ``beat_scheduler`` in its Celery settings.

Like every scheduler of this project it sends only while it holds the
leader lock (``beat_leader``): a second beat is a standby, not a duplicate.
"""
{%- if cookiecutter.scheduler == "database" %}

import logging
import time

from django.db import DatabaseError, connection
from django_celery_beat.schedulers import DatabaseScheduler

from .beat_leader import LeaderOnlyScheduler
from .unapplied_migrations import count_unapplied_migrations

logger = logging.getLogger(__name__)

MIGRATION_POLL_SECONDS = 2


def wait_for_migrations():
    """Return once the database is reachable and fully migrated.

    Says why it waits once per reason (unreachable, then not migrated), not
    on every poll.
    """
    reported = None
    while True:
        try:
            pending = count_unapplied_migrations()
        except DatabaseError as exc:
            reason, detail = "unreachable", f"the database is not reachable ({exc})"
        else:
            if not pending:
                if reported:
                    logger.info("Database ready; starting the schedule")
                return
            reason = "not migrated"
            detail = f"{pending} migrations are not applied; run `manage.py migrate`"
        if reason != reported:
            logger.warning("Beat is waiting: %s", detail)
            reported = reason
        connection.close()
        time.sleep(MIGRATION_POLL_SECONDS)


class MigratedDatabaseScheduler(LeaderOnlyScheduler, DatabaseScheduler):
    """django-celery-beat's scheduler, made safe to start before ``migrate``.

    Stock beat crashes on a fresh database because the schedule tables do not
    exist yet; in compose it would crash-loop until the migrate step finished.
    This one waits, saying why, then starts.

    It also leaves the code schedule alone at start. Stock beat writes every
    BEAT_SCHEDULE entry over the database on each start, undoing what an
    operator changed in the admin; here ``manage.py sync_periodic_tasks`` is
    the one way code reaches the database, and it keeps the operator's choices.
    """

    def setup_schedule(self):
        # Migrations first: a leader waiting for them could not renew its lock.
        wait_for_migrations()
        self.become_leader()
        # django-celery-beat notices a change by comparing its time with the
        # last change time it saw, and it first looks on its second tick. An
        # edit made before that, or the first edit of a fresh database (no
        # change time at all yet), would wait for its five-minute full
        # reload. So start from a recorded change time.
        if self.Changes.last_change() is None:
            self.Changes.update_changed()
        self._last_timestamp = self.Changes.last_change()
        if not self.Model.objects.exists():
            logger.warning(
                "There are no periodic tasks in the database: run `manage.py sync_periodic_tasks`"
            )
{%- elif cookiecutter.scheduler == "redis" %}

import json
import logging

from redbeat import RedBeatScheduler
from redbeat.decoder import RedBeatJSONEncoder
from redbeat.schedulers import get_redis as redbeat_redis

from .beat_leader import LeaderOnlyScheduler

logger = logging.getLogger(__name__)

# Entries read or stored per Redis round trip when beat starts.
STORE_BATCH_SIZE = 500


class LeaderRedBeatScheduler(LeaderOnlyScheduler, RedBeatScheduler):
    """RedBeat, its schedule in Redis, behind the project's leader lock.

    RedBeat's own lock is turned off: the leader lock does the same job, says
    which beat leads and which stands by, and a beat that loses it exits
    instead of crashing in the middle of a tick.

    At start RedBeat writes BEAT_SCHEDULE over the stored entries, keeping
    when each last ran; an entry paused with the schedule command stays
    paused, so a restart does not undo an operator's pause.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set here rather than as redbeat_lock_key=None, which RedBeat does
        # not see under Django's CELERY_ namespace.
        self.lock_key = None

    def setup_schedule(self):
        self.become_leader()
        super().setup_schedule()

    def update_from_dict(self, dict_):
        # RedBeat's own version makes two round trips per entry, one to read
        # it and one to store it: some 8 s at 10,000 entries. In batches the
        # same work takes a round trip per STORE_BATCH_SIZE entries.
        names = list(dict_)
        for start in range(0, len(names), STORE_BATCH_SIZE):
            batch = names[start : start + STORE_BATCH_SIZE]
            self._store_batch({name: dict_[name] for name in batch})

    def _store_batch(self, dict_):
        client = redbeat_redis(self.app)
        with client.pipeline(transaction=False) as pipe:
            for name in dict_:
                pipe.hmget(self.Entry.generate_key(self.app, name), "definition", "meta")
            stored = pipe.execute()
        entries = []
        for (name, fields), (definition, meta) in zip(dict_.items(), stored, strict=True):
            try:
                entry = self._maybe_entry(name, fields)
            except Exception as exc:
                # As in RedBeat: one bad entry must not keep the others out.
                logger.error("Could not add the entry %s to the schedule: %r", name, exc)
                continue
            if definition:
                entry.last_run_at = self.Entry.decode_meta(meta)["last_run_at"]
                entry.enabled = entry.enabled and json.loads(definition).get("enabled", True)
            entries.append(entry)
        with client.pipeline(transaction=False) as pipe:
            for entry in entries:
                _save_onto(pipe, entry)
            pipe.execute()

    def leadership_regained(self):
        # A Redis that restarted empty lost RedBeat's schedule with the lock,
        # and beat would go on sending nothing at all.
        if not redbeat_redis(self.app).exists(self.app.redbeat_conf.schedule_key):
            logger.warning(
                "The schedule is gone from Redis (it restarted empty): storing "
                "BEAT_SCHEDULE again; entries added at runtime are lost"
            )
            super().setup_schedule()


def _save_onto(pipe, entry):
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
    pipe.zadd(entry.app.redbeat_conf.schedule_key, {entry.key: entry.score})
{%- else %}

import logging
from pathlib import Path

from celery.beat import PersistentScheduler
from redis.exceptions import RedisError

from .beat_leader import LeaderOnlyScheduler
from .schedule_store import record_last_run

logger = logging.getLogger(__name__)


class StateDirScheduler(LeaderOnlyScheduler, PersistentScheduler):
    """Celery's file-backed scheduler, with its state file in STATE_DIR.

    STATE_DIR is git-ignored locally and a volume in compose, so schedule
    state survives a redeploy without being committed. Celery does not create
    the folder, so a fresh checkout or an empty volume would fail to start.
    A standby opens the state file only once it leads, so two beats sharing
    the volume never write it at the same time.
    """

    def setup_schedule(self):
        self.become_leader()
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()

    def _destroy_open_corrupted_schedule(self, exc):
        # Celery's own version logs a traceback for a file it then simply
        # replaces; one line says all there is to say. What is lost is when
        # each entry last ran: interval entries count from now, crontab ones
        # wait for their next time.
        logger.error(
            "The schedule state file %s could not be read (%r); replacing it with a new one",
            self.schedule_filename,
            exc,
        )
        self._remove_db()
        return self._open_schedule()

    def reserve(self, entry):
        """Also record when the entry ran in Redis, where the schedule command reads it."""
        entry = super().reserve(entry)
        try:
            record_last_run(entry.name, entry.last_run_at)
        except RedisError as exc:
            # Bookkeeping must never stop beat from sending.
            logger.warning("Could not record the last run of %s: %s", entry.name, exc)
        return entry
{%- endif %}
