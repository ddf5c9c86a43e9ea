"""The project's Celery app with what the liveness tests need, and nothing the project runs.

``celery -A <package>.tests.liveness_app worker|beat`` adds two things: a task
that holds its worker for as long as it is told (``hold``), and a beat whose
tick hangs for good, in a process that lives on, once the file named by
HANG_TICKS_WHEN exists: a call that never returns, as a lost network peer
or a deadlock would leave it.
"""

import functools
import os
import threading
import time
from typing import Any

from celery.beat import Scheduler
from celery.utils.imports import symbol_by_name

from ..celery_app import app

# The project's own scheduler class, whichever this render has.
PROJECT_SCHEDULER = app.conf.beat_scheduler


@app.task
def hold(seconds: float) -> float:
    """Keep a pool process busy for ``seconds``."""
    time.sleep(seconds)
    return seconds


@functools.cache
def hanging_scheduler() -> type[Scheduler]:
    """The project's scheduler, whose tick never returns once HANG_TICKS_WHEN exists."""
    project_scheduler: type[Scheduler] = symbol_by_name(PROJECT_SCHEDULER)

    def tick_or_hang(scheduler: Scheduler, *args: Any, **kwargs: Any) -> float:
        flag = os.environ.get("HANG_TICKS_WHEN")
        if flag and os.path.exists(flag):
            threading.Event().wait()
        result: float = project_scheduler.tick(scheduler, *args, **kwargs)
        return result

    return type("HangingScheduler", (project_scheduler,), {"tick": tick_or_hang})


def __getattr__(name: str) -> type[Scheduler]:
    """``HangingScheduler``, made when beat asks for it: django-celery-beat's scheduler
    can be imported only once Django is set up, which beat does first."""
    if name == "HangingScheduler":
        return hanging_scheduler()
    raise AttributeError(name)


app.conf.beat_scheduler = f"{__name__}:HangingScheduler"
