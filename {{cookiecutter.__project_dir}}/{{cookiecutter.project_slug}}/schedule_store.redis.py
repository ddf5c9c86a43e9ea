"""The schedule beat runs, for the schedule command: here RedBeat's, in Redis.

BEAT_SCHEDULE seeds it each time beat starts (an entry paused here stays
paused); entries added here live in Redis only. Until beat first starts,
the code's entries are listed as beat will store them. Beat reads the
schedule from Redis on every wake-up, so a change made here applies within
its loop interval (``scheduler_settings``), without a restart.
"""

import json
from datetime import UTC, datetime
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule
from redbeat.decoder import RedBeatJSONDecoder
from redbeat.schedulers import RedBeatSchedulerEntry, ensure_conf
from redbeat.schedulers import get_redis as redbeat_redis

from .beat_schedule import MONITORING
from .entries import ChangeRefused, Entry, LastRun, Monitoring, UnknownEntry, expiry_of


class RedBeatEntry(RedBeatSchedulerEntry):
    """RedBeat's entry, its next due time reckoned in real time.

    RedBeat files each entry in Redis under the time it is next due, and
    beat looks at an entry only once that time has come. RedBeat reckons it
    as the last run's local time plus the time left: across a daylight-saving
    change that lands an hour off, and a crontab run filed an hour late is
    then dropped as missed. The time left is real time from now, so it is
    added to now, in UTC.
    """

    @property
    def due_at(self) -> datetime | None:
        now = self.default_now()
        if self.last_run_at is None:
            return now  # never run: due now
        if self.schedule is None:
            return None
        remaining = self.schedule.remaining_estimate(self.last_run_at)
        if remaining is None:
            return None  # no run after the last one
        return now if remaining.total_seconds() < 0 else now.astimezone(UTC) + remaining


class RedBeatStore:
    """RedBeat's entries in Redis, and the code's that beat has not stored yet."""

    def __init__(self, app: Celery) -> None:
        self.app = app
        self.schedule_key: str = ensure_conf(app).schedule_key

    def entries(self) -> list[Entry]:
        client = redbeat_redis(self.app)
        # In one round trip, not RedBeat's two per entry: 10,000 entries list in a second.
        with client.pipeline(transaction=False) as pipe:
            for entry_key in client.zrange(self.schedule_key, 0, -1):
                pipe.hmget(entry_key, "definition", "meta")
            schedules: dict[str, Any] = {}  # shared by the entries, as SharingDecoder says
            stored = [
                _as_entry(_decoded(self.app, definition, meta, schedules))
                for definition, meta in pipe.execute()
                if definition  # else removed while listing
            ]
        names = {entry.name for entry in stored}
        return stored + [
            self._from_code(name) for name in self.app.conf.beat_schedule if name not in names
        ]

    def find(self, name: str) -> Entry | None:
        try:
            return _as_entry(self._load(name))
        except UnknownEntry:
            return self._from_code(name) if name in self.app.conf.beat_schedule else None

    def add(
        self, name: str, task: str, schedule: BaseSchedule, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        if self.find(name) is not None:
            raise ChangeRefused(f"an entry named {name!r} exists already")
        RedBeatEntry(name, task, schedule, args=args, kwargs=kwargs, app=self.app).save()

    def set_enabled(self, name: str, enabled: bool) -> None:
        try:
            entry = self._load(name)
        except UnknownEntry:
            if name not in self.app.conf.beat_schedule:
                raise
            # A code entry beat has not stored yet: stored now, as beat will
            # store it, and beat keeps it paused when it starts.
            entry = RedBeatEntry(name, app=self.app, **self.app.conf.beat_schedule[name])
        entry.enabled = enabled
        entry.save()

    def remove(self, name: str) -> None:
        self._load(name).delete()

    def notes(self) -> list[str]:
        return []

    def _load(self, name: str) -> RedBeatEntry:
        entry_key = RedBeatEntry.generate_key(self.app, name)
        definition, meta = redbeat_redis(self.app).hmget(entry_key, "definition", "meta")
        if not definition:
            raise UnknownEntry(name)
        return _decoded(self.app, definition, meta)

    def _from_code(self, name: str) -> Entry:
        """A code entry beat has not stored yet, as it will store it."""
        entry = RedBeatEntry(name, app=self.app, **self.app.conf.beat_schedule[name])
        return _as_entry(entry, LastRun.never())


class SharingDecoder(RedBeatJSONDecoder):
    """RedBeat's decoder, building each distinct schedule once for all the entries it decodes.

    Thousands of entries run on a few dozen schedules, and building a crontab
    costs more than the rest of an entry. Celery's schedules keep no state of
    an entry's, so entries may share one.
    """

    def __init__(self, *args: Any, schedules: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schedules = schedules

    def dict_to_object(self, d: dict[str, Any]) -> Any:
        if d.get("__type__") not in ("crontab", "interval"):
            return super().dict_to_object(d)
        key = repr(sorted(d.items()))
        if key not in self.schedules:
            self.schedules[key] = super().dict_to_object(d)
        return self.schedules[key]


def _decoded(
    app: Celery, definition: str, meta: str | None, schedules: dict[str, Any] | None = None
) -> RedBeatEntry:
    """An entry from its two stored fields, as RedBeat's ``from_key`` reads them.

    ``schedules``: where to keep the schedules built, to share them with the
    next entries decoded.
    """
    fields = json.loads(
        definition, cls=SharingDecoder, schedules={} if schedules is None else schedules
    )
    meta_fields = RedBeatEntry.decode_meta(meta)
    entry = RedBeatEntry(app=app, **{**fields, **meta_fields})
    # As in from_key: a None last run would otherwise become "now".
    entry.last_run_at = meta_fields["last_run_at"]
    return entry


def _as_entry(entry: RedBeatEntry, last_run: LastRun | None = None) -> Entry:
    if entry.name is None or entry.task is None or entry.schedule is None:
        raise ValueError(f"RedBeat's entry {entry.key} has no name, task or schedule")
    # RedBeat stores a new entry with the time it stored it as its last run,
    # and counts its schedule from there; only a sent run counts a run.
    ran = entry.total_run_count > 0
    return Entry(
        name=entry.name,
        task=entry.task,
        schedule=entry.schedule,
        args=list(entry.args or ()),
        kwargs=entry.kwargs or {},
        enabled=entry.enabled,
        last_run=last_run or LastRun(entry.last_run_at if ran else None),
        expires=expiry_of(entry.options or {}),
        monitoring=MONITORING.get(entry.name, Monitoring()),
        counts_from=None if ran else entry.last_run_at,
    )


def open_store(app: Celery) -> RedBeatStore:
    return RedBeatStore(app)
