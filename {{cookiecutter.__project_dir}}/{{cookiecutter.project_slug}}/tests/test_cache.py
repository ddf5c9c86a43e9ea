"""cleanup_expired_cache deletes leaked keys (no TTL) under its prefix, and only those."""

import re
from pathlib import Path

import pytest

from ..key_space import OWN_NAMESPACES
from ..redis_client import key
from ..tasks.cache import SCAN_BATCH, cleanup_expired_cache

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def fill_cache(redis, leaked, expiring):
    for number in range(leaked):
        redis.set(key("cache:", f"leaked-{number}"), "value")
    for number in range(expiring):
        redis.set(key("cache:", f"fresh-{number}"), "value", ex=600)


def test_deletes_only_keys_without_expiry(redis):
    fill_cache(redis, leaked=3, expiring=2)
    redis.set(key("records", "not-a-cache-key"), "kept")
    redis.set("another-app:cache:leaked", "kept")

    summary = cleanup_expired_cache()

    assert summary == {
        "pattern": key("cache:") + "*",
        "scanned": 5,
        "without_expiry": 3,
        "deleted": 3,
        "dry_run": False,
    }
    assert sorted(redis.keys(key("cache:") + "*")) == sorted(
        key("cache:", f"fresh-{number}") for number in range(2)
    )
    assert redis.get(key("records", "not-a-cache-key")) == "kept"
    assert redis.get("another-app:cache:leaked") == "kept"


def test_dry_run_reports_without_deleting(redis):
    fill_cache(redis, leaked=4, expiring=1)

    summary = cleanup_expired_cache(dry_run=True)

    assert (summary["without_expiry"], summary["deleted"], summary["dry_run"]) == (4, 0, True)
    assert len(redis.keys(key("cache:") + "*")) == 5


def test_walks_every_batch_of_a_large_namespace(redis):
    fill_cache(redis, leaked=2 * SCAN_BATCH + 7, expiring=SCAN_BATCH)

    summary = cleanup_expired_cache()

    assert summary["deleted"] == 2 * SCAN_BATCH + 7
    assert len(redis.keys(key("cache:") + "*")) == SCAN_BATCH


def test_another_prefix(redis):
    redis.set(key("session:", "abc"), "user=1")
    redis.set(key("cache:", "leaked"), "value")

    summary = cleanup_expired_cache(prefix="session:", dry_run=True)

    assert summary["pattern"] == key("session:") + "*"
    assert summary["without_expiry"] == 1


@pytest.mark.parametrize("prefix", ["", "r", "re", "*", "led", "heartbeat", "redbeat:", "lock:a"])
def test_a_prefix_reaching_the_projects_own_keys_is_refused_and_nothing_is_deleted(redis, prefix):
    # Keys of the project's own that never expire, as the schedule's do.
    own = [key("redbeat", "heartbeat"), key("heartbeat"), key("ledger", "entry", "x")]
    for name in own:
        redis.set(name, "kept")

    with pytest.raises(ValueError, match="prefix"):
        cleanup_expired_cache(prefix=prefix)

    assert [redis.get(name) for name in own] == ["kept"] * len(own)


def test_every_namespace_the_code_writes_is_one_the_cleanup_keeps_away_from():
    written = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        if "tests" not in path.relative_to(PACKAGE_DIR).parts:
            written |= set(re.findall(r"\bkey\(\s*\"([^\"]+)\"", path.read_text()))

    assert written, "no key(...) found in the code"
    assert written <= set(OWN_NAMESPACES), written - set(OWN_NAMESPACES)
