"""What a schedule entry is, whichever scheduler keeps it, and what a store of them offers.

Beat reads its schedule from a store: BEAT_SCHEDULE itself, RedBeat's keys
in Redis, or django-celery-beat's tables. Each scheduler's ``schedule_store``
implements ``ScheduleStore`` over its own, so the schedule command (and
whatever else lists or changes the schedule) works the same on all three.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from celery.schedules import BaseSchedule


@dataclass(frozen=True)
class LastRun:
    """When an entry was last sent, as far as its store can tell.

    ``at`` is None for an entry never sent, and for one whose store could not
    be read, in which case ``unknown_because`` says why.
    """

    at: datetime | None = None
    unknown_because: str | None = None

    @classmethod
    def never(cls) -> "LastRun":
        return cls()

    @classmethod
    def unknown(cls, reason: str) -> "LastRun":
        return cls(unknown_because=reason)

    @property
    def known(self) -> bool:
        return self.unknown_because is None


@dataclass(frozen=True)
class Monitoring:
    """How the run ledger judges an entry, where the defaults do not suit it (``job_status``).

    ``grace``: how long after a due time a run may still succeed before the
    entry is overdue; by default the entry's ``expires`` (an hour if it has
    none) plus TASK_TIME_LIMIT, the latest a run sent on time could finish.
    ``failing_after``: how many failed runs in a row make the entry failing;
    by default JOBS_FAILING_AFTER.
    """

    grace: timedelta | None = None
    failing_after: int | None = None


@dataclass(frozen=True)
class Entry:
    """One entry of the schedule beat runs."""

    name: str
    task: str
    schedule: BaseSchedule
    args: list[Any]
    kwargs: dict[str, Any]
    enabled: bool
    last_run: LastRun
    # How long a run may wait for a worker before it is dropped; None: for ever.
    expires: timedelta | None = None
    monitoring: Monitoring = field(default_factory=Monitoring)
    # Where the schedule of an entry that never ran counts from, when its
    # store keeps it (an interval's first run is one interval after); None: now.
    counts_from: datetime | None = None

    @property
    def next_run_after(self) -> datetime | None:
        """What the entry's next run counts from: its last run, else ``counts_from``."""
        return self.last_run.at or self.counts_from


def expiry_of(options: dict[str, Any]) -> timedelta | None:
    """How long a run of an entry with these options may wait for a worker; None: for ever.

    ``expires`` is seconds or a timedelta; a fixed datetime is no wait of an
    entry's own, and counts as none.
    """
    expires = options.get("expires")
    if isinstance(expires, timedelta):
        return expires
    if isinstance(expires, int | float) and not isinstance(expires, bool):
        return timedelta(seconds=expires)
    return None


class UnknownEntry(LookupError):
    """No entry of that name in the store."""


class ChangeRefused(ValueError):
    """The store cannot make this change (the name is taken, the schedule is code): says why."""


class StoreUnavailable(Exception):
    """The store could not be read or written (its database is down, say): says why."""


class ScheduleStore(Protocol):
    """The schedule beat runs, as ``schedule_store.open_store(app)`` returns it.

    Changes (``add``, ``set_enabled``, ``remove``) reach a running beat
    within its loop interval, without a restart; a store whose schedule is
    code refuses them (``ChangeRefused``). A store that cannot reach what
    holds the schedule raises ``StoreUnavailable``, or RedisError for Redis.
    """

    def entries(self) -> list[Entry]:
        """Every entry beat runs, or will run once it starts."""
        ...

    def find(self, name: str) -> Entry | None:
        """The entry called ``name``, or None."""
        ...

    def add(
        self, name: str, task: str, schedule: BaseSchedule, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        """A new entry; ``ChangeRefused`` if the name is taken."""
        ...

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Pause or resume an entry; ``UnknownEntry`` if there is none of that name."""
        ...

    def remove(self, name: str) -> None:
        """Delete an entry; ``UnknownEntry`` if there is none of that name."""
        ...

    def notes(self) -> list[str]:
        """Lines to print after the entries: what someone listing them should know."""
        ...
