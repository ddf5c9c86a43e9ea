"""Beat's settings for the database scheduler: django-celery-beat's tables.

The scheduler's class is in ``scheduler``; ``celery_config`` adds these
settings to Celery's.
"""

BEAT_SETTINGS = {
    "beat_scheduler": f"{__package__}.scheduler:MigratedDatabaseScheduler",
    # Beat sleeps until the next entry is due, but never longer than this. It
    # looks for changes made in the admin on each wake-up, so an edit applies
    # within this long, without a restart.
    "beat_max_loop_interval": 5,
}

# Apps this scheduler adds to INSTALLED_APPS: django-celery-beat's tables and
# admin, and this project's additions to that admin.
DJANGO_APPS = ["django_celery_beat", f"{__package__}.beat_admin"]
