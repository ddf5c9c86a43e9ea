"""Keeping documents' embeddings fresh, and moving old documents to the archive.

All three tasks are idempotent: a run repeated after a worker died in the
middle of it (``acks_late``) does the same thing again and ends in the same
state. Refreshing also runs alone (``single_instance``): two overlapping runs
would compute the same embeddings twice.
"""

from datetime import timedelta
from typing import TypedDict

from celery.utils.log import get_task_logger
from django.db import transaction
from django.utils import timezone

from ..celery_app import app
from ..embeddings import embed
from ..locks import single_instance
from ..models import ArchivedDocument, Document
from ..settings import settings

logger = get_task_logger(__name__)

# Rows read from the database at a time, so a large backlog does not have to
# fit in the worker's memory.
BATCH_SIZE = 500


class RefreshSummary(TypedDict):
    refreshed: int


class ArchiveSummary(TypedDict):
    archived: int
    older_than_days: int


class PurgeSummary(TypedDict):
    purged: int
    older_than_days: int


@app.task(acks_late=True, reject_on_worker_lost=True)
@single_instance()
def refresh_stale_records() -> RefreshSummary:
    """Compute the embedding of every document changed since its last one.

    Staleness is stored with each document, so runs missed while beat was
    down, or a run that failed half-way, are covered by the next run.
    """
    stale = Document.objects.with_stale_embedding().only("title", "body", "updated_at")
    refreshed = 0
    for document in stale.order_by("updated_at").iterator(chunk_size=BATCH_SIZE):
        # Write only if the document is still the version that was embedded;
        # an edit made meanwhile leaves it stale for the next run.
        refreshed += Document.objects.filter(pk=document.pk, updated_at=document.updated_at).update(
            embedding=embed(f"{document.title}\n{document.body}"),
            embedded_version=document.updated_at,
        )
    logger.info("Refreshed the embeddings of %d documents", refreshed)
    return {"refreshed": refreshed}


@app.task(acks_late=True, reject_on_worker_lost=True)
def archive_old_records(older_than_days: int | None = None) -> ArchiveSummary:
    """Move documents unchanged for ``older_than_days`` (ARCHIVE_AFTER_DAYS) to the archive.

    Copying and deleting happen in one transaction: a document is either live
    or archived, never both or neither, whatever stops the run.
    """
    days = older_than_days or settings.archive_after_days
    now = timezone.now()
    cutoff = now - timedelta(days=days)
    logger.info("Archiving documents unchanged since %s", cutoff.isoformat(timespec="seconds"))
    with transaction.atomic():
        old = list(Document.objects.select_for_update().filter(updated_at__lt=cutoff))
        ArchivedDocument.objects.bulk_create(
            [
                ArchivedDocument(
                    original_id=document.pk,
                    external_id=document.external_id,
                    title=document.title,
                    body=document.body,
                    updated_at=document.updated_at,
                    archived_at=now,
                )
                for document in old
            ],
            batch_size=BATCH_SIZE,
        )
        Document.objects.filter(pk__in=[document.pk for document in old]).delete()
    logger.info("Archived %d documents", len(old))
    return {"archived": len(old), "older_than_days": days}


@app.task(acks_late=True, reject_on_worker_lost=True)
def purge_archived_records(older_than_days: int | None = None) -> PurgeSummary:
    """Delete archived documents kept longer than ``older_than_days`` (ARCHIVE_RETENTION_DAYS)."""
    days = older_than_days or settings.archive_retention_days
    cutoff = timezone.now() - timedelta(days=days)
    purged, _ = ArchivedDocument.objects.filter(archived_at__lt=cutoff).delete()
    logger.info("Purged %d archived documents", purged)
    return {"purged": purged, "older_than_days": days}
