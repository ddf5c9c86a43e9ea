from django.db import models
from django_celery_beat.models import PeriodicTask


class EntryMonitoring(models.Model):
    """How the run ledger judges one periodic task, where the defaults do not suit it.

    Blank fields take the entry's MONITORING in beat_schedule.py, then the
    defaults: a grace of the task's expiry plus TASK_TIME_LIMIT, and
    JOBS_FAILING_AFTER failed runs in a row.
    """

    periodic_task = models.OneToOneField(
        PeriodicTask, on_delete=models.CASCADE, primary_key=True, related_name="monitoring"
    )
    grace_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How long after a due time a run may still succeed before the task is overdue.",
    )
    failing_after = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How many failed runs in a row make the task failing.",
    )

    class Meta:
        verbose_name = "monitoring"
        verbose_name_plural = "monitoring"

    def __str__(self) -> str:
        return f"monitoring of {self.periodic_task.name}"
