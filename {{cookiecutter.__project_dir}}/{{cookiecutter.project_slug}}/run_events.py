"""How runs reach the run ledger and the outside monitors: sent, started, finished.

Beat marks each run it sends with its entry's name and records it as sent
(``sent_by_beat``); the schedule command does the same for a run started by
hand (``send_by_hand``). In a worker, Celery's task signals record when a
marked run starts and how it ends, and tell the ping URLs (``pings``).
``watch_runs`` connects them; ``celery_app`` calls it in every process.

In a worker, a thread of its own writes what the signals record
(``RunWrites``): a Redis round trip in the run's own time would cost a
short task a tenth of its throughput (bench section 9).
"""

import atexit
import math
import os
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from celery import Celery, Task
from celery.beat import ScheduleEntry
from celery.result import AsyncResult
from celery.signals import (
    task_failure,
    task_prerun,
    task_retry,
    task_revoked,
    task_success,
    worker_process_shutdown,
    worker_shutdown,
)
from kombu.utils.uuid import uuid

from . import ledger, pings
from .ledger import ENTRY_HEADER, Outcome

# When each run this process started began, on the monotonic clock, by task id.
_started: dict[str, float] = {}
# How often a worker's thread writes the ends of its runs, all in one round trip.
WRITE_SECONDS = 0.1
# How long a run goes on before its start is written on its own: a run that
# ends sooner has its start written with its end, one write instead of two.
START_ALONE_AFTER_SECONDS = 0.5


class RunWrites:
    """The ledger writes of the runs this process works on, made by a thread of its own.

    A run's end is written within WRITE_SECONDS of it. What waits when the
    process stops is written then (``flush``); a process killed loses its
    last WRITE_SECONDS of ends, and leaves a run younger than
    START_ALONE_AFTER_SECONDS recorded as sent, not started.
    """

    def __init__(self) -> None:
        self._reset()
        # A pool process is forked: the thread, and the lock's state, stay behind.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        # One write at a time: a flush waits for the thread's write under way.
        self._one_write_at_a_time = threading.Lock()
        self._starts: dict[str, tuple[float, ledger.Write]] = {}  # by task id
        self._ends: list[ledger.Write] = []
        self._thread_started = False

    def started(self, name: str, task_id: str, fields: dict[str, Any]) -> None:
        with self._lock:
            self._starts[task_id] = (time.monotonic(), (name, task_id, fields))
            self._write_from_a_thread()

    def ended(self, name: str, task_id: str, fields: dict[str, Any]) -> None:
        with self._lock:
            _, (_, _, start) = self._starts.pop(task_id, (0.0, (name, task_id, {})))
            self._ends.append((name, task_id, {**start, **fields}))
            self._write_from_a_thread()

    def flush(self, *_: Any, **__: Any) -> None:
        """Write what waits: every end, and the start of every run under way."""
        self._write(started_before=math.inf)

    def _write_from_a_thread(self) -> None:
        if not self._thread_started:  # the first run of this process
            self._thread_started = True
            threading.Thread(target=self._write_forever, name="run-ledger", daemon=True).start()

    def _write_forever(self) -> None:
        while True:
            time.sleep(WRITE_SECONDS)
            self._write(started_before=time.monotonic() - START_ALONE_AFTER_SECONDS)

    def _write(self, started_before: float) -> None:
        with self._one_write_at_a_time:
            with self._lock:
                writes, self._ends = self._ends, []
                for task_id, (since, write) in list(self._starts.items()):
                    if since <= started_before:
                        writes.append(write)
                        del self._starts[task_id]
            if writes:
                ledger.record_many(writes)


_run_writes = RunWrites()


def _expires_at(expires: Any, sent_at: float) -> float | None:
    """When a run sent at ``sent_at`` expires: ``expires`` is seconds or a datetime."""
    if isinstance(expires, int | float):
        return sent_at + expires
    if isinstance(expires, timedelta):
        return sent_at + expires.total_seconds()
    if isinstance(expires, datetime):
        return expires.timestamp()
    return None


def _sent(name: str, options: dict[str, Any], due_at: datetime | None, by: str) -> dict[str, Any]:
    """The options that send a run of entry ``name``, its run recorded as sent first."""
    task_id = uuid()
    sent_at = time.time()
    ledger.record(
        name,
        task_id,
        due_at=None if due_at is None else due_at.timestamp(),
        sent_at=sent_at,
        expires_at=_expires_at(options.get("expires"), sent_at),
        sent_by=by,
    )
    headers = {**(options.get("headers") or {}), ENTRY_HEADER: name}
    return {**options, "task_id": task_id, "headers": headers}


