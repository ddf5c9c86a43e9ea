"""Syncing records from an outside source over HTTP."""

from typing import Any, TypedDict

import httpx
from celery import Task
from celery.utils.log import get_task_logger

from .. import record_store
from ..celery_app import app
from ..locks import SkippedRun, single_instance
from ..settings import settings

logger = get_task_logger(__name__)

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class SourceUnavailable(Exception):
    """The source answered with a status that may pass: 429 or 5xx."""


class UnexpectedPayload(ValueError):
    """The source answered 200 with something that is not a list of records."""


class SyncSummary(TypedDict):
    url: str
    fetched: int
    changed: int
    attempts: int


def _records_from(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        items: object = response.json()
    except ValueError:
        raise UnexpectedPayload(f"{response.url} did not answer JSON") from None
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and "id" in item for item in items
    ):
        raise UnexpectedPayload(f"{response.url} did not answer a JSON list of objects with an id")
    return items


@app.task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # Only failures that may pass are retried: a network error, a timeout,
    # 429 or 5xx. A 404 or a malformed answer will not fix itself.
    autoretry_for=(httpx.TransportError, SourceUnavailable),
    max_retries=settings.sync_max_retries,
    # Exponential backoff with full jitter: the n-th retry waits a random
    # time up to SYNC_RETRY_BACKOFF * 2**n seconds, capped at ten minutes,
    # so many workers do not hammer a struggling source in step.
    retry_backoff=settings.sync_retry_backoff,
    retry_backoff_max=600,
    retry_jitter=True,
)
# Two syncs of one source at once would race on the same records; syncs of
# different sources (another ``url``) may run side by side.
@single_instance(by_arguments=True)
def sync_external_data(self: Task[Any, Any], url: str | None = None) -> SyncSummary | SkippedRun:
    """Fetch a JSON list of objects with an ``id`` and store each as a record.

    A record whose content did not change keeps its ``updated_at``, so only
    real changes reach ``refresh_stale_records``.
    """
    url = url or settings.sync_source_url
    if not url:
        # Nothing to keep in sync is nothing left undone: the run succeeds,
        # so a new project's schedule is not overdue for a source it has not
        # named yet. A skip is for work that should have run and did not.
        logger.info("Nothing to sync: SYNC_SOURCE_URL is not set")
        return {"url": "", "fetched": 0, "changed": 0, "attempts": 0}
    attempt = self.request.retries + 1
    logger.info("Fetching %s (attempt %d of %d)", url, attempt, settings.sync_max_retries + 1)
    response = httpx.get(url, timeout=HTTP_TIMEOUT, follow_redirects=True)
    if response.status_code == 429 or response.is_server_error:
        raise SourceUnavailable(f"{url} answered {response.status_code}")
    response.raise_for_status()
    items = _records_from(response)
    changed = sum(record_store.save_record(str(item["id"]), item) for item in items)
    logger.info("Fetched %d records from %s, %d changed", len(items), url, changed)
    return {"url": url, "fetched": len(items), "changed": changed, "attempts": attempt}
