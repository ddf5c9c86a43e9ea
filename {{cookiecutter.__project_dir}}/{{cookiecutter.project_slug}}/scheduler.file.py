"""Beat's scheduler class: Celery's own, its state in a file (``beat_scheduler`` names it).

Like every scheduler of this project it sends only while it holds the
leader lock (``beat_leader``): a second beat is a standby, not a duplicate.
"""

import logging
from pathlib import Path
from typing import Any

from celery.beat import ScheduleEntry

from .beat_leader import LeaderOnlyScheduler
from .schedule_store import record_last_run, recorded_last_runs
from .settings import SettingsError
from .typing_gaps import PersistentScheduler

logger = logging.getLogger(__name__)


class StateDirScheduler(LeaderOnlyScheduler, PersistentScheduler):
    """Celery's file-backed scheduler, with its state file in STATE_DIR.

    STATE_DIR is git-ignored locally and a volume in compose, so schedule
    state survives a redeploy without being committed. Celery does not create
    the folder, so a fresh checkout or an empty volume would fail to start.
    A standby opens the state file only once it leads, so two beats sharing
    the volume never write it at the same time.

    The state file is this beat's own, and may be old (a beat that led last
    week) or new (a wiped dyno, an empty volume): when each entry last ran
    is recorded in Redis as it is sent, and a new leader takes it from there.
    """

    def setup_leader_schedule(self) -> None:
        folder = Path(self.schedule_filename).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            super().setup_leader_schedule()
        except OSError as exc:
            # A folder beat cannot create or write (under /proc, read-only):
            # one line, and beat stops, holding nothing.
            self._release_lock()
            raise SettingsError(
                "STATE_DIR", f"beat cannot keep its state in {str(folder)!r}: {exc.strerror}"
            ) from None
        self.continue_from_recorded_runs()

    def leadership_regained(self) -> None:
        self.continue_from_recorded_runs()

    def continue_from_recorded_runs(self) -> None:
        """Take each entry's last run from Redis, wherever the beat that sent it ran."""
        recorded = recorded_last_runs()
        for name, entry in self.schedule.items():
            if name in recorded:
                entry.last_run_at = recorded[name]

    def _destroy_open_corrupted_schedule(self, exc: Exception) -> Any:
        # Celery's own version logs a traceback for a file it then simply
        # replaces; one line says all there is to say. What is lost is when
        # each entry last ran: interval entries count from now, crontab ones
        # wait for their next time.
        logger.error(
            "The schedule state file %s could not be read (%r); replacing it with a new one",
            self.schedule_filename,
            exc,
        )
        self._remove_db()
        return self._open_schedule()

    def record_run(self, entry: ScheduleEntry) -> None:
        # Beat has reserved the entry: the schedule holds it with its new last run.
        reserved = self.schedule.get(entry.name or "")
        if reserved is not None and reserved.name and reserved.last_run_at:
            record_last_run(reserved.name, reserved.last_run_at)
