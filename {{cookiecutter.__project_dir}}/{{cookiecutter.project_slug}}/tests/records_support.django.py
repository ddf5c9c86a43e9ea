"""What the tests need to know of the records: here, documents in the database (``models``)."""

import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from celery.result import AsyncResult
from django.db import transaction
from django.utils import timezone

from ..models import ArchivedDocument, Document


def make_old_records(count: int) -> None:
    Document.objects.bulk_create(Document(title=f"document {n}") for n in range(count))
    # update(), because save() would set updated_at to now.
    Document.objects.update(updated_at=timezone.now() - timedelta(days=100))


def stored_fields(record_id: str) -> dict[str, Any]:
    """The synced item's content as stored, and when it last changed."""
    document = Document.objects.get(external_id=record_id)
    return {"title": document.title, "body": document.body, "updated_at": document.updated_at}


def archived_per_run() -> Counter[Any]:
    """How many documents each archive run moved, by the run's start time."""
    return Counter(ArchivedDocument.objects.values_list("archived_at", flat=True))


def live_count() -> int:
    return Document.objects.count()


@contextlib.contextmanager
def archive_held_up() -> Iterator[None]:
    """Hold the documents' lock, so that an archive run waits inside its transaction.

    The run is one transaction, which shows nothing until it commits: held
    up, it is surely mid-run when the test kills it, however fast the machine.
    """
    with transaction.atomic():
        list(Document.objects.select_for_update())
        yield


def archive_is_under_way(result: AsyncResult[Any]) -> bool:
    return result.state == "STARTED"
