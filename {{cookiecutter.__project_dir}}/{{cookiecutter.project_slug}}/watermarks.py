"""Watermarks: how far a task got the last time it succeeded.

A task that works "since the last success" instead of "since an hour ago"
catches up by itself after runs were missed while beat or the workers were
down: the next run simply covers the whole gap.
"""

from .redis_client import get_redis, key


def read_watermark(name: str) -> float | None:
    """The stored point in time (a Unix timestamp) for ``name``, or None."""
    value = get_redis().get(key("watermark", name))
    return None if value is None else float(value)


def write_watermark(name: str, timestamp: float) -> None:
    get_redis().set(key("watermark", name), repr(timestamp))
