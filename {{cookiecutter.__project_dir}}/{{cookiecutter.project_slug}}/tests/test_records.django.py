"""Refreshing stale embeddings, archiving and purging old documents, on the real tables."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from ..embeddings import embed
from ..models import ArchivedDocument, Document
from ..tasks.records import (
    archive_old_records,
    purge_archived_records,
    refresh_stale_records,
)


def make_document(title, body="", days_old=0):
    document = Document.objects.create(title=title, body=body)
    if days_old:
        # update(), because save() would set updated_at to now.
        Document.objects.filter(pk=document.pk).update(
            updated_at=timezone.now() - timedelta(days=days_old)
        )
        document.refresh_from_db()
    return document


def test_refresh_embeds_every_stale_document():
    first = make_document("first", "some words")
    second = make_document("second", "other words")

    assert refresh_stale_records() == {"refreshed": 2}

    first.refresh_from_db()
    assert first.embedding == embed("first\nsome words")
    assert first.embedded_version == first.updated_at
    assert not Document.objects.with_stale_embedding().filter(pk=second.pk).exists()


def test_refresh_leaves_fresh_documents_alone():
    make_document("first")
    refresh_stale_records()

    assert refresh_stale_records() == {"refreshed": 0}


def test_an_edited_document_is_stale_until_the_next_refresh():
    document = make_document("draft", "before")
    refresh_stale_records()

    document.body = "after"
    document.save()

    assert Document.objects.with_stale_embedding().filter(pk=document.pk).exists()
    assert refresh_stale_records() == {"refreshed": 1}
    document.refresh_from_db()
    assert document.embedding == embed("draft\nafter")


def test_refresh_catches_up_on_everything_changed_while_beat_was_down():
    for hour in range(6):
        make_document(f"changed during hour {hour}")

    assert refresh_stale_records() == {"refreshed": 6}


def test_a_worker_refreshes_documents_it_reads_from_the_shared_database(worker):
    document = make_document("seen by the worker", "in another process")

    assert refresh_stale_records.delay().get(timeout=30) == {"refreshed": 1}
    document.refresh_from_db()
    assert document.embedding == embed("seen by the worker\nin another process")


def test_archive_moves_only_documents_older_than_the_cutoff():
    old = make_document("old", "kept for the record", days_old=100)
    recent = make_document("recent", days_old=10)

    assert archive_old_records(older_than_days=90) == {"archived": 1, "older_than_days": 90}

    assert list(Document.objects.all()) == [recent]
    archived = ArchivedDocument.objects.get()
    assert (archived.original_id, archived.title, archived.body) == (
        old.pk,
        "old",
        "kept for the record",
    )
    assert archived.updated_at == old.updated_at


def test_archive_is_all_or_nothing():
    old = make_document("old", days_old=100)
    other = make_document("other old", days_old=100)
    # An archive row already claims one of the documents: the copy fails.
    ArchivedDocument.objects.create(
        original_id=other.pk, title="clash", updated_at=timezone.now(), archived_at=timezone.now()
    )

    with pytest.raises(IntegrityError):
        archive_old_records(older_than_days=90)

    assert set(Document.objects.values_list("pk", flat=True)) == {old.pk, other.pk}
    assert ArchivedDocument.objects.count() == 1


def test_archiving_again_finds_nothing_more_to_move():
    make_document("old", days_old=100)
    archive_old_records(older_than_days=90)

    assert archive_old_records(older_than_days=90)["archived"] == 0
    assert ArchivedDocument.objects.count() == 1


def test_purge_deletes_only_archived_documents_past_retention():
    now = timezone.now()
    for original_id, age_days in ((1, 400), (2, 30)):
        ArchivedDocument.objects.create(
            original_id=original_id,
            title=f"archived {age_days} days ago",
            updated_at=now - timedelta(days=age_days + 90),
            archived_at=now - timedelta(days=age_days),
        )

    assert purge_archived_records(older_than_days=365) == {"purged": 1, "older_than_days": 365}
    assert list(ArchivedDocument.objects.values_list("original_id", flat=True)) == [2]
