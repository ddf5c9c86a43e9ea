"""Keeping records' derived data fresh, and moving old records to the archive.

All three tasks are idempotent: a run repeated after a worker died in the
middle of it (``acks_late``) does the same thing again and ends in the same
state. Refreshing also runs alone (``single_instance``): two overlapping runs
would work through the same backlog twice, and the slower one would move the
watermark back when it finished.
"""

import time
from datetime import UTC, datetime
from typing import TypedDict

from celery.utils.log import get_task_logger

from .. import record_store
from ..celery_app import app
from ..locks import single_instance
from ..settings import settings
from ..watermarks import read_watermark, write_watermark

logger = get_task_logger(__name__)

DAY_SECONDS = 24 * 60 * 60

# A writer may read the clock just before this run starts and commit just
# after it lists the changes; such a record would fall behind the watermark.
# Stopping a few seconds short of now leaves it for the next run.
CLOCK_MARGIN_SECONDS = 5


class RefreshSummary(TypedDict):
    refreshed: int
    since: str
    until: str


class ArchiveSummary(TypedDict):
    archived: int
    candidates: int
    older_than_days: int


class PurgeSummary(TypedDict):
    purged: int
    older_than_days: int


def _isoformat(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


@app.task(acks_late=True, reject_on_worker_lost=True)
@single_instance()
def refresh_stale_records() -> RefreshSummary:
    """Recompute the derived data of every record changed since the last success.

    The watermark advances only when the run succeeds, so runs missed while
    beat was down, or a run that failed, are covered by the next one.
    """
    since = read_watermark("refresh_stale_records") or 0.0
    until = time.time() - CLOCK_MARGIN_SECONDS
    logger.info("Refreshing records changed since %s", _isoformat(since))
    record_ids = record_store.ids_changed_between(since, until)
    for record_id in record_ids:
        record = record_store.load_record(record_id)
        if record:
            record_store.store_derived(record_id, record_store.derive(record["data"]), time.time())
    write_watermark("refresh_stale_records", until)
    summary: RefreshSummary = {
        "refreshed": len(record_ids),
        "since": _isoformat(since),
        "until": _isoformat(until),
    }
    logger.info("Refreshed %d records", len(record_ids))
    return summary


@app.task(acks_late=True, reject_on_worker_lost=True)
def archive_old_records(older_than_days: int | None = None) -> ArchiveSummary:
    """Move records unchanged for ``older_than_days`` (ARCHIVE_AFTER_DAYS) to the archive."""
    days = older_than_days or settings.archive_after_days
    now = time.time()
    cutoff = now - days * DAY_SECONDS
    logger.info("Archiving records unchanged since %s", _isoformat(cutoff))
    candidates = record_store.ids_updated_before(cutoff)
    archived = sum(record_store.archive_record(record_id, cutoff, now) for record_id in candidates)
    logger.info("Archived %d of %d candidate records", archived, len(candidates))
    return {"archived": archived, "candidates": len(candidates), "older_than_days": days}


@app.task(acks_late=True, reject_on_worker_lost=True)
def purge_archived_records(older_than_days: int | None = None) -> PurgeSummary:
    """Delete archived records kept longer than ``older_than_days`` (ARCHIVE_RETENTION_DAYS)."""
    days = older_than_days or settings.archive_retention_days
    cutoff = time.time() - days * DAY_SECONDS
    logger.info("Purging records archived before %s", _isoformat(cutoff))
    expired = record_store.ids_archived_before(cutoff)
    record_store.purge_archived_records(expired)
    logger.info("Purged %d archived records", len(expired))
    return {"purged": len(expired), "older_than_days": days}
