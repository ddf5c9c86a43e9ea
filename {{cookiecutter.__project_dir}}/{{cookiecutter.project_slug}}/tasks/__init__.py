"""The project's tasks, one module per thing they maintain.

A worker imports every module here (``celery_config.TASK_MODULES``); each
periodic run is an entry in ``beat_schedule.BEAT_SCHEDULE``.
"""
