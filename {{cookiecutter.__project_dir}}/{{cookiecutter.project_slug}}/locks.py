"""Locks that really lock, held in Redis: ``exclusive`` and ``single_instance``.

Built on redis-py's ``Lock``, which already gets the hard part right: every
holder has its own random token, and release and renewal are Lua scripts that
compare the token first. A holder whose lock expired and was taken by someone
else therefore never deletes or extends the new owner's lock, which is
exactly what the naive ``SET NX EX`` + ``DEL`` gets wrong.

This module adds what redis-py leaves out:

- renewal while the holder runs: a background thread resets the lock's ttl
  every third of it, so work that takes longer than ``ttl`` stays exclusive,
  and a holder that dies stops renewing, so its lock frees itself after
  ``ttl`` instead of blocking everyone forever;
- ``single_instance``, a task decorator that skips a run while another run
  of the same task holds the lock.
"""

import functools
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, ParamSpec, TypedDict, TypeVar

from celery import Task
from redis.exceptions import LockNotOwnedError, RedisError
from redis.lock import Lock

from .redis_client import get_redis, key, wait_for_replica
from .settings import settings

logger = logging.getLogger(__name__)

# How long a lock outlives a holder that died without releasing it. With
# renewal on, this is not a limit on how long the holder may work.
DEFAULT_TTL_SECONDS = 60

P = ParamSpec("P")
R = TypeVar("R")


class SkippedRun(TypedDict):
    """What a task under ``single_instance`` returns when another run holds its lock."""

    skipped: Literal[True]
    reason: str


class LockConfigurationError(ValueError):
    """A lock set up so that it could expire while its holder still works."""


