"""Beat's scheduler class: django-celery-beat's, its schedule in the database.

``beat_scheduler`` names it. Like every scheduler of this project it sends
only while it holds the leader lock (``beat_leader``): a second beat is a
standby, not a duplicate.
"""

import logging
import time
from typing import Any

from celery.beat import ScheduleEntry
from django.db import DatabaseError, connection
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from . import liveness
from .beat_leader import LeaderOnlyScheduler, heartbeat_continues_from
from .beat_schedule import HEARTBEAT_ENTRY
from .unapplied_migrations import count_unapplied_migrations

logger = logging.getLogger(__name__)

MIGRATION_POLL_SECONDS = 2


def wait_for_migrations() -> None:
    """Return once the database is reachable and fully migrated.

    Says why it waits once per reason (unreachable, then not migrated), not
    on every poll.
    """
    reported = None
    while True:
        try:
            pending = count_unapplied_migrations()
        except DatabaseError as exc:
            reason, detail = "unreachable", f"the database is not reachable ({exc})"
        else:
            if not pending:
                if reported:
                    logger.info("Database ready; starting the schedule")
                return
            reason = "not migrated"
            detail = f"{pending} migrations are not applied; run `manage.py migrate`"
        if reason != reported:
            logger.warning("Beat is waiting: %s", detail)
            reported = reason
        connection.close()
        liveness.beat_loop_turned(MIGRATION_POLL_SECONDS)
        time.sleep(MIGRATION_POLL_SECONDS)


class MigratedDatabaseScheduler(LeaderOnlyScheduler, DatabaseScheduler):
    """django-celery-beat's scheduler, made safe to start before ``migrate``.

    Stock beat crashes on a fresh database because the schedule tables do not
    exist yet; in compose it would crash-loop until the migrate step finished.
    This one waits, saying why, then starts.

    It also leaves the code schedule alone at start. Stock beat writes every
    BEAT_SCHEDULE entry over the database on each start, undoing what an
    operator changed in the admin; here ``manage.py sync_periodic_tasks`` is
    the one way code reaches the database, and it keeps the operator's choices.

    And it writes when each entry last ran as it sends it, where
    django-celery-beat would wait for its next periodic sync: a beat that
    takes over reads the database, and would otherwise send again a run
    sent minutes before.
    """

    def before_leading(self) -> None:
        # Migrations first: a leader waiting for them could not renew its lock.
        wait_for_migrations()

    def setup_leader_schedule(self) -> None:
        # Not django-celery-beat's own, which would store BEAT_SCHEDULE.
        # django-celery-beat notices a change by comparing its time with the
        # last change time it saw, and it first looks on its second tick. An
        # edit made before that, or the first edit of a fresh database (no
        # change time at all yet), would wait for its five-minute full
        # reload. So start from a recorded change time.
        if self.Changes.last_change() is None:
            self.Changes.update_changed()
        self._last_timestamp = self.Changes.last_change()
        if not self.Model.objects.exists():
            # Also between `make migrate`'s two steps, to a beat that waited
            # for the tables: it picks the tasks up as they are stored.
            logger.warning(
                "There are no periodic tasks in the database yet: `make migrate` "
                "(manage.py sync_periodic_tasks) stores them, and beat sends them once stored"
            )

    def all_as_schedule(self) -> dict[str, Any]:
        schedule: dict[str, Any] = super().all_as_schedule()
        # django-celery-beat counts a task that never ran from its last
        # change: a heartbeat stored after this beat began to lead (make
        # migrate syncs the schedule after migrating, while a beat that
        # waited for the migrations starts at once) would wait a full
        # interval, with health red. It goes on from the last one sent.
        heartbeat = schedule.get(HEARTBEAT_ENTRY)
        if isinstance(heartbeat, ModelEntry) and not heartbeat.total_run_count:
            continue_from = heartbeat_continues_from(heartbeat.schedule, self.app.now())
            if continue_from is not None:
                heartbeat.last_run_at = continue_from
        return schedule

    def record_run(self, entry: ScheduleEntry) -> None:
        if isinstance(entry, ModelEntry):
            # The reserved entry shares this one's row: its new last run and count.
            entry.save()
            self._dirty.discard(entry.name)
