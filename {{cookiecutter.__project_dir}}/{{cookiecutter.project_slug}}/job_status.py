"""Is each job doing its work? An entry's status, from its schedule and its run ledger.

- **paused**: the entry is disabled; it is neither overdue nor failing.
- **failing**: its last runs failed, at least ``failing_after`` in a row.
- **overdue**: no run has succeeded since the first due time after its last
  success (or after the ledger started watching it), and that due time is
  more than its grace ago. Runs that were skipped, expired unstarted, were
  revoked or never sent at all (beat was down, a missed-run deadline passed)
  are not successes, so each of them ends up here.
- **never ran**: the ledger has seen no run end yet, and it is not overdue.
- **ok**: none of these.

Used by the schedule command, ``health jobs``, the metrics and the admin, on
entries from any store; it needs neither Celery's app nor Django.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .entries import Entry
from .ledger import Summary
from .settings import settings
from .timetable import next_run

# The grace of an entry that sets no ``expires``, before TASK_TIME_LIMIT is added.
GRACE_WITHOUT_EXPIRES = timedelta(hours=1)


class Status(StrEnum):
    OK = "ok"
    OVERDUE = "overdue"
    FAILING = "failing"
    PAUSED = "paused"
    NEVER_RAN = "never ran"


@dataclass(frozen=True)
class JobState:
    """An entry's status, and the due time its lateness is measured from (if watched)."""

    status: Status
    due_at: datetime | None
    grace: timedelta

    @property
    def overdue_since(self) -> datetime | None:
        return None if self.due_at is None else self.due_at + self.grace


def grace_of(entry: Entry) -> timedelta:
    if entry.monitoring.grace is not None:
        return entry.monitoring.grace
    waits = entry.expires if entry.expires is not None else GRACE_WITHOUT_EXPIRES
    return waits + timedelta(seconds=settings.task_time_limit)


def failing_after(entry: Entry) -> int:
    return entry.monitoring.failing_after or settings.jobs_failing_after


def as_time(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def judge(entry: Entry, summary: Summary, now: datetime) -> JobState:
    """The entry's status at ``now`` (an aware datetime)."""
    grace = grace_of(entry)
    if not entry.enabled:
        return JobState(Status.PAUSED, None, grace)
    since = [t for t in (summary.last_success_at, summary.watched_since) if t is not None]
    due_at = next_run(entry.schedule, now, as_time(max(since))) if since else None
    if summary.consecutive_failures >= failing_after(entry):
        status = Status.FAILING
    elif due_at is not None and now > due_at + grace:
        status = Status.OVERDUE
    elif summary.last_outcome is None:
        status = Status.NEVER_RAN
    else:
        status = Status.OK
    return JobState(status, due_at, grace)
