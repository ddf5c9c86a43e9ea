"""Beat's scheduler class: Celery's own, its state in a file (``beat_scheduler`` names it).

Like every scheduler of this project it sends only while it holds the
leader lock (``beat_leader``): a second beat is a standby, not a duplicate.
"""

import logging
from pathlib import Path
from typing import Any

from celery.beat import ScheduleEntry
from kombu import Producer
from redis.exceptions import RedisError

from .beat_leader import LeaderOnlyScheduler
from .schedule_store import record_last_run
from .typing_gaps import PersistentScheduler

logger = logging.getLogger(__name__)


class StateDirScheduler(LeaderOnlyScheduler, PersistentScheduler):
    """Celery's file-backed scheduler, with its state file in STATE_DIR.

    STATE_DIR is git-ignored locally and a volume in compose, so schedule
    state survives a redeploy without being committed. Celery does not create
    the folder, so a fresh checkout or an empty volume would fail to start.
    A standby opens the state file only once it leads, so two beats sharing
    the volume never write it at the same time.
    """

    def setup_leader_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_leader_schedule()

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

    def apply_entry(self, entry: ScheduleEntry, producer: Producer | None = None) -> None:
        """Send the entry's task, and record when in Redis, where the schedule command reads it."""
        super().apply_entry(entry, producer)
        # Beat reserved the entry before sending it: the schedule holds it
        # with its new last run.
        name, reserved = entry.name, self.schedule.get(entry.name or "")
        if name is None or reserved is None or reserved.last_run_at is None:
            return  # not an entry of the schedule: nothing to record
        try:
            record_last_run(name, reserved.last_run_at)
        except RedisError as exc:
            # Bookkeeping must never stop beat from sending.
            logger.warning("Could not record the last run of %s: %s", entry.name, exc)
