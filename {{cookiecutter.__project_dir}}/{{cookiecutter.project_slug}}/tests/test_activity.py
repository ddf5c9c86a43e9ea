"""Task outcomes are counted per day by the worker, and summed per week for the report."""

from datetime import date

from .. import activity
from ..tasks.cache import cleanup_expired_cache
from .support import wait_for

MONDAY = date(2026, 6, 8)


def test_previous_week_is_the_full_week_before():
    assert activity.previous_week(MONDAY) == (date(2026, 6, 1), date(2026, 6, 7))
    assert activity.previous_week(date(2026, 6, 14)) == (date(2026, 6, 1), date(2026, 6, 7))


def test_a_week_sums_only_its_own_seven_days(redis):
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 1))
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 6, 7))
    activity.count_outcome("app.sync", "FAILURE", date(2026, 6, 3))
    activity.count_outcome("app.cleanup", "SUCCESS", date(2026, 6, 5))
    activity.count_outcome("app.sync", "SUCCESS", date(2026, 5, 31))  # the week before
    activity.count_outcome("app.sync", "SUCCESS", MONDAY)  # the week after

    assert activity.outcomes_in_week(date(2026, 6, 1)) == {
        "app.sync": {"SUCCESS": 2, "FAILURE": 1},
        "app.cleanup": {"SUCCESS": 1},
    }


def test_the_worker_counts_every_task_it_runs(redis, worker):
    cleanup_expired_cache.delay(dry_run=True).get(timeout=30)

    # The count is written just after the result, so it may trail get() a little.
    wait_for(
        lambda: activity.outcomes_on(activity.today()).get(cleanup_expired_cache.name),
        10,
        "the worker recorded no outcome",
    )
    assert activity.outcomes_on(activity.today())[cleanup_expired_cache.name] == {"SUCCESS": 1}
