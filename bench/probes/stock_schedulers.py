"""Which stock beat scheduler a project's scheduler extends, for the probes' references.

Every scheduler of the project is a subclass of one upstream class; a probe
measures the project's beside that class, run as it ships.
"""

# Each store's stock scheduler, as `celery beat --scheduler` takes it.
STOCK_SCHEDULERS = {
    "file": "celery.beat:PersistentScheduler",
    "redis": "redbeat.schedulers:RedBeatScheduler",
    "database": "django_celery_beat.schedulers:DatabaseScheduler",
}


def import_path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


def project_scheduler(app):
    """The app's scheduler as an import path, and its kind: file, redis or database."""
    from celery.utils.imports import symbol_by_name

    scheduler = symbol_by_name(app.conf.beat_scheduler)
    ancestors = {import_path(cls) for cls in scheduler.__mro__}
    kind = next(kind for kind, stock in STOCK_SCHEDULERS.items() if stock in ancestors)
    return import_path(scheduler), kind
