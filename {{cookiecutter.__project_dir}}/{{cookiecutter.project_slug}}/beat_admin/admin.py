"""django-celery-beat's admin, as this project shows it: a Django app of its own.

Installed after ``django_celery_beat`` (``scheduler_settings.DJANGO_APPS``),
so that its admin can replace the one django-celery-beat registers.
"""

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django_celery_beat.admin import PeriodicTaskAdmin as StockPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask
from redis.exceptions import RedisError

from .. import ledger, timetable
from ..job_status import judge
from ..jobs import Job
from ..schedule_store import as_entry
from .models import EntryMonitoring

admin.site.unregister(PeriodicTask)


class EntryMonitoringInline(admin.StackedInline[EntryMonitoring, PeriodicTask]):
    model = EntryMonitoring
    can_delete = False
    verbose_name_plural = "monitoring (blank: the defaults)"


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(StockPeriodicTaskAdmin):
    """django-celery-beat's admin, with each task's next run, and the run ledger's view of it."""

    inlines = (EntryMonitoringInline,)

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        # A method rather than list_display: mypy types django-celery-beat's
        # own list_display as exactly seven names.
        return (
            "name",
            "enabled",
            "scheduler",
            "status",
            "last_outcome",
            "last_duration",
            "last_run_at",
            "next_run",
            "one_off",
        )

    @admin.display(description="next run")
    def next_run(self, task: PeriodicTask) -> datetime | str:
        if not task.enabled:
            return "disabled"
        return timetable.next_run(task.schedule, timezone.now(), task.last_run_at)

    def _job(self, task: PeriodicTask) -> Job | None:
        entry = as_entry(task)
        try:
            summary = ledger.summaries([task.name])[task.name]
        except RedisError:
            return None
        return Job(entry, summary, judge(entry, summary, timezone.now()))

    @admin.display(description="status")
    def status(self, task: PeriodicTask) -> str:
        job = self._job(task)
        return "unknown (no Redis)" if job is None else str(job.state.status)

    @admin.display(description="last outcome")
    def last_outcome(self, task: PeriodicTask) -> str:
        job = self._job(task)
        if job is None or job.summary.last_outcome is None:
            return "-"
        error = f": {job.summary.last_error}" if job.summary.last_error else ""
        return f"{job.summary.last_outcome}{error}"

    @admin.display(description="duration")
    def last_duration(self, task: PeriodicTask) -> str:
        job = self._job(task)
        if job is None or job.summary.last_duration is None:
            return "-"
        return f"{job.summary.last_duration:.3g} s"

    def save_model(
        self, request: HttpRequest, obj: PeriodicTask, form: ModelForm[PeriodicTask], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if obj.enabled and (not change or "enabled" in form.changed_data):
            # Added or resumed: not overdue for the time it was not running.
            ledger.watch([obj.name], restart=True)

    @admin.action(description="Enable selected tasks")
    def enable_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> Any:
        resumed = list(queryset.filter(enabled=False).values_list("name", flat=True))
        answer = super().enable_tasks(request, queryset)
        ledger.watch(resumed, restart=True)
        return answer

    def _toggle_tasks_activity(self, queryset: QuerySet[PeriodicTask]) -> Any:
        resumed = list(queryset.filter(enabled=False).values_list("name", flat=True))
        toggled = super()._toggle_tasks_activity(queryset)
        ledger.watch(resumed, restart=True)
        return toggled
