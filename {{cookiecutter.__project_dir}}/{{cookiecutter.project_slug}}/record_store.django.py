"""The records the example tasks maintain: here documents in the database (``models``).

The sync task stores what it fetches through ``save_record``, as it does in
the plain flavour, where records live in Redis.
"""

from typing import Any

from .models import Document


def save_record(record_id: str, data: dict[str, Any]) -> bool:
    """Create or update the document of one synced item; return True if its content changed.

    Which fields of the source's items make a document is this project's
    choice; here ``title`` and ``body``. ``updated_at`` moves only when they
    change, so a sync that fetches the same data again does not make every
    document look stale.
    """
    title = str(data.get("title") or f"Item {record_id}")[:200]
    body = str(data.get("body") or "")
    document, created = Document.objects.get_or_create(
        external_id=record_id, defaults={"title": title, "body": body}
    )
    if created:
        return True
    if (document.title, document.body) == (title, body):
        return False
    document.title, document.body = title, body
    document.save()
    return True
