"""The file scheduler: its state file, a corrupted one, and listing without Redis."""

import shelve
from datetime import timedelta

import pytest

from ..beat_leader import LEADER_LOCK_KEY, LostLeadership
from ..celery_app import app
from ..schedule import main
from ..scheduler import StateDirScheduler
from .scheduler_support import one_second_heartbeat
from .support import (
    another_beat_takes_the_lock,
    free_port,
    heartbeats_sent,
    listed_entry,
    run_module,
    wait_for,
)


def heartbeat_last_run_is_listed(capsys: pytest.CaptureFixture[str]) -> bool:
    assert main(["list"]) == 0
    return "last run: never" not in listed_entry(capsys.readouterr().out, "heartbeat")


def test_beat_keeps_its_state_in_state_dir_and_records_each_run(
    redis, start_beat, tmp_path, capsys
):
    state_dir = tmp_path / "state"
    beat = start_beat(**one_second_heartbeat(), STATE_DIR=str(state_dir))
    wait_for(lambda: heartbeats_sent(beat), 30, beat.log)

    assert list(state_dir.glob("celerybeat-schedule*"))
    # The schedule command shows when beat last sent it. Beat logs a send
    # a moment before it records the run: the listing shows it moments later.
    wait_for(
        lambda: heartbeat_last_run_is_listed(capsys),
        5,
        "the schedule command still lists heartbeat as never run",
    )


def test_a_corrupted_state_file_is_replaced_with_one_log_line(redis, worker, start_beat, tmp_path):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    state_file = state_dir / "celerybeat-schedule"
    state_file.write_bytes(b"\x00not a schedule\xff" * 100)

    beat = start_beat(**one_second_heartbeat(), STATE_DIR=str(state_dir))
    wait_for(lambda: heartbeats_sent(beat), 30, beat.log)
    start_up_log = beat.log()
    beat.stop()

    complaints = [line for line in start_up_log.splitlines() if "could not be read" in line]
    assert len(complaints) == 1 and str(state_file) in complaints[0]
    assert "Traceback" not in start_up_log
    with shelve.open(str(state_file)) as state:  # a sound state file again
        assert "heartbeat" in state["entries"]


def test_list_works_without_redis_and_says_the_last_runs_are_unknown():
    result = run_module("schedule", "list", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    assert result.returncode == 0, result.stderr
    assert "last run: unknown (Redis is unreachable)" in result.stdout


def test_a_leader_that_lost_the_lock_leaves_the_shared_state_file_alone(redis, tmp_path):
    # Two beats may share the state folder; the new leader has the file open.
    scheduler = StateDirScheduler(app=app, schedule_filename=str(tmp_path / "celerybeat-schedule"))
    scheduler.tick()
    scheduler.sync()
    state_files = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    # What this beat knows and has not saved yet: a run it sent since.
    heartbeat = scheduler.schedule["heartbeat"]
    assert heartbeat.last_run_at is not None
    heartbeat.last_run_at -= timedelta(hours=1)
    another_beat_takes_the_lock(redis)

    with pytest.raises(LostLeadership):
        scheduler.tick()
    scheduler.close()

    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == state_files


def test_a_state_dir_beat_cannot_create_stops_it_with_one_line_and_frees_the_lock(
    redis, start_beat
):
    beat = start_beat(STATE_DIR="/proc/no-such-folder")

    wait_for(lambda: beat.process.poll() is not None, 30, beat.log)
    assert beat.process.returncode == 1
    assert (
        "Invalid environment variable STATE_DIR: beat cannot keep its state in "
        "'/proc/no-such-folder': No such file or directory"
    ) in beat.log()
    assert "Traceback" not in beat.log()
    assert redis.get(LEADER_LOCK_KEY) is None  # a beat started next leads at once
