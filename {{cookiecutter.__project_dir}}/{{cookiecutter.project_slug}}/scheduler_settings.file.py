"""Beat's settings for the file scheduler: Celery's own, its state in STATE_DIR.

The scheduler's class is in ``scheduler``; ``celery_config`` adds these
settings to Celery's.
"""

from .settings import settings

BEAT_SETTINGS = {
    "beat_scheduler": f"{__package__}.scheduler:StateDirScheduler",
    "beat_schedule_filename": str(settings.state_dir / "celerybeat-schedule"),
    # Beat sleeps until the next entry is due, but never longer than this.
    # With the schedule fixed in code the only thing a shorter sleep buys is
    # noticing a clock jump sooner, so a minute is plenty. The leader lock
    # (beat_leader) wakes it more often still, to renew the lock.
    "beat_max_loop_interval": 60,
}

# Apps this scheduler adds to a Django project's INSTALLED_APPS: none.
DJANGO_APPS: list[str] = []
