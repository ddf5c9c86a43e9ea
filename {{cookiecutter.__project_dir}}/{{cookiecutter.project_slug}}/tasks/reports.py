"""Reports about what the project's tasks did."""

import json
from datetime import date
from typing import TypedDict

from celery.utils.log import get_task_logger

from .. import activity
from ..celery_app import app
from ..redis_client import get_redis, key

logger = get_task_logger(__name__)


class ReportSummary(TypedDict):
    key: str
    runs: int
    failures: int


def weekly_report_key(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return key("reports", "weekly", f"{year}-W{week:02d}")


@app.task(acks_late=True, reject_on_worker_lost=True)
def generate_weekly_report(day: str | None = None) -> ReportSummary:
    """Sum last week's task outcomes per task and store the report in Redis.

    ``day`` (an ISO date, default today) picks the week after the one
    reported. Running it twice for the same week overwrites the same report.
    """
    monday, sunday = activity.previous_week(date.fromisoformat(day) if day else activity.today())
    logger.info("Building the weekly report for %s to %s", monday, sunday)
    tasks = activity.outcomes_in_week(monday)
    runs = sum(sum(states.values()) for states in tasks.values())
    failures = sum(states.get("FAILURE", 0) for states in tasks.values())
    report = {
        "from": monday.isoformat(),
        "to": sunday.isoformat(),
        "runs": runs,
        "failures": failures,
        "tasks": tasks,
    }
    report_key = weekly_report_key(monday)
    get_redis().set(report_key, json.dumps(report, sort_keys=True))
    logger.info("Stored %s: %d runs, %d failures", report_key, report["runs"], report["failures"])
    return {"key": report_key, "runs": runs, "failures": failures}
