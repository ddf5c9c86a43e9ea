from django.contrib import admin
from django.http import HttpRequest

from .models import ArchivedDocument, Document, WeeklyReport


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin[Document]):
    list_display = ("title", "external_id", "updated_at", "embedding_is_fresh")
    search_fields = ("title", "external_id")
    readonly_fields = ("updated_at", "embedded_version", "embedding")

    @admin.display(boolean=True, description="embedding fresh")
    def embedding_is_fresh(self, document: Document) -> bool:
        return document.embedded_version == document.updated_at


@admin.register(ArchivedDocument)
class ArchivedDocumentAdmin(admin.ModelAdmin[ArchivedDocument]):
    list_display = ("title", "original_id", "updated_at", "archived_at")
    search_fields = ("title", "external_id")

    def has_change_permission(
        self, request: HttpRequest, obj: ArchivedDocument | None = None
    ) -> bool:
        return False  # the archive is a record of what was; it is not edited


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin[WeeklyReport]):
    list_display = ("week_start", "runs", "failures", "generated_at")

    def has_change_permission(self, request: HttpRequest, obj: WeeklyReport | None = None) -> bool:
        return False
