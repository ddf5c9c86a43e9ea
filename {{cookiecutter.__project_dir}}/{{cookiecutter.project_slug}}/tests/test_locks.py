"""``exclusive`` and ``single_instance`` against a real Redis and real processes."""

import itertools
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from ..locks import (
    LockConfigurationError,
    exclusive,
    single_instance,
)
from ..redis_client import key
from ..tasks.external_sync import sync_external_data
from .support import PACKAGE, PROJECT_ROOT, wait_for

LOCK_HOLDER = [sys.executable, "-m", f"{PACKAGE}.tests.lock_holder"]


@pytest.fixture
def start_lock_holder():
    """Start ``lock_holder.py`` as a process of its own; killed when the test ends."""
    started = []

    def start(*args):
        process = subprocess.Popen(
            [*LOCK_HOLDER, *map(str, args)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_a_free_lock_is_acquired_and_released(redis):
    with exclusive("report", ttl=10) as acquired:
        assert acquired
        assert redis.exists(key("lock", "report"))
    assert not redis.exists(key("lock", "report"))


def test_a_held_lock_is_refused_at_once(redis):
    with exclusive("report", ttl=10) as first, exclusive("report", ttl=10) as second:
        assert (first, second) == (True, False)


def test_a_waiting_holder_gets_the_lock_once_it_is_free(redis, start_lock_holder):
    holder = start_lock_holder("hold", "report", 1)
    assert holder.stdout.readline() == "held\n"
    holder.kill()
    holder.wait()

    started = time.monotonic()
    with exclusive("report", ttl=10, wait=10) as acquired:
        assert acquired
    assert time.monotonic() - started < 3


def test_contending_processes_never_hold_the_lock_at_once(redis, start_lock_holder):
    processes, rounds = 6, 5
    contenders = [start_lock_holder("contend", "contended", rounds, 0.02) for _ in range(processes)]
    outputs = [contender.communicate(timeout=60)[0] for contender in contenders]
    assert [contender.returncode for contender in contenders] == [0] * processes

    held = sorted(tuple(map(float, line.split())) for out in outputs for line in out.splitlines())
    assert len(held) == processes * rounds
    for (_, previous_exit), (next_entry, _) in itertools.pairwise(held):
        assert next_entry >= previous_exit, "two processes held the lock at the same time"


def test_a_holder_that_lost_its_lock_leaves_the_new_owners_lock_alone(
    redis, start_lock_holder, caplog
):
    lock_key = key("lock", "report")
    with exclusive("report", ttl=1) as acquired:
        assert acquired
        redis.delete(lock_key)  # as if the lock had expired under its holder
        new_owner = start_lock_holder("hold", "report", 30)
        assert new_owner.stdout.readline() == "held\n"
        new_token = redis.get(lock_key)
        time.sleep(1)  # the first holder tries to renew meanwhile

    # Neither the first holder's renewal nor its release touched the new lock.
    assert redis.get(lock_key) == new_token
    assert redis.pttl(lock_key) > 25_000
    assert "taken over" in caplog.text


def hold_for_three_ttls(name):
    """Hold ``name`` with a 1-second ttl for 3 s, checking every second that it is still held."""
    with exclusive(name, ttl=1) as acquired:
        assert acquired
        for _ in range(3):
            time.sleep(1)
            with exclusive(name, ttl=1) as other:
                assert not other, "the lock expired while its holder was working"


def test_a_long_holder_keeps_the_lock_past_its_ttl(redis):
    hold_for_three_ttls("report")


def test_a_short_lock_taken_while_a_long_one_is_held_is_renewed_in_time(redis):
    with exclusive("nightly-archive", ttl=60) as acquired:
        assert acquired
        time.sleep(0.2)  # the renewal thread now waits 20 s, for the long lock's turn
        hold_for_three_ttls("report")


def test_a_killed_holders_lock_frees_itself_after_its_ttl(redis, start_lock_holder):
    ttl = 2
    holder = start_lock_holder("hold", "report", ttl)
    assert holder.stdout.readline() == "held\n"
    time.sleep(ttl * 1.5)  # renewed by the holder, so still held
    with exclusive("report", ttl=10) as acquired:
        assert not acquired

    holder.send_signal(signal.SIGKILL)
    holder.wait()

    def lock_is_free():
        with exclusive("report", ttl=10) as acquired:
            return acquired

    wait_for(lock_is_free, ttl + 2, "the dead holder's lock did not free itself after its ttl")


def test_single_instance_refuses_a_ttl_shorter_than_the_hard_time_limit():
    with pytest.raises(LockConfigurationError, match="hard time limit 900 s"):
        single_instance(ttl=60, renew=False, time_limit=900)


def test_single_instance_accepts_a_ttl_covering_the_hard_time_limit():
    assert callable(single_instance(ttl=900, renew=False, time_limit=900))


def test_two_worker_processes_given_the_same_task_at_once_run_it_once(
    redis, worker, httpserver: HTTPServer
):
    def slow_source(request):
        time.sleep(2)
        return Response('[{"id": 1}]', content_type="application/json")

    httpserver.expect_request("/items").respond_with_handler(slow_source)
    url = httpserver.url_for("/items")

    first, second = sync_external_data.delay(url), sync_external_data.delay(url)
    summaries = [first.get(timeout=30), second.get(timeout=30)]

    skipped = [summary for summary in summaries if summary.get("skipped")]
    ran = [summary for summary in summaries if not summary.get("skipped")]
    assert len(skipped) == 1 and len(ran) == 1, summaries
    assert "another run holds lock" in skipped[0]["reason"]
    assert ran[0]["fetched"] == 1
    assert len(httpserver.log) == 1
    assert f"Skipping {sync_external_data.name}" in worker.log()


def test_single_instance_by_arguments_excludes_only_runs_with_the_same_arguments(redis):
    runs_inside: list[Any] = []

    @single_instance(by_arguments=True)
    def refresh(section):
        if not runs_inside:  # the outer run tries two more while it holds its lock
            runs_inside.append(refresh(section))
            runs_inside.append(refresh("other section"))
        return "ran"

    assert refresh("section") == "ran"
    assert runs_inside[0]["skipped"] is True
    assert runs_inside[1] == "ran"
