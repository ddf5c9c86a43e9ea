"""Which of the project's Redis keys are its own, and which it leaves to the cache.

Every key starts with the project's prefix (``redis_client.key``), then one
of the namespaces below: the schedule, the leader lock, the heartbeat, the
run ledger, the locks, what the tasks keep. The cache cleanup deletes keys
without an expiry under its own prefix (CACHE_KEY_PREFIX, ``cache:``), and
most of these have none, by design: a prefix that reached into them would
delete the schedule itself.
"""

# The first part of every key the project's own code writes. A test reads the
# code for every call of ``key`` and checks that its namespace is listed here.
OWN_NAMESPACES = (
    "activity",
    "archive",
    "beat",
    "heartbeat",
    "ledger",
    "lock",
    "record",
    "records",
    "redbeat",
    "reports",
    "schedule",
    "watermark",
)
# What SCAN's MATCH reads as a pattern, not as the character itself.
PATTERN_CHARACTERS = "*?[]\\"


def cache_prefix_problem(prefix: str) -> str | None:
    """Why the cache cleanup must not use ``prefix``, or None if it may."""
    if not prefix:
        return "is empty: the cleanup would scan every key of the project"
    if any(character in prefix for character in PATTERN_CHARACTERS):
        return f"holds a pattern character ({' '.join(PATTERN_CHARACTERS)})"
    clashes = [
        namespace
        for namespace in OWN_NAMESPACES
        if f"{namespace}:".startswith(prefix) or prefix.startswith(f"{namespace}:")
    ]
    if clashes:
        return (
            f"would reach the project's own keys ({', '.join(clashes)}); use another, e.g. cache:"
        )
    return None
