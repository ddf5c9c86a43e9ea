"""django-celery-beat's admin, as this project shows it: a Django app of its own.

Installed after ``django_celery_beat`` (``scheduler_settings.DJANGO_APPS``),
so that its admin can replace the one django-celery-beat registers.
"""
