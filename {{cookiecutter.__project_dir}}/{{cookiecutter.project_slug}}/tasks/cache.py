"""Keeping the cache namespace from filling Redis with keys that never expire."""

from typing import TypedDict

from celery.utils.log import get_task_logger

from ..celery_app import app
from ..key_space import cache_prefix_problem
from ..redis_client import get_redis, key
from ..settings import settings

logger = get_task_logger(__name__)

SCAN_BATCH = 500
NO_EXPIRY = -1  # what TTL answers for a key that exists but never expires


class CleanupSummary(TypedDict):
    pattern: str
    scanned: int
    without_expiry: int
    deleted: int
    dry_run: bool


@app.task(acks_late=True, reject_on_worker_lost=True)
def cleanup_expired_cache(prefix: str | None = None, dry_run: bool = False) -> CleanupSummary:
    """Delete keys under ``prefix`` (CACHE_KEY_PREFIX) that have no expiry.

    Never under the project's own keys (``key_space``): such a prefix is refused.

    Every cache entry should be written with a TTL; one without is a leak
    that stays until Redis is full. SCAN walks the keys in batches without
    blocking Redis the way KEYS would. With ``dry_run`` the task only counts
    and logs what it would delete.
    """
    prefix = settings.cache_key_prefix if prefix is None else prefix
    problem = cache_prefix_problem(prefix)
    if problem:
        # A prefix given to this run (an entry's kwargs): settings check CACHE_KEY_PREFIX.
        raise ValueError(f"prefix {prefix!r} {problem}")
    pattern = key(prefix) + "*"
    logger.info("Scanning %s for keys without expiry%s", pattern, " (dry run)" if dry_run else "")
    redis = get_redis()
    scanned = without_expiry = 0
    cursor = None
    while cursor != 0:
        cursor, keys = redis.scan(cursor or 0, match=pattern, count=SCAN_BATCH)
        if not keys:
            continue
        scanned += len(keys)
        pipe = redis.pipeline(transaction=False)
        for name in keys:
            pipe.ttl(name)
        leaked = [name for name, ttl in zip(keys, pipe.execute(), strict=True) if ttl == NO_EXPIRY]
        without_expiry += len(leaked)
        if leaked and dry_run:
            logger.info("Would delete %d keys, e.g. %s", len(leaked), leaked[0])
        elif leaked:
            # UNLINK frees the memory in the background instead of blocking Redis.
            redis.unlink(*leaked)
    deleted = 0 if dry_run else without_expiry
    logger.info("Scanned %d keys, %d without expiry, deleted %d", scanned, without_expiry, deleted)
    return {
        "pattern": pattern,
        "scanned": scanned,
        "without_expiry": without_expiry,
        "deleted": deleted,
        "dry_run": dry_run,
    }
