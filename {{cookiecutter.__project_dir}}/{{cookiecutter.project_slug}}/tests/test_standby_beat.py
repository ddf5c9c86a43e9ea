"""A second beat is a standby, not a duplicate, and takes over when the leader dies."""

import logging
import os
import signal
import time
from datetime import timedelta

import pytest
from celery.beat import Scheduler

from ..beat_leader import LeaderOnlyScheduler, LostLeadership, NeverBecameLeader
from ..beat_schedule import BEAT_SCHEDULE
from ..celery_app import app
from ..redis_client import HEARTBEAT_KEY
from ..tasks.heartbeat import heartbeat
from .scheduler_support import one_second_heartbeat
from .support import another_beat_takes_the_lock, heartbeats_sent, successful_runs, wait_for

LEADER = "This beat is the leader"
STANDBY = "this beat waits as a standby"


def test_one_beat_sends_and_a_standby_takes_over_when_it_dies(redis, worker, start_beat, tmp_path):
    # The counted entry is a heartbeat every second. The beats share one
    # state folder, as replicas sharing a volume would.
    environment = {**one_second_heartbeat(), "STATE_DIR": str(tmp_path / "state")}
    leader = start_beat(**environment)
    wait_for(lambda: LEADER in leader.log(), 30, leader.log)
    standby = start_beat(**environment)
    wait_for(lambda: STANDBY in standby.log(), 30, standby.log)

    before = successful_runs(heartbeat)
    time.sleep(8)
    ran = successful_runs(heartbeat) - before

    # About one heartbeat a second, from the leader alone; two beats would double it.
    assert 5 <= ran <= 11, f"{ran} heartbeats in 8 s"
    assert heartbeats_sent(standby) == 0

    os.killpg(leader.process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: heartbeats_sent(standby), 20, standby.log)
    assert time.monotonic() - killed_at < 15
    assert LEADER in standby.log()

    # The old leader comes back as a standby.
    restarted = start_beat(**environment)
    wait_for(lambda: STANDBY in restarted.log(), 30, restarted.log)
    time.sleep(3)
    assert heartbeats_sent(restarted) == 0
    assert restarted.process.poll() is None


def test_a_leader_frozen_past_its_lock_stops_sending_when_it_wakes(
    redis, worker, start_beat, tmp_path
):
    environment = {**one_second_heartbeat(), "STATE_DIR": str(tmp_path / "state")}
    leader = start_beat(**environment)
    wait_for(lambda: LEADER in leader.log(), 30, leader.log)
    standby = start_beat(**environment)
    wait_for(lambda: STANDBY in standby.log(), 30, standby.log)

    os.killpg(leader.process.pid, signal.SIGSTOP)
    wait_for(lambda: LEADER in standby.log(), 20, standby.log)
    sent_before_waking = heartbeats_sent(leader)
    os.killpg(leader.process.pid, signal.SIGCONT)

    wait_for(lambda: leader.process.poll() is not None, 20, leader.log)
    assert "This beat lost the leader lock" in leader.log()
    assert heartbeats_sent(leader) == sent_before_waking
    assert standby.process.poll() is None


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
