"""The weekly report: last week's task outcomes, stored in Redis."""

import json
from datetime import date

from .. import activity
from ..redis_client import key
from ..tasks.reports import generate_weekly_report

MONDAY = date(2026, 6, 8)


def test_stores_last_weeks_totals(redis):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 1))
    activity.count_outcome("app.sync", "FAILURE", date(2026, 6, 3))
    activity.count_outcome("app.sync", "SUCCESS", MONDAY)  # this week: not in the report

    summary = generate_weekly_report(day=MONDAY.isoformat())

    assert summary == {"key": key("reports", "weekly", "2026-W23"), "runs": 2, "failures": 1}
    report = json.loads(redis.get(summary["key"]))
    assert list(report["tasks"]) == ["app.sync"]
    assert report["tasks"]["app.sync"] == {"SUCCESS": 1, "FAILURE": 1}
    assert (report["from"], report["to"]) == ("2026-06-01", "2026-06-07")


def test_running_the_report_again_gives_the_same_report(redis):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 2))
    first = generate_weekly_report(day=MONDAY.isoformat())
    stored = redis.get(first["key"])

    assert generate_weekly_report(day=MONDAY.isoformat()) == first
    assert redis.get(first["key"]) == stored


def test_a_worker_builds_the_report(redis, worker):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 2))

    summary = generate_weekly_report.delay(day=MONDAY.isoformat()).get(timeout=30)

    assert summary["runs"] == 1
    assert json.loads(redis.get(summary["key"]))["tasks"]["app.sync"] == {"SUCCESS": 1}
