"""The beat scheduler the project runs, chosen by ``beat_scheduler`` in celery_app."""

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
