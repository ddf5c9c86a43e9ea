"""RedBeat cannot store a solar schedule, so this project has no solar entry."""

from celery.schedules import solar

from ..beat_schedule import BEAT_SCHEDULE
from .support import schedule_of


def test_no_solar_entry_for_redbeat_which_cannot_store_one():
    assert not [name for name in BEAT_SCHEDULE if isinstance(schedule_of(name), solar)]
