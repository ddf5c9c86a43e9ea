"""A second beat is a standby, not a duplicate, and takes over when the leader dies."""

import os
import signal
import time

from conftest import heartbeats_sent, one_second_heartbeat, successful_runs, wait_for

from {{ cookiecutter.project_slug }}.tasks.heartbeat import heartbeat

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
