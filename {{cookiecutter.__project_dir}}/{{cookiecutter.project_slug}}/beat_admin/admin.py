"""django-celery-beat's admin, as this project shows it: a Django app of its own.

Installed after ``django_celery_beat`` (``scheduler_settings.DJANGO_APPS``),
so that its admin can replace the one django-celery-beat registers.
"""

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django_celery_beat.admin import PeriodicTaskAdmin as StockPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask
from redis.exceptions import RedisError

from .. import ledger, timetable
from ..jobs import Job, jobs_of
from ..schedule_store import as_entry
from .models import EntryMonitoring

admin.site.unregister(PeriodicTask)

# Where a row's Job is kept, on the row's own PeriodicTask: three columns
# read it, and the rows of a page are read from the ledger together.
LEDGER_JOB = "_ledger_job"


def remember_jobs(tasks: list[PeriodicTask]) -> None:
    """Each task's Job (None without Redis), in two round trips to Redis for them all."""
    try:
        jobs: list[Job | None] = list(jobs_of([as_entry(task) for task in tasks], timezone.now()))
    except RedisError:
        jobs = [None] * len(tasks)
    for task, job in zip(tasks, jobs, strict=True):
        vars(task)[LEDGER_JOB] = job


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
        return timetable.next_run(task.schedule, timezone.now(), as_entry(task).next_run_after)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PeriodicTask]:
        # Each row's monitoring in the same query, not one query per row.
        rows: QuerySet[PeriodicTask] = super().get_queryset(request)
        return rows.select_related("monitoring")

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        remember_jobs(list(changelist.result_list))
        return changelist

    def _job(self, task: PeriodicTask) -> Job | None:
        if LEDGER_JOB not in vars(task):
            remember_jobs([task])
        job: Job | None = vars(task)[LEDGER_JOB]
        return job

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
