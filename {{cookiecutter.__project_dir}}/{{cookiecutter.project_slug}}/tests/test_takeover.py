"""A beat that takes over continues the schedule: no run sent twice, none skipped.

Real beats and a real worker; each leader is killed with SIGKILL right after
it sent (moments after, for a crontab run). In the second takeover the beat
that takes over has a state of its own, stale from an earlier turn as
leader (where the scheduler keeps state). The heartbeat is due every 10 s,
longer than a takeover (the dead leader's lock lives 5 s here): a new
leader that sent again what the dead one had just sent would show as two
sends closer than that.
"""

import itertools
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .. import ledger
from ..beat_leader import STANDBY_POLL_SECONDS
from .scheduler_support import beat_app_schedule, set_last_run
from .support import (
    BEAT_APP,
    LEADS,
    WAITS_AS_STANDBY,
    ProjectProcess,
    send_times,
    wait_for,
)

EVERY_SECONDS = 10
# A shorter lock than the default 10 s, for a faster test; still twice the
# leader's renewal interval, so a busy machine does not cost a leader its lock.
LEADER_LOCK_TTL = "5"
pytestmark = pytest.mark.timeout(180)


def sends(beat: ProjectProcess, name: str) -> int:
    return len(send_times([beat], name))


def runs_sent_by_beat(name: str) -> list[dict[str, Any]]:
    """The runs of entry ``name`` that a beat of this test sent, as the run ledger has them.

    Not every run the ledger has: the session's worker may finish a run an
    earlier test sent just after this test emptied Redis, and the ledger
    then holds its end without its sending.
    """
    return [run for run in ledger.history(name) if run.get("sent_by") == "beat"]


def succeeded(runs: list[dict[str, Any]]) -> int:
    return sum(run.get("outcome") == "succeeded" for run in runs)


def kill_once_it_sent(
    beat: ProjectProcess, beats: list[ProjectProcess], name: str, sent_before: int, timeout: float
) -> datetime:
    """SIGKILL ``beat`` once it sent a run of ``name`` beyond its first ``sent_before``.

    And only once a worker ran every run of ``name`` that ``beats`` logged
    as sent. Beat logs a send a moment before it records and publishes
    it; a kill in that moment loses the run (or has the next leader send
    it again), as the send rule allows, which is not what these tests are
    about. So the beat is paused (SIGSTOP) while the logs and the ledger
    are compared: paused with each logged run done, none is in that moment.

    Returns when the kill came, on the clock of the beats' log stamps.
    """
    deadline = time.monotonic() + timeout
    while True:
        os.killpg(beat.process.pid, signal.SIGSTOP)
        logged = len(send_times(beats, name))
        if sends(beat, name) > sent_before and succeeded(runs_sent_by_beat(name)) == logged:
            os.killpg(beat.process.pid, signal.SIGKILL)
            return datetime.now()
        os.killpg(beat.process.pid, signal.SIGCONT)
        if time.monotonic() > deadline:
            pytest.fail(f"{logged} sends logged, {runs_sent_by_beat(name)} run\n{beat.log()}")
        time.sleep(0.1)


def test_two_takeovers_by_kill_send_each_interval_run_once(redis, worker, start_beat, tmp_path):
    environment = {**beat_app_schedule(EVERY_SECONDS), "BEAT_LEADER_LOCK_TTL": LEADER_LOCK_TTL}

    def beat(folder):
        return start_beat(app=BEAT_APP, STATE_DIR=str(tmp_path / folder), **environment)

    first = beat("first")
    wait_for(lambda: LEADS in first.log(), 30, first.log)
    second = beat("second")
    wait_for(lambda: WAITS_AS_STANDBY in second.log(), 30, second.log)

    # Takeover 1: the standby, its state new, continues from the dead leader's run.
    kills = [kill_once_it_sent(first, [first], "heartbeat", sends(first, "heartbeat"), 30)]
    wait_for(lambda: LEADS in second.log(), 30, second.log)
    # The first comes back as a standby, its state file as it left it.
    restarted = beat("first")
    wait_for(lambda: WAITS_AS_STANDBY in restarted.log(), 30, restarted.log)

    # Takeover 2: the restarted beat, its state stale, continues from the second's run.
    beats = [first, second, restarted]
    sent_before = sends(second, "heartbeat")
    kills.append(kill_once_it_sent(second, beats, "heartbeat", sent_before, EVERY_SECONDS + 10))
    wait_for(lambda: LEADS in restarted.log(), 30, restarted.log)
    # The last leader stops too, once it sent, so that what was sent is all there is.
    kills.append(kill_once_it_sent(restarted, beats, "heartbeat", 0, EVERY_SECONDS + 10))

    assert all(sends(beat, "heartbeat") for beat in beats)  # each led, and sent
    # None skipped: each run went out when due or, where its leader died
    # before then, once that leader's lock expired and a standby looked; give
    # or take half an interval. (On a busy machine a kill can come well after
    # the send it waits for, and the run due meanwhile waits for the takeover.)
    takeover = timedelta(seconds=float(LEADER_LOCK_TTL) + STANDBY_POLL_SECONDS)
    sent_at = send_times(beats, "heartbeat")
    for earlier, later in itertools.pairwise(sent_at):
        gap = (later - earlier).total_seconds()
        assert gap >= 0.75 * EVERY_SECONDS, sent_at  # none sent twice
        killed_between = [kill for kill in kills if earlier < kill < later]
        due = max(
            [earlier + timedelta(seconds=EVERY_SECONDS), *(k + takeover for k in killed_between)]
        )
        assert (later - due).total_seconds() < 0.5 * EVERY_SECONDS, (sent_at, kills)
    # And a worker ran each run sent, once: a run each, each due at another time.
    runs = runs_sent_by_beat("heartbeat")
    assert succeeded(runs) == len(runs) == len(sent_at), (sent_at, runs)
    assert len({run["due_at"] for run in runs}) == len(runs), runs


def test_a_crontab_run_sent_by_a_dead_leader_is_not_sent_again(redis, worker, start_beat, tmp_path):
    environment = {**beat_app_schedule(EVERY_SECONDS), "BEAT_LEADER_LOCK_TTL": LEADER_LOCK_TTL}

    def beat(folder):
        return start_beat(app=BEAT_APP, STATE_DIR=str(tmp_path / folder), **environment)

    # Early in a minute, so that the takeover below is over before the next
    # one: a beat that sent this minute's run again would send it in this
    # minute.
    wait_for(lambda: datetime.now().second < 30, 31, "no minute started")
    # Beat was down at the entry's last two times: the leader sends this
    # minute's run at once, as a missed run. (django-celery-beat saves what
    # a beat's first tick sent at once anyway: on the database scheduler it
    # is the first test that needs each run written down as it is sent.)
    set_last_run("every-minute", datetime.now(UTC) - timedelta(minutes=2))
    leader = beat("leader")
    wait_for(lambda: LEADS in leader.log(), 30, leader.log)
    standby = beat("standby")
    wait_for(lambda: WAITS_AS_STANDBY in standby.log(), 30, standby.log)

    # The leader has sent the run of this minute; it dies.
    kill_once_it_sent(leader, [leader], "every-minute", 0, 30)
    wait_for(lambda: LEADS in standby.log(), 30, standby.log)
    # The new leader's first ticks are where it would send it again.
    wait_for(lambda: sends(standby, "heartbeat"), EVERY_SECONDS + 10, standby.log)

    sent = send_times([leader, standby], "every-minute")
    assert len({moment.replace(second=0, microsecond=0) for moment in sent}) == len(sent), sent
