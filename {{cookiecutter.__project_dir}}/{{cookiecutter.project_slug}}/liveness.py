"""Is this process's own loop still turning? What a container's liveness probe asks.

``python -m {{ cookiecutter.project_slug }}.health`` answers for the whole deployment: did a
beat send the heartbeat, did a worker run it. That cannot tell a probe whether
the process in *its* container still works. With two beats, one whose tick
loop is stuck (a call that never returns, a deadlock) keeps its process
alive while the other takes the leader lock over and keeps the heartbeat
fresh: every shared check stays green, and the stuck beat is never
restarted, so the next node loss finds no standby. A worker, the other way
round, must not look dead just because its only pool process runs a long
task.

So each long-running process leaves a sign of life in a file of its own in
STATE_DIR (``beat.alive``, ``worker.alive``) whenever its loop comes round,
saying by when it will come round again, with some slack:

- beat, at the end of each tick as leader, at each try for the lock as a
  standby, at each look at the migrations while it waits for them: due
  again after the time it is about to sleep, plus the leader lock's ttl
  (BEAT_LEADER_LOCK_TTL). A loop late by more than the ttl has lost the
  lock if it led: the project already counts such a beat as frozen.
- a worker, from a timer of its main process's event loop, the loop that
  takes messages, answers pings and hands tasks to the pool: every
  WORKER_SIGN_SECONDS, slack WORKER_SLACK_SECONDS. The pool's processes run
  the tasks, so a busy pool leaves the sign fresh.

``health beat-loop`` and ``health worker-loop`` read the file: no Redis and
no Celery, so a probe answers in a fraction of a second, and Redis being
down does not get every pod restarted (a restart would not bring it back).
The file is per STATE_DIR, which in a container is the container's own.
"""

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .settings import settings

if TYPE_CHECKING:
    from celery import Celery

logger = logging.getLogger(__name__)

BEAT = "beat"
WORKER = "worker"

# A beat loop late by the leader lock's ttl is stuck (see the docstring).
BEAT_SLACK_SECONDS = settings.beat_leader_lock_ttl
# How often a worker's main loop leaves its sign, and how late it may be:
# long enough for a slow moment (a reconnection to Redis blocks the loop
# between its tries), short enough that a stuck worker is restarted in
# about a minute under the probes of deploy/kubernetes.
WORKER_SIGN_SECONDS = 1.0
WORKER_SLACK_SECONDS = 30.0


@dataclass(frozen=True)
class Sign:
    """A process's last sign of life: when it left it, and after when it is overdue (Unix time)."""

    left_at: float
    overdue_after: float


def sign_file(process: str) -> Path:
    return settings.state_dir / f"{process}.alive"


# Whether the last sign could not be written: said once, not on every tick.
_failing_to_write = False
# The last sign each process wrote here: a loop that comes round many times a
# second (beat sending a thousand due entries) writes at most one a second.
_last_written: dict[str, Sign] = {}
REWRITE_AFTER_SECONDS = 1.0


def leave_sign(process: str, back_within: float) -> None:
    """Say that ``process``'s loop came round, and will again within ``back_within`` seconds.

    Written whole (a new file put in place), so a probe never reads half of
    one. Not written when the last one is less than a second old and
    promises at most a second less: the slack, of seconds, covers that. An
    error is logged, once, and never stops the loop: its probe fails
    instead, which is the truth.
    """
    global _failing_to_write
    now = time.time()
    last = _last_written.get(process)
    if (
        last is not None
        and now - last.left_at < REWRITE_AFTER_SECONDS
        and now + back_within <= last.overdue_after + REWRITE_AFTER_SECONDS
    ):
        return
    path = sign_file(process)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(f"{now} {now + back_within}\n")
        partial.replace(path)
    except OSError as exc:
        if not _failing_to_write:
            logger.error("Cannot write the liveness file %s, so probes will fail: %s", path, exc)
        _failing_to_write = True
        return
    _failing_to_write = False
    _last_written[process] = Sign(now, now + back_within)


def beat_loop_turned(sleeps_for: float) -> None:
    """Beat's loop came round, and sleeps ``sleeps_for`` seconds before the next turn."""
    leave_sign(BEAT, sleeps_for + BEAT_SLACK_SECONDS)


def last_sign(process: str) -> Sign | None:
    """``process``'s last sign of life in this STATE_DIR; None if it left none (or unreadable)."""
    try:
        left_at, overdue_after = map(float, sign_file(process).read_text().split())
    except (OSError, ValueError):
        return None
    return Sign(left_at, overdue_after)


def sign_worker_loop(app: "Celery") -> None:
    """Have every worker of ``app`` leave its sign from its main loop (a worker bootstep).

    The step's timer runs on the event loop of the worker's main process,
    never in the pool. Its entry is in place before the worker first
    connects, and Celery keeps such entries across reconnections.
    """
    # Imported here: the health command reads this module, and stays quick without Celery.
    from celery import bootsteps

    class WorkerLoopSign(bootsteps.StartStopStep):
        requires = ("celery.worker.components:Hub",)

        def __init__(self, worker: Any, **kwargs: Any) -> None:
            super().__init__(worker, **kwargs)
            self.entry: Any = None

        def start(self, worker: Any) -> None:
            leave_worker_sign()
            self.entry = worker.timer.call_repeatedly(WORKER_SIGN_SECONDS, leave_worker_sign)

        def stop(self, worker: Any) -> None:
            if self.entry is not None:
                self.entry.cancel()

    app.steps["worker"].add(WorkerLoopSign)


def leave_worker_sign() -> None:
    leave_sign(WORKER, WORKER_SIGN_SECONDS + WORKER_SLACK_SECONDS)
