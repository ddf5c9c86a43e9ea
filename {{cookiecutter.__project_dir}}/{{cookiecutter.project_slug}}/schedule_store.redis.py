"""The schedule beat runs, for the schedule command: here RedBeat's, in Redis.

BEAT_SCHEDULE seeds it each time beat starts (an entry paused here stays
paused); entries added here live in Redis only. Until beat first starts,
the code's entries are listed as beat will store them. Beat reads the
schedule from Redis on every wake-up, so a change made here applies within
its loop interval (``scheduler_settings``), without a restart.
"""

from datetime import UTC, datetime
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule
from redbeat.decoder import RedBeatJSONDecoder
from redbeat.schedulers import RedBeatSchedulerEntry, ensure_conf
from redbeat.schedulers import get_redis as redbeat_redis

from .beat_schedule import MONITORING
from .entries import ChangeRefused, Entry, LastRun, Monitoring, UnknownEntry, expiry_of
from .scheduler_settings import redbeat_client
from .typing_gaps import as_schedule


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
        redbeat_client(app)  # before RedBeat makes a client of its own
        self.app = app
        self.schedule_key: str = ensure_conf(app).schedule_key

    def entries(self) -> list[Entry]:
        client = redbeat_redis(self.app)
        # In one round trip, not RedBeat's two per entry.
        with client.pipeline(transaction=False) as pipe:
            for entry_key in client.zrange(self.schedule_key, 0, -1):
                pipe.hmget(entry_key, "definition", "meta")
            stored_fields = pipe.execute()
        decoder = SharingDecoder()  # one for all the entries, which share its schedules
        stored = [
            _stored_entry(self.app, decoder, definition, meta)
            for definition, meta in stored_fields
            if definition  # else removed while listing
        ]
        names = {entry.name for entry in stored}
        return stored + [
            self._from_code(name) for name in self.app.conf.beat_schedule if name not in names
        ]

    def find(self, name: str) -> Entry | None:
        definition, meta = self._stored_fields(name)
        if definition:
            return _stored_entry(self.app, SharingDecoder(), definition, meta)
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

    def _stored_fields(self, name: str) -> tuple[str | None, str | None]:
        """The entry's definition and meta, as RedBeat stores them; None where there is none."""
        entry_key = RedBeatEntry.generate_key(self.app, name)
        definition, meta = redbeat_redis(self.app).hmget(entry_key, "definition", "meta")
        return definition, meta

    def _load(self, name: str) -> RedBeatEntry:
        definition, meta = self._stored_fields(name)
        if not definition:
            raise UnknownEntry(name)
        return _decoded(self.app, definition, meta)

    def _from_code(self, name: str) -> Entry:
        """A code entry beat has not stored yet, as beat will store it: counted from now."""
        entry = RedBeatEntry(name, app=self.app, **self.app.conf.beat_schedule[name])
        if entry.task is None or entry.schedule is None:
            raise ValueError(f"the entry {name!r} of beat_schedule.py has no task or schedule")
        return Entry(
            name=name,
            task=entry.task,
            schedule=entry.schedule,
            args=list(entry.args or ()),
            kwargs=entry.kwargs or {},
            enabled=entry.enabled,
            last_run=LastRun.never(),
            expires=expiry_of(entry.options or {}),
            monitoring=MONITORING.get(name, Monitoring()),
            counts_from=entry.last_run_at,
        )


class SharingDecoder(RedBeatJSONDecoder):
    """RedBeat's decoder, building each distinct schedule once for all the entries it decodes.

    Thousands of entries run on a few dozen schedules, and building a crontab
    costs more than the rest of an entry. Celery's schedules keep no state of
    an entry's, so entries may share one. Decode with one instance's
    ``decode``: ``json.loads(cls=...)`` would make a decoder per entry, and
    share nothing.
    """

    def __init__(self) -> None:
        super().__init__()
        self.schedules: dict[str, Any] = {}

    def dict_to_object(self, d: dict[str, Any]) -> Any:
        kind = d.get("__type__")
        if kind is None:
            return d  # most objects of an entry: nothing to make
        if kind not in ("crontab", "interval"):
            return super().dict_to_object(d)
        key = repr(d)  # RedBeat writes a schedule's fields in one order
        if key not in self.schedules:
            self.schedules[key] = super().dict_to_object(d)
        return self.schedules[key]


def _decoded(app: Celery, definition: str, meta: str | None) -> RedBeatEntry:
    """RedBeat's entry from its two stored fields, as its ``from_key`` reads them: to change it."""
    fields = SharingDecoder().decode(definition)
    meta_fields = RedBeatEntry.decode_meta(meta)
    entry = RedBeatEntry(app=app, **{**fields, **meta_fields})
    # As in from_key: a None last run would otherwise become "now".
    entry.last_run_at = meta_fields["last_run_at"]
    return entry


def _stored_entry(app: Celery, decoder: SharingDecoder, definition: str, meta: str | None) -> Entry:
    """An entry from its two stored fields, read as RedBeat's ``from_key`` reads them.

    Made straight from the fields: making RedBeat's entry on the way (a
    Celery ScheduleEntry, RedBeat's settings checked) took as long again as
    reading them, some 0.3 s of listing 10,000 entries.
    """
    fields = decoder.decode(definition)
    meta_fields = decoder.decode(meta) if meta else {}
    name, task, when = fields.get("name"), fields.get("task"), fields.get("schedule")
    if name is None or task is None or when is None:
        raise ValueError(f"RedBeat's entry {name!r} has no name, task or schedule")
    last_run_at = meta_fields.get("last_run_at")
    # RedBeat stores a new entry with the time it stored it as its last run,
    # and counts its schedule from there; only a sent run counts a run.
    ran = (meta_fields.get("total_run_count") or 0) > 0
    return Entry(
        name=str(name),
        task=task,
        schedule=as_schedule(when, app),  # the app's, as in RedBeat's entry
        args=list(fields.get("args") or ()),
        kwargs=fields.get("kwargs") or {},
        enabled=fields.get("enabled", True),
        last_run=LastRun(last_run_at if ran else None),
        expires=expiry_of(fields.get("options") or {}),
        monitoring=MONITORING.get(name, Monitoring()),
        counts_from=None if ran else last_run_at,
    )


def open_store(app: Celery) -> RedBeatStore:
    return RedBeatStore(app)
