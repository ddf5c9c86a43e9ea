"""The beat scheduler the project runs, chosen by ``beat_scheduler`` in its Celery settings."""
{%- if cookiecutter.scheduler == "database" %}

import logging
import time

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

MIGRATION_POLL_SECONDS = 2


def count_unapplied_migrations():
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def wait_for_migrations():
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
        time.sleep(MIGRATION_POLL_SECONDS)


class MigratedDatabaseScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, made safe to start before ``migrate``.

    Stock beat crashes on a fresh database because the schedule tables do not
    exist yet; in compose it would crash-loop until the migrate step finished.
    This one waits, saying why, then starts.

    It also leaves the code schedule alone at start. Stock beat writes every
    BEAT_SCHEDULE entry over the database on each start, undoing what an
    operator changed in the admin; here ``manage.py sync_periodic_tasks`` is
    the one way code reaches the database, and it keeps the operator's choices.
    """

    def setup_schedule(self):
        wait_for_migrations()
        if not self.Model.objects.exists():
            logger.warning(
                "There are no periodic tasks in the database: run `manage.py sync_periodic_tasks`"
            )
{%- else %}

from pathlib import Path

from celery.beat import PersistentScheduler


class StateDirScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, with its state file in STATE_DIR.

    STATE_DIR is git-ignored locally and a volume in compose, so schedule
    state survives a redeploy without being committed. Celery does not create
    the folder, so a fresh checkout or an empty volume would fail to start.
    """

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
{%- endif %}
