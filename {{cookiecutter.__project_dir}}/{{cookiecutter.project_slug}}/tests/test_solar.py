"""The solar entry: it follows the sun, and says so in words."""

from datetime import UTC, datetime, timedelta

import time_machine

from ..timetable import describe, next_run
from .support import schedule_of


def test_sunrise_entry_follows_the_sun():
    midsummer = datetime(2026, 6, 21, 0, 0, tzinfo=UTC)
    midwinter = datetime(2026, 12, 21, 0, 0, tzinfo=UTC)
    schedule = schedule_of("refresh-records-at-sunrise")

    with time_machine.travel(midsummer, tick=False):
        summer_sunrise = next_run(schedule, midsummer).astimezone(UTC)
    with time_machine.travel(midwinter, tick=False):
        winter_sunrise = next_run(schedule, midwinter).astimezone(UTC)

    # London: about 03:43 UTC in June and 08:04 UTC in December.
    assert abs(summer_sunrise - datetime(2026, 6, 21, 3, 43, tzinfo=UTC)) < timedelta(minutes=5)
    assert abs(winter_sunrise - datetime(2026, 12, 21, 8, 4, tzinfo=UTC)) < timedelta(minutes=5)


def test_describes_the_sunrise_in_words():
    assert describe(schedule_of("refresh-records-at-sunrise")).startswith(
        "At sunrise at 51.5074, -0.1278"
    )
