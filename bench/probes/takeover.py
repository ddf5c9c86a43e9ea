"""How soon a standby beat sends after the leader is killed or stopped, per scheduler.

    .venv/bin/python takeover.py SLUG

Run from the project's root with its interpreter; prints one JSON object.
Two real beats, each on a state folder of its own, against a private
redis-server (and, in a Django project, a fresh SQLite database), with the
heartbeat due every second and the leader lock at its default life
(BEAT_LEADER_LOCK_TTL, 10 s). The leader is killed with SIGKILL, TRIALS
times, then stopped with SIGTERM, TRIALS times; each figure runs from the
signal to the first "Sending due task" line of the beat that took over, by
its own log stamp (the probe's clock and the beats' are the same). After
each trial the beat that went is started again, as the standby for the
next one, as its process manager would.

The reference, in the same run: one beat alone, killed (or stopped) and at
once started again, which is what a process manager does without a
standby: from the signal to the new process's first send. No worker runs:
what is timed is beat.
"""

import importlib
import json
import signal
import statistics
import sys
import time

import project_under_test
from project_under_test import alive, fresh_case, log_times, scheduler_support

support = project_under_test.support()  # the project's own test helpers

TRIALS = 3
SENDING = "Sending due task"
SIGNALS = {"killed": signal.SIGKILL, "stopped": signal.SIGTERM}


class Beats:
    """The beats of one case, each on a state folder of its own, stopped at the end."""

    def __init__(self, folder, environment):
        self.folder, self.environment = folder, environment
        self.started = []

    def start(self, name):
        """A beat on state folder ``name``; its log is numbered, a restart gets a new one."""
        log_path = self.folder / f"beat-{name}-{len(self.started)}.log"
        environment = {**self.environment, "STATE_DIR": str(self.folder / name)}
        beat = support.CeleryProcess(["beat"], log_path, environment)
        self.started.append(beat)
        return beat

    def stop_all(self):
        for beat in self.started:
            beat.stop()


def wait_until_logged(beat, text):
    support.wait_for(lambda: alive(beat) and text in beat.log(), 60, beat.log)


def seconds_to_first_send(beat, since):
    """From ``since`` to ``beat``'s first send after it, by the beat's own log stamp."""

    def first_send():
        alive(beat)
        return next((sent for sent in log_times(beat.log(), SENDING) if sent >= since), None)

    return support.wait_for(first_send, 60, beat.log) - since


def signal_leader(leader, signum):
    """Send ``signum`` to the leader, once it has sent; the moment it went out."""
    wait_until_logged(leader, SENDING)
    signalled_at = time.time()
    leader.process.send_signal(signum)
    leader.process.wait(timeout=30)
    return signalled_at


def takeover_seconds(folder, environment, signum):
    """TRIALS takeovers by a standby, the leader going by ``signum`` each time."""
    beats = Beats(folder, fresh_case(folder, environment))
    names = ["a", "b"]  # the leader's state folder, then the standby's
    try:
        leader = beats.start(names[0])
        wait_until_logged(leader, support.LEADS)
        standby = beats.start(names[1])
        wait_until_logged(standby, support.WAITS_AS_STANDBY)
        seconds = []
        for _ in range(TRIALS):
            signalled_at = signal_leader(leader, signum)
            seconds.append(seconds_to_first_send(standby, signalled_at))
            names.reverse()
            leader, standby = standby, beats.start(names[1])
            wait_until_logged(standby, support.WAITS_AS_STANDBY)
    finally:
        beats.stop_all()
    return seconds


def restart_seconds(folder, environment, signum):
    """TRIALS times: the lone beat goes by ``signum`` and is started again at once."""
    beats = Beats(folder, fresh_case(folder, environment))
    try:
        beat = beats.start("alone")
        wait_until_logged(beat, support.LEADS)
        seconds = []
        for _ in range(TRIALS):
            signalled_at = signal_leader(beat, signum)
            beat = beats.start("alone")
            seconds.append(seconds_to_first_send(beat, signalled_at))
    finally:
        beats.stop_all()
    return seconds


def summary(seconds):
    return {
        "trials": len(seconds),
        "median_s": round(statistics.median(seconds), 2),
        "max_s": round(max(seconds), 2),
    }


def measure(workdir):
    scheduler_support().store_code_schedule()
    environment = scheduler_support().one_second_heartbeat()
    return {
        case: {
            "standby": summary(takeover_seconds(workdir / f"standby-{case}", environment, signum)),
            "restart": summary(restart_seconds(workdir / f"restart-{case}", environment, signum)),
        }
        for case, signum in SIGNALS.items()
    }


def main(slug):
    with project_under_test.private_services("bench-takeover-") as workdir:
        beat_leader = importlib.import_module(f"{slug}.beat_leader")
        figures = {"lock_ttl_s": beat_leader.LEADER_LOCK_TTL_SECONDS, **measure(workdir)}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
