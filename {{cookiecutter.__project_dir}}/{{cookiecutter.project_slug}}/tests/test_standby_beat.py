"""A second beat is a standby, not a duplicate; the lock's holder alone sends.

A standby takes over when the leader stops or freezes, and stops at once
when told to. Takeovers after ``kill -9``, and what they send: test_takeover.
"""

import logging
import os
import signal
from datetime import timedelta

import pytest
from celery.beat import Scheduler

from ..beat_leader import (
    LEADER_LOCK_KEY,
    LEADER_LOCK_TTL_SECONDS,
    LEADER_TERM_KEY,
    LeaderOnlyScheduler,
    LostLeadership,
    NeverBecameLeader,
)
from ..beat_schedule import BEAT_SCHEDULE
from ..celery_app import app
from ..redis_client import HEARTBEAT_KEY
from .scheduler_support import one_second_heartbeat
from .support import (
    LEADS,
    WAITS_AS_STANDBY,
    another_beat_takes_the_lock,
    heartbeats_sent,
    wait_for,
)


def test_a_leader_frozen_past_its_lock_stops_sending_when_it_wakes(redis, start_beat, tmp_path):
    environment = {**one_second_heartbeat(), "STATE_DIR": str(tmp_path / "state")}
    leader = start_beat(**environment)
    wait_for(lambda: LEADS in leader.log(), 30, leader.log)
    standby = start_beat(**environment)
    wait_for(lambda: WAITS_AS_STANDBY in standby.log(), 30, standby.log)

    os.killpg(leader.process.pid, signal.SIGSTOP)
    wait_for(lambda: LEADS in standby.log(), 20, standby.log)
    wait_for(lambda: heartbeats_sent(standby), 10, standby.log)
    # Stopped, the standby sends nothing more: a heartbeat published from
    # now on, which writes sent_at as it goes out, was the leader's. (Beat
    # logs "Sending due task" a moment before its last check of the lock,
    # so its log cannot tell; nor can a worker's runs, which a loaded
    # machine may run a second late.)
    assert standby.exit_code_on(signal.SIGTERM) == 0
    sent_before_waking = redis.hget(HEARTBEAT_KEY, "sent_at")
    os.killpg(leader.process.pid, signal.SIGCONT)

    wait_for(lambda: leader.process.poll() is not None, 20, leader.log)
    assert "This beat lost the leader lock" in leader.log()
    assert redis.hget(HEARTBEAT_KEY, "sent_at") == sent_before_waking


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_standby_stops_at_once_when_told_to(redis, start_beat, tmp_path, signum):
    leader = start_beat(STATE_DIR=str(tmp_path / "leader"))
    wait_for(lambda: LEADS in leader.log(), 30, leader.log)
    standby = start_beat(STATE_DIR=str(tmp_path / "standby"))
    wait_for(lambda: WAITS_AS_STANDBY in standby.log(), 30, standby.log)

    assert standby.exit_code_on(signum) == 0
    assert leader.process.poll() is None


def test_a_leader_stopped_cleanly_hands_over_to_the_standby_at_once(redis, start_beat, tmp_path):
    leader = start_beat(STATE_DIR=str(tmp_path / "leader"))
    wait_for(lambda: LEADS in leader.log(), 30, leader.log)
    standby = start_beat(STATE_DIR=str(tmp_path / "standby"))
    wait_for(lambda: WAITS_AS_STANDBY in standby.log(), 30, standby.log)

    assert leader.exit_code_on(signal.SIGTERM) == 0
    # The leader released its lock: the standby does not wait for it to expire.
    wait_for(lambda: LEADS in standby.log(), LEADER_LOCK_TTL_SECONDS / 2, standby.log)


class LeaderScheduler(LeaderOnlyScheduler, Scheduler):
    """Celery's in-memory scheduler behind the leader lock, its schedule the heartbeat alone.

    It counts the times it saved its state.
    """

    saved = 0

    def setup_leader_schedule(self):
        self.update_from_dict({"heartbeat": BEAT_SCHEDULE["heartbeat"]})

    def sync(self):
        self.saved += 1
        super().sync()


class SchedulerSkippingTheLock(LeaderScheduler):
    """A scheduler that overrides setup_schedule, and so never takes the leader lock."""

    def setup_schedule(self):
        self.setup_leader_schedule()


def tick_with_every_entry_overdue(scheduler):
    for entry in scheduler.schedule.values():
        entry.last_run_at = app.now() - timedelta(days=1)
    scheduler.tick()


def test_a_scheduler_that_took_the_lock_sends(redis):
    # As beat does at start: the task modules, the heartbeat's among them,
    # whose handler records each heartbeat sent.
    app.loader.import_default_modules()
    scheduler = LeaderScheduler(app=app)
    try:
        tick_with_every_entry_overdue(scheduler)
    finally:
        scheduler.close()

    assert redis.hget(HEARTBEAT_KEY, "sent_at")


def test_a_scheduler_that_never_took_the_lock_sends_nothing_and_says_so(redis, caplog):
    scheduler = SchedulerSkippingTheLock(app=app)

    with caplog.at_level(logging.ERROR), pytest.raises(NeverBecameLeader):
        tick_with_every_entry_overdue(scheduler)

    assert not redis.hget(HEARTBEAT_KEY, "sent_at")
    assert "never took the leader lock" in caplog.text


def test_a_leader_that_lost_the_lock_stops_without_saving_the_schedule_state(redis):
    scheduler = LeaderScheduler(app=app)
    scheduler.tick()
    saved_while_leading = scheduler.saved
    another_beat_takes_the_lock(redis)

    with pytest.raises(LostLeadership):
        scheduler.tick()
    scheduler.close()

    assert scheduler.saved == saved_while_leading


def test_a_leader_saves_its_state_when_it_stops(redis):
    scheduler = LeaderScheduler(app=app)
    scheduler.tick()
    saved_while_leading = scheduler.saved

    scheduler.close()

    assert scheduler.saved == saved_while_leading + 1


def test_a_leader_that_lost_the_lock_since_its_tick_does_not_send(redis):
    # The beat froze after its tick confirmed the lock, and a standby took over.
    scheduler = LeaderScheduler(app=app)
    scheduler.tick()  # it sends the heartbeat, due when a beat first starts
    sent_at = redis.hget(HEARTBEAT_KEY, "sent_at")
    entry = scheduler.schedule["heartbeat"]
    entry.last_run_at = app.now() - timedelta(days=1)
    another_beat_takes_the_lock(redis)

    with pytest.raises(LostLeadership):
        scheduler.apply_entry(entry)
    scheduler.close()

    assert redis.hget(HEARTBEAT_KEY, "sent_at") == sent_at


def test_setting_the_schedule_up_again_keeps_the_lock_it_holds(redis):
    # Upstream test suites call setup_schedule twice: a second lock would
    # wait for this one to expire, then start a term of its own.
    scheduler = LeaderScheduler(app=app)
    holder, term = redis.get(LEADER_LOCK_KEY), redis.get(LEADER_TERM_KEY)

    scheduler.setup_schedule()

    assert (redis.get(LEADER_LOCK_KEY), redis.get(LEADER_TERM_KEY)) == (holder, term)
    scheduler.close()
