"""The weekly report sums last week's task outcomes, recorded by the worker."""

import json
from datetime import date, timedelta

from {{ cookiecutter.project_slug }} import activity
from {{ cookiecutter.project_slug }}.redis_client import key
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

    assert summary == {"key": key("reports", "weekly", "2026-W23"), "runs": 4, "failures": 1}
    report = json.loads(redis.get(summary["key"]))
    assert report["tasks"] == {
        "app.sync": {"SUCCESS": 2, "FAILURE": 1},
        "app.cleanup": {"SUCCESS": 1},
    }
    assert (report["from"], report["to"]) == ("2026-06-01", "2026-06-07")


def test_running_the_report_again_gives_the_same_report(redis):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 2))
    first = generate_weekly_report(day=MONDAY.isoformat())
    stored = redis.get(first["key"])

    assert generate_weekly_report(day=MONDAY.isoformat()) == first
    assert redis.get(first["key"]) == stored


def test_the_worker_counts_every_task_it_runs(redis, worker):
    cleanup_expired_cache.delay(dry_run=True).get(timeout=30)

    week_later = activity.today() + timedelta(days=7)
    summary = generate_weekly_report.delay(day=week_later.isoformat()).get(timeout=30)

    report = json.loads(redis.get(summary["key"]))
    assert report["tasks"][cleanup_expired_cache.name] == {"SUCCESS": 1}
