"""The weekly report sums last week's task outcomes, stores them and e-mails them."""

from datetime import date, timedelta

from django.core import mail

from {{ cookiecutter.project_slug }} import activity
from {{ cookiecutter.project_slug }}.models import WeeklyReport
from {{ cookiecutter.project_slug }}.tasks.cache import cleanup_expired_cache
from {{ cookiecutter.project_slug }}.tasks.reports import generate_weekly_report, previous_week

MONDAY = date(2026, 6, 8)


def test_previous_week_is_the_full_week_before():
    assert previous_week(MONDAY) == (date(2026, 6, 1), date(2026, 6, 7))
    assert previous_week(date(2026, 6, 14)) == (date(2026, 6, 1), date(2026, 6, 7))


def test_report_counts_only_last_week(redis):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 1))
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 7))
    activity.count_outcome("app.sync", "FAILURE", date(2026, 6, 3))
    activity.count_outcome("app.cleanup", "SUCCESS", date(2026, 6, 5))
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 5, 31))  # the week before
    activity.count_outcome("app.sync", "SUCCESS", MONDAY)  # this week

    summary = generate_weekly_report(day=MONDAY.isoformat())

    assert summary == {"week_start": "2026-06-01", "runs": 4, "failures": 1}
    report = WeeklyReport.objects.get(week_start=date(2026, 6, 1))
    assert report.tasks == {
        "app.sync": {"SUCCESS": 2, "FAILURE": 1},
        "app.cleanup": {"SUCCESS": 1},
    }


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


def test_the_worker_counts_every_task_it_runs(redis, worker):
    cleanup_expired_cache.delay(dry_run=True).get(timeout=30)

    week_later = activity.today() + timedelta(days=7)
    generate_weekly_report.delay(day=week_later.isoformat()).get(timeout=30)

    report = WeeklyReport.objects.get()
    assert report.tasks[cleanup_expired_cache.name] == {"SUCCESS": 1}