class _Renewer:
    """One thread per process that renews every lock still held in the process.

    Each lock is renewed every third of its ttl, which leaves room for two
    renewals to fail (Redis briefly away) before it expires under a holder
    that is still working. One shared thread, rather than one per lock,
    keeps taking a lock about as cheap as a Redis round trip.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        # lock -> (name, ttl, when it is next due, on the monotonic clock)
        self._held: dict[Lock, tuple[str, float, float]] = {}
        self._thread: threading.Thread | None = None
        # When the waiting thread wakes on its own; None: only when notified.
        self._wakes_at: float | None = None

    def add(self, lock: Lock, name: str, ttl: float) -> None:
        due = time.monotonic() + ttl / 3
        with self._changed:
            self._held[lock] = (name, ttl, due)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="renew-locks", daemon=True)
                self._thread.start()
            # Waking the thread costs some 50 microseconds, a tenth of taking
            # and releasing the lock, and a task that locks every run would
            # pay it every run: wake it only if it would wake too late.
            if self._wakes_at is None or due < self._wakes_at:
                self._changed.notify()

    def remove(self, lock: Lock) -> None:
        with self._changed:
            self._held.pop(lock, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [
                    (lock, name, ttl) for lock, (name, ttl, at) in self._held.items() if at <= now
                ]
                for lock, name, ttl in due:
                    self._held[lock] = (name, ttl, now + ttl / 3)
                if not due:
                    self._wakes_at = min((at for _, _, at in self._held.values()), default=None)
                    self._changed.wait(None if self._wakes_at is None else self._wakes_at - now)
                    continue
            # Renew outside the condition, so a slow Redis does not hold up holders.
            for lock, name, _ in due:
                self._renew(lock, name)

    def _renew(self, lock: Lock, name: str) -> None:
        try:
            lock.reacquire()
        except LockNotOwnedError:
            with self._changed:
                still_held = self._held.pop(lock, None) is not None
            if still_held:  # else its holder released it while this renewal was on its way
                logger.error(
                    "Lock %s expired or was taken over while its holder was still working; "
                    "another holder may be running at the same time",
                    name,
                )
        except RedisError as exc:
            logger.warning("Could not renew lock %s (will try again): %s", name, exc)


_renewer = _Renewer()


def _new_renewer_after_fork() -> None:
    # A forked child (a Celery pool process) has none of its parent's threads.
    global _renewer
    _renewer = _Renewer()


os.register_at_fork(after_in_child=_new_renewer_after_fork)


@contextmanager
def exclusive(
    name: str, ttl: float = DEFAULT_TTL_SECONDS, *, wait: float = 0, renew: bool = True
) -> Iterator[bool]:
    """Hold the lock ``name`` for the ``with`` block, if no one else holds it.

    Yields True when this holder got the lock and False when another holder
    has it; the block runs either way and decides what to do::

        with exclusive("rebuild-search-index", ttl=60) as acquired:
            if not acquired:
                return
            rebuild_search_index()

    ``wait`` is how many seconds to wait for the lock (by default none: the
    answer is immediate). With ``renew`` (the default) the lock is renewed
    while the block runs; without it the lock expires ``ttl`` seconds after
    it was taken, whether or not the block is done.
    """
    if ttl <= 0:
        raise LockConfigurationError(f"lock {name!r}: ttl must be positive, not {ttl!r}")
    lock = get_redis().lock(
        key("lock", name),
        timeout=ttl,
        blocking=wait > 0,
        blocking_timeout=wait or None,
        # The token must be visible to the renewal thread, not only to this one.
        thread_local=False,
    )
    if not lock.acquire():
        yield False
        return
    wait_for_replica(lock.redis, f"the lock {name}")

    if renew:
        _renewer.add(lock, name, ttl)
    try:
        yield True
    finally:
        if renew:
            _renewer.remove(lock)
        try:
            lock.release()
        except LockNotOwnedError:
            # The Lua release left the key alone: it belongs to someone else now.
            logger.error(
                "Lock %s had expired or been taken over before its holder released it; "
                "another holder may have run at the same time",
                name,
            )


def _arguments_digest(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """A short, stable name for a task's arguments (its ``self`` left out)."""
    if args and isinstance(args[0], Task):
        args = args[1:]
    encoded = json.dumps([args, kwargs], sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def single_instance(
    ttl: float = DEFAULT_TTL_SECONDS,
    *,
    by_arguments: bool = False,
    renew: bool = True,
    time_limit: float | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R | SkippedRun]]:
    """Skip a task's run while another run of the same task is in progress.

    Goes under ``@app.task``::

        @app.task
        @single_instance()
        def refresh_stale_records(): ...

    The lock is named after the task's module and function, and with
    ``by_arguments`` after its arguments too, so that runs with different
    arguments do not hold each other up. A skipped run does not call the
    task: it logs why and returns ``{"skipped": True, "reason": ...}``.

    Without ``renew`` the lock expires ``ttl`` seconds after the run starts,
    so ``ttl`` must cover the task's hard time limit: ``time_limit`` if the
    task sets its own, TASK_TIME_LIMIT otherwise. A shorter ``ttl`` is
    refused here, when the task module is imported.
    """
    hard_time_limit = time_limit or settings.task_time_limit
    if not renew and ttl < hard_time_limit:
        raise LockConfigurationError(
            f"single_instance(ttl={ttl}, renew=False) would let the lock expire while the "
            f"task still runs (hard time limit {hard_time_limit} s): "
            f"use ttl >= {hard_time_limit} or leave renew on"
        )

    def decorate(task_function: Callable[P, R]) -> Callable[P, R | SkippedRun]:
        task_name = f"{task_function.__module__}.{task_function.__qualname__}"

        @functools.wraps(task_function)
        def run_alone(*args: P.args, **kwargs: P.kwargs) -> R | SkippedRun:
            lock_name = task_name
            if by_arguments:
                lock_name = f"{task_name}:{_arguments_digest(args, kwargs)}"
            with exclusive(lock_name, ttl, renew=renew) as acquired:
                if not acquired:
                    logger.info("Skipping %s: another run holds lock %s", task_name, lock_name)
                    return {"skipped": True, "reason": f"another run holds lock {lock_name}"}
                return task_function(*args, **kwargs)

        return run_alone

    return decorate
