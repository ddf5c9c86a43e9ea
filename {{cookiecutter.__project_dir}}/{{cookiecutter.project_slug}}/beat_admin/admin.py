from datetime import datetime

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django_celery_beat.admin import PeriodicTaskAdmin as StockPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from .. import timetable

admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(StockPeriodicTaskAdmin):
    """django-celery-beat's admin, with each task's next run beside its last."""

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        # A method rather than list_display: mypy types django-celery-beat's
        # own list_display as exactly seven names.
        return ("name", "enabled", "scheduler", "last_run_at", "next_run", "one_off")

    @admin.display(description="next run")
    def next_run(self, task: PeriodicTask) -> datetime | str:
        if not task.enabled:
            return "disabled"
        return timetable.next_run(task.schedule, timezone.now(), task.last_run_at)
