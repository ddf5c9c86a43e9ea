"""The weekly report: last week's task outcomes, stored as a model and e-mailed."""

from datetime import date

from django.core import mail

from .. import activity
from ..models import WeeklyReport
from ..tasks.reports import generate_weekly_report

MONDAY = date(2026, 6, 8)


def test_stores_last_weeks_totals(redis):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 1))
    activity.count_outcome("app.sync", "FAILURE", date(2026, 6, 3))
    activity.count_outcome("app.sync", "SUCCESS", MONDAY)  # this week: not in the report

    summary = generate_weekly_report(day=MONDAY.isoformat())

    assert summary == {"week_start": "2026-06-01", "runs": 2, "failures": 1}
    report = WeeklyReport.objects.get(week_start=date(2026, 6, 1))
    assert list(report.tasks) == ["app.sync"]
    assert report.tasks["app.sync"] == {"SUCCESS": 1, "FAILURE": 1}


def test_running_the_report_again_updates_the_same_report(redis):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 2))
    generate_weekly_report(day=MONDAY.isoformat())
    activity.count_outcome("app.sync", "FAILURE", date(2026, 6, 3))

    generate_weekly_report(day=MONDAY.isoformat())

    report = WeeklyReport.objects.get()
    assert (report.runs, report.failures) == (2, 1)


def test_report_is_mailed_to_the_recipients(redis, settings):
    settings.REPORT_RECIPIENTS = ["ops@example.com", "lead@example.com"]
    activity.count_outcome("app.sync", "FAILURE", date(2026, 6, 3))

    generate_weekly_report(day=MONDAY.isoformat())

    (message,) = mail.outbox
    assert message.to == ["ops@example.com", "lead@example.com"]
    assert message.subject == "Weekly report: 2026-06-01 to 2026-06-07"
    assert "1 task runs, 1 failed" in message.body


def test_report_is_only_stored_without_recipients(redis, settings):
    settings.REPORT_RECIPIENTS = []

    generate_weekly_report(day=MONDAY.isoformat())

    assert mail.outbox == []
    assert WeeklyReport.objects.count() == 1


def test_a_worker_builds_the_report_in_the_shared_database(redis, worker):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 2))

    summary = generate_weekly_report.delay(day=MONDAY.isoformat()).get(timeout=30)

    assert summary["runs"] == 1
    assert WeeklyReport.objects.get().tasks["app.sync"] == {"SUCCESS": 1}
