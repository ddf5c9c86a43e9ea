"""Reports about what the project's tasks did, stored and e-mailed."""

import json
from datetime import date
from typing import TypedDict

from celery.utils.log import get_task_logger
from django.conf import settings as django_settings
from django.core.mail import send_mail

from .. import activity
from ..celery_app import app
from ..models import WeeklyReport

logger = get_task_logger(__name__)


class ReportSummary(TypedDict):
    week_start: str
    runs: int
    failures: int


@app.task(acks_late=True, reject_on_worker_lost=True)
def generate_weekly_report(day: str | None = None) -> ReportSummary:
    """Sum last week's task outcomes per task, store the report and e-mail it.

    ``day`` (an ISO date, default today) picks the week after the one
    reported. Running it again for the same week updates the same report.
    The e-mail goes to REPORT_RECIPIENTS through Django's e-mail backend.
    """
    monday, sunday = activity.previous_week(date.fromisoformat(day) if day else activity.today())
    tasks = activity.outcomes_in_week(monday)
    report, _ = WeeklyReport.objects.update_or_create(
        week_start=monday,
        defaults={
            "tasks": tasks,
            "runs": sum(sum(states.values()) for states in tasks.values()),
            "failures": sum(states.get("FAILURE", 0) for states in tasks.values()),
        },
    )
    logger.info("Stored the %s: %d runs, %d failures", report, report.runs, report.failures)
    if django_settings.REPORT_RECIPIENTS:
        send_mail(
            subject=f"Weekly report: {monday} to {sunday}",
            message=(
                f"{report.runs} task runs, {report.failures} failed.\n\n"
                + json.dumps(tasks, indent=2, sort_keys=True)
            ),
            from_email=None,  # DEFAULT_FROM_EMAIL
            recipient_list=django_settings.REPORT_RECIPIENTS,
        )
    return {"week_start": monday.isoformat(), "runs": report.runs, "failures": report.failures}