def sent_by_beat(entry: ScheduleEntry, due_at: datetime) -> ScheduleEntry:
    """This run of ``entry``, carrying the entry's name, recorded as sent, due at ``due_at``.

    A plain entry with what sending needs (its task, arguments and options,
    and its schedule, which Sentry Crons reads), not a copy: the entry itself
    keeps its options, which a scheduler may store, and each scheduler's
    entry class is built its own way.
    """
    name = entry.name or entry.task or ""
    return ScheduleEntry(
        name=name,
        task=entry.task,
        schedule=entry.schedule,
        args=entry.args or (),
        kwargs=entry.kwargs,
        options=_sent(name, entry.options or {}, due_at, "beat"),
        app=entry.app,
    )


def send_by_hand(
    app: Celery, name: str, task: str, args: Any, kwargs: Any, options: dict[str, Any]
) -> AsyncResult[Any]:
    """Send a run of entry ``name`` now, recorded in the ledger as the entry's."""
    return app.send_task(task, args=args, kwargs=kwargs, **_sent(name, options, None, "hand"))


def entry_of(request: Any) -> str | None:
    """The schedule entry a run belongs to, from its message; None for a run of no entry."""
    name = getattr(request, ENTRY_HEADER, None)
    return name if isinstance(name, str) and name else None


def _finished(name: str, task_id: str, outcome: Outcome, error: str = "") -> None:
    started = _started.pop(task_id, None)
    duration = None if started is None else round(time.monotonic() - started, 6)
    _run_writes.ended(
        name,
        task_id,
        {"finished_at": time.time(), "outcome": outcome, "duration": duration, "error": error},
    )
    pings.finished(name, outcome, error)


def _on_started(task_id: str, task: Task[Any, Any], **_: Any) -> None:
    name = entry_of(task.request)
    if name is not None:
        _started[task_id] = time.monotonic()
        _run_writes.started(
            name, task_id, {"started_at": time.time(), "worker": task.request.hostname}
        )
        pings.started(name)


def _on_success(sender: Task[Any, Any], result: Any, **_: Any) -> None:
    name, task_id = entry_of(sender.request), sender.request.id
    if name is None or task_id is None:
        return
    if isinstance(result, dict) and result.get("skipped") is True:
        # single_instance's answer when another run holds the lock.
        _finished(name, task_id, Outcome.SKIPPED, str(result.get("reason", "")))
    else:
        _finished(name, task_id, Outcome.SUCCEEDED)


def _on_failure(sender: Task[Any, Any], task_id: str, exception: BaseException, **_: Any) -> None:
    # A run killed at its hard time limit fails in the worker's main process,
    # where no request names its entry: its record stays "started".
    name = entry_of(sender.request)
    if name is not None:
        _finished(name, task_id, Outcome.FAILED, ledger.one_line(exception))


def _on_retry(request: Any, reason: Any, **_: Any) -> None:
    name = entry_of(request)
    if name is not None:
        error = ledger.one_line(reason) if isinstance(reason, BaseException) else str(reason)
        _finished(name, request.id, Outcome.RETRYING, error)


def _on_revoked(request: Any, expired: bool = False, **_: Any) -> None:
    name = entry_of(request)
    if name is not None:
        outcome = Outcome.EXPIRED if expired else Outcome.REVOKED
        _finished(
            name, request.id, outcome, "expired before a worker started it" if expired else ""
        )


def watch_runs() -> None:
    """Record every run of a schedule entry that this process (a worker) starts and ends."""
    task_prerun.connect(_on_started, weak=False)
    task_success.connect(_on_success, weak=False)
    task_failure.connect(_on_failure, weak=False)
    task_retry.connect(_on_retry, weak=False)
    task_revoked.connect(_on_revoked, weak=False)
    # What waits is written as the process stops: a pool process leaves
    # through os._exit, which skips atexit, after worker_process_shutdown.
    worker_process_shutdown.connect(_run_writes.flush, weak=False)
    worker_shutdown.connect(_run_writes.flush, weak=False)
    atexit.register(_run_writes.flush)
