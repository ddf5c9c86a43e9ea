"""The project's tasks, one module per thing they maintain.

Each module is listed in ``celery_app.TASK_MODULES``; each periodic run is an
entry in ``beat_schedule.BEAT_SCHEDULE``.
"""
