"""What the tests need to know of the records: here, hashes in Redis (``record_store``)."""

import contextlib
import json
import time
from collections import Counter

from .. import record_store


def make_old_records(count):
    long_ago = time.time() - 100 * 24 * 60 * 60
    for n in range(count):
        record_store.save_record(f"document-{n}", {"n": n}, now=long_ago)


def stored_fields(record_id):
    """The synced item's content as stored, and when it last changed."""
    record = record_store.load_record(record_id)
    return {**json.loads(record["data"]), "updated_at": record["updated_at"]}


def archived_per_run():
    """How many records each archive run moved, by the run's start time."""
    moved = record_store.get_redis().zrange(record_store.ARCHIVE_INDEX, 0, -1, withscores=True)
    return Counter(archived_at for _, archived_at in moved)


def live_count():
    return record_store.get_redis().zcard(record_store.LIVE_INDEX)


@contextlib.contextmanager
def archive_held_up():
    """Nothing to hold: each record moves in a transaction of its own, at once visible.

    3,000 records take a run long enough that the test sees some moved and
    kills it before it is done.
    """
    yield


def archive_is_under_way(result):
    return result.state == "STARTED" and archived_per_run()
