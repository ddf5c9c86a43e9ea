"""The data the example tasks maintain: documents, their archive, and weekly reports."""

from django.db import models
from django.db.models import F, Q


class DocumentQuerySet(models.QuerySet["Document"]):
    def with_stale_embedding(self) -> "DocumentQuerySet":
        """Documents whose embedding is missing or older than their content."""
        return self.filter(
            Q(embedded_version__isnull=True) | Q(embedded_version__lt=F("updated_at"))
        )


class Document(models.Model):
    """A piece of content with derived data that must follow it.

    ``embedding`` stands for the expensive derived data of a real project (a
    search index entry, an ML embedding, a thumbnail). ``embedded_version``
    is the ``updated_at`` of the content it was computed from, so a document
    edited while its embedding was being computed stays stale until the next
    refresh instead of being marked fresh by mistake.
    """

    external_id = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text="The document's id at the sync source; empty for documents made here.",
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # auto_now moves on every save(); the refresh task writes the embedding
    # with update(), which leaves it alone.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    embedding = models.JSONField(null=True, blank=True, editable=False)
    embedded_version = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DocumentQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title


class ArchivedDocument(models.Model):
    """A document unchanged for ARCHIVE_AFTER_DAYS, moved out of the live table."""

    original_id = models.BigIntegerField(unique=True)
    external_id = models.CharField(max_length=200, null=True, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    updated_at = models.DateTimeField()
    archived_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.title


class WeeklyReport(models.Model):
    """What the project's tasks did in one week, Monday to Sunday."""

    week_start = models.DateField(unique=True)
    runs = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    tasks = models.JSONField(help_text="Each task's count of runs per final state.")
    generated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-week_start",)

    def __str__(self) -> str:
        return f"Week of {self.week_start}"
