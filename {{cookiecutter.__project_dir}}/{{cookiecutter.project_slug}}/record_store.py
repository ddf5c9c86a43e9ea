"""The records the example tasks maintain, stored in Redis.

A record is a hash at ``record:<id>`` holding its JSON ``data``, when it was
last changed (``updated_at``) and the data derived from it. A sorted set
indexes live records by ``updated_at`` so "changed since" and "older than"
are range queries. Archived records move to ``archive:<id>``, indexed by
when they were archived.
"""

import hashlib
import json
import time
from typing import Any

from redis.client import Pipeline
from redis.typing import EncodableT, FieldT

from .redis_client import get_redis, key, text_map, texts

LIVE_INDEX = key("records", "by_updated_at")
ARCHIVE_INDEX = key("archive", "by_archived_at")


def record_key(record_id: str) -> str:
    return key("record", record_id)


def archived_record_key(record_id: str) -> str:
    return key("archive", record_id)


def save_record(record_id: str, data: dict[str, Any], now: float | None = None) -> bool:
    """Store ``data`` as the record's content; return True if it changed.

    ``updated_at`` moves only when the content does, so a sync that fetches
    the same data again does not make every record look stale.
    """
    content = json.dumps(data, sort_keys=True)
    redis = get_redis()
    if redis.hget(record_key(record_id), "data") == content:
        return False
    updated_at = time.time() if now is None else now
    pipe = redis.pipeline()
    pipe.hset(record_key(record_id), mapping={"data": content, "updated_at": updated_at})
    pipe.zadd(LIVE_INDEX, {record_id: updated_at})
    pipe.execute()
    return True


def load_record(record_id: str) -> dict[str, str]:
    """The record's stored fields, or an empty dict if there is none."""
    return text_map(get_redis().hgetall(record_key(record_id)))


def ids_changed_between(since: float, until: float) -> list[str]:
    """Ids of live records changed after ``since`` and up to ``until``, oldest first."""
    return texts(get_redis().zrangebyscore(LIVE_INDEX, f"({since}", until))


def ids_updated_before(cutoff: float) -> list[str]:
    return texts(get_redis().zrangebyscore(LIVE_INDEX, "-inf", f"({cutoff}"))


def ids_archived_before(cutoff: float) -> list[str]:
    return texts(get_redis().zrangebyscore(ARCHIVE_INDEX, "-inf", f"({cutoff}"))


def derive(content: str) -> dict[str, Any]:
    """The data derived from a record: here a digest and a word count.

    A stand-in for the expensive derived data of a real project (a search
    index entry, an embedding, a thumbnail) that must follow its source.
    """
    return {
        "sha256": hashlib.sha256(content.encode()).hexdigest(),
        "words": len(content.split()),
    }


def store_derived(record_id: str, derived: dict[str, Any], now: float) -> None:
    get_redis().hset(
        record_key(record_id),
        mapping={"derived": json.dumps(derived, sort_keys=True), "derived_at": now},
    )


def archive_record(record_id: str, cutoff: float, now: float) -> bool:
    """Move a record last changed before ``cutoff`` to the archive, atomically.

    Returns True if it moved. The record key is WATCHed, so a record edited
    between listing and moving stays live (the transaction is retried and
    then sees the new ``updated_at``). Moving a record that an interrupted
    run already moved only tidies the index, so a re-run is harmless.
    """
    live_key = record_key(record_id)
    moved = False

    def move(pipe: Pipeline) -> None:
        # Run again from the top if the record changes before EXEC.
        nonlocal moved
        moved = False
        fields = text_map(pipe.hgetall(live_key))
        if fields and float(fields["updated_at"]) >= cutoff:
            return
        pipe.multi()
        pipe.zrem(LIVE_INDEX, record_id)
        if not fields:
            return
        # Field by field: hset's types take no dict[str, str] whole.
        archived: dict[FieldT, EncodableT] = {name: value for name, value in fields.items()}
        archived["archived_at"] = now
        pipe.hset(archived_record_key(record_id), mapping=archived)
        pipe.zadd(ARCHIVE_INDEX, {record_id: now})
        pipe.delete(live_key)
        moved = True

    get_redis().transaction(move, live_key)
    return moved


def purge_archived_records(record_ids: list[str]) -> None:
    pipe = get_redis().pipeline()
    for record_id in record_ids:
        pipe.delete(archived_record_key(record_id))
        pipe.zrem(ARCHIVE_INDEX, record_id)
    pipe.execute()
