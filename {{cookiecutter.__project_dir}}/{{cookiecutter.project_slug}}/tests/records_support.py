"""What the tests need to know of the records: here, hashes in Redis (``record_store``)."""

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from celery.result import AsyncResult

from .. import record_store
from ..redis_client import get_redis, texts


def make_old_records(count: int) -> None:
    long_ago = time.time() - 100 * 24 * 60 * 60
    for n in range(count):
        record_store.save_record(f"document-{n}", {"n": n}, now=long_ago)


def stored_fields(record_id: str) -> dict[str, Any]:
    """The synced item's content as stored, and when it last changed."""
    record = record_store.load_record(record_id)
    return {**json.loads(record["data"]), "updated_at": record["updated_at"]}


def archived_per_run() -> Counter[Any]:
    """How many records each archive run moved, by the run's start time."""
    client = get_redis()
    moved = texts(client.zrange(record_store.ARCHIVE_INDEX, 0, -1))
    return Counter(client.zmscore(record_store.ARCHIVE_INDEX, moved) if moved else [])


def live_count() -> int:
    return get_redis().zcard(record_store.LIVE_INDEX)


@contextlib.contextmanager
def archive_held_up() -> Iterator[None]:
    """Nothing to hold: each record moves in a transaction of its own, at once visible.

    3,000 records take a run long enough that the test sees some moved and
    kills it before it is done.
    """
    yield


def archive_is_under_way(result: AsyncResult[Any]) -> bool:
    return result.state == "STARTED" and bool(archived_per_run())
