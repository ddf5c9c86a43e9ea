"""The run ledger, with real Redis, worker and beat: every job accounted for.

A job that fails, is skipped, or has no worker to run it turns ``health
jobs`` red and says which; nothing is overdue that has not had a chance to
run; the ledger stays the same size however many runs it records; the
outside monitors hear what their services expect; the metrics endpoint
serves every entry to Prometheus and no one else.
"""

import gzip
import json
import os
import socket
import time
import zlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis as redis_py
import time_machine
from prometheus_client.parser import text_string_to_metric_families

from .. import ledger
from ..celery_app import app
from ..job_status import Status
from ..jobs import all_jobs, open_schedule_store
from ..locks import exclusive
from ..run_events import RunWrites, send_by_hand
from .scheduler_support import beat_app_schedule, one_second_heartbeat, store_code_schedule
from .support import (
    BEAT_APP,
    PACKAGE,
    ProjectProcess,
    free_port,
    run_health,
    run_module,
    wait_for,
    worker_is_ready,
)

# Runs may take 2 s at most: a 1-second heartbeat's grace is then 1 + 2 s.
QUICK_LIMITS = {"TASK_SOFT_TIME_LIMIT": "1", "TASK_TIME_LIMIT": "2"}
REFRESH_LOCK = f"{PACKAGE}.tasks.records.refresh_stale_records"
HEARTBEAT_TASK = f"{PACKAGE}.tasks.heartbeat.heartbeat"


def jobs_check(**environment):
    """``health jobs``: its exit code and its ``jobs`` check."""
    result, _ = run_health("jobs", **environment)
    return result.returncode, json.loads(result.stdout)["checks"]["jobs"]


def run_entry(name, **environment):
    """``schedule run NAME``: its exit code and the run it reports."""
    result = run_module("schedule", "run", name, "--timeout", "30", **environment)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def statuses_at(moment):
    """Each entry's status as the ledger would judge it at ``moment`` (time travel)."""
    with time_machine.travel(moment, tick=False):
        jobs = all_jobs(open_schedule_store(), datetime.now(UTC))
    return {job.entry.name: job.state.status for job in jobs}


# Seven commands run as a user runs them, each a new process: on a busy
# machine they take longer than the suite's default two minutes.
@pytest.mark.timeout(300)
def test_a_failing_job_turns_health_jobs_red_until_its_next_success(
    private_redis, start_worker, httpserver
):
    store_code_schedule()
    environment = {"REDIS_URL": private_redis.url, "SYNC_SOURCE_URL": httpserver.url_for("/items")}
    worker = start_worker(**environment)
    wait_for(lambda: worker_is_ready(worker), 30, worker.log)
    # A 404 is not retried: each run fails at once.
    httpserver.expect_request("/items").respond_with_data("gone", status=404)

    for attempt in range(1, 4):  # beat_schedule.MONITORING: failing after 3 in a row
        returncode, run = run_entry("sync-external-data", **environment)
        assert (returncode, run["outcome"]) == (1, "failed")
        assert "404" in run["error"]
        if attempt == 2:
            assert jobs_check(**environment)[0] == 0, "red after 2 failed runs"

    returncode, jobs = jobs_check(**environment)
    assert returncode == 1
    assert jobs["failing"] == ["sync-external-data"]

    httpserver.clear()
    httpserver.expect_request("/items").respond_with_json([{"id": 1, "title": "back"}])
    returncode, run = run_entry("sync-external-data", **environment)
    assert (returncode, run["outcome"]) == (0, "succeeded")
    returncode, jobs = jobs_check(**environment)
    assert (returncode, jobs["failing"], jobs["overdue"]) == (0, [], [])


def test_a_run_skipped_by_a_held_lock_shows_as_skipped_and_left_so_turns_overdue(redis, worker):
    store_code_schedule()
    ledger.watch(["refresh-stale-records"])
    with exclusive(REFRESH_LOCK, ttl=60) as acquired:
        assert acquired
        returncode, run = run_entry("refresh-stale-records")
    assert (returncode, run["outcome"]) == (1, "skipped")
    assert "another run holds lock" in run["error"]

    now = datetime.now(UTC)
    assert statuses_at(now)["refresh-stale-records"] is Status.OK
    # Every 10 minutes, expiring after 10: overdue once a run due in 10 minutes
    # could no longer have finished (10 + TASK_TIME_LIMIT's 6 minutes later).
    assert statuses_at(now + timedelta(minutes=25))["refresh-stale-records"] is Status.OK
    assert statuses_at(now + timedelta(minutes=27))["refresh-stale-records"] is Status.OVERDUE


def test_with_no_worker_runs_expire_and_the_entry_turns_overdue(private_redis, start_beat):
    environment = {"REDIS_URL": private_redis.url, **QUICK_LIMITS, **one_second_heartbeat()}
    start_beat(**environment)

    def heartbeat_overdue():
        returncode, jobs = jobs_check(**environment)
        return returncode == 1 and "heartbeat" in jobs["overdue"]

    wait_for(heartbeat_overdue, 30, "the heartbeat never turned overdue without a worker")
    history = run_module("schedule", "history", "heartbeat", **environment)
    assert "overdue" in history.stdout.splitlines()[0]
    assert "expired (no worker started it)" in history.stdout


def test_after_redis_restarts_empty_nothing_is_overdue_before_it_could_run(
    private_redis, start_worker, start_beat
):
    environment = {"REDIS_URL": private_redis.url, **QUICK_LIMITS, **one_second_heartbeat()}
    client = redis_py.Redis.from_url(private_redis.url, decode_responses=True)
    worker = start_worker(**environment)
    start_beat(**environment)
    wait_for(lambda: worker_is_ready(worker), 30, worker.log)

    def heartbeat_succeeded_since(moment):
        summary = ledger.summaries(["heartbeat"], client)["heartbeat"]
        return (summary.last_success_at or 0) > moment

    wait_for(lambda: heartbeat_succeeded_since(0), 30, "no heartbeat succeeded")
    private_redis.stop()
    private_redis.start()  # empty: the ledger, the schedule and the leader lock are gone
    restarted = time.time()

    wait_for(lambda: heartbeat_succeeded_since(restarted), 30, "no heartbeat after the restart")
    returncode, jobs = jobs_check(**environment)
    assert (returncode, jobs["overdue"], jobs["failing"]) == (0, [], [])
    # Every entry is watched again from the restart: none is judged from before it.
    summaries = ledger.summaries(app.conf.beat_schedule, client)
    assert all((summary.watched_since or 0) >= restarted - 1 for summary in summaries.values())


def test_thousands_of_runs_leave_the_ledger_the_same_size(redis):
    def record_runs(count, start):
        for number in range(start, start + count):
            ledger.record("busy", f"run-{number}", sent_at=time.time(), sent_by="beat")
            ledger.record("busy", f"run-{number}", outcome="succeeded", duration=0.01)

    def ledger_bytes():
        names = [ledger.entry_key("busy"), ledger.runs_key("busy"), ledger.order_key("busy")]
        return sum(redis.memory_usage(name) or 0 for name in names)

    record_runs(500, 0)
    after_500 = ledger_bytes()
    record_runs(3000, 500)

    assert redis.hlen(ledger.runs_key("busy")) == ledger.RECENT_RUNS
    assert redis.zcard(ledger.order_key("busy")) == ledger.RECENT_RUNS
    assert ledger_bytes() <= after_500 * 1.05
    assert ledger.summaries(["busy"])["busy"].runs == {ledger.Outcome.SUCCEEDED: 3500}
    assert len(redis.keys(f"{PACKAGE}:ledger:*")) == 3


def envelope_items(body, encoding):
    """The items of a Sentry envelope: (item header, payload) pairs."""
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "deflate":
        body = zlib.decompress(body)
    lines = body.split(b"\n")[1:]  # the envelope's own header first
    return [
        (json.loads(header), json.loads(payload))
        for header, payload in zip(lines[::2], lines[1::2], strict=False)
        if header.strip()
    ]


def test_sentry_crons_and_ping_urls_hear_each_run(
    private_redis, start_worker, start_beat, httpserver
):
    # Sentry Crons takes crontabs and intervals of a minute or more: the
    # every-minute entry of beat_app, which sends at the next full minute.
    httpserver.expect_request("/api/1/envelope/").respond_with_json({})
    httpserver.expect_request("/ping/every-minute").respond_with_data("OK")
    httpserver.expect_request("/ping/every-minute/start").respond_with_data("OK")
    environment = {
        "REDIS_URL": private_redis.url,
        "SENTRY_DSN": f"http://public@127.0.0.1:{httpserver.port}/1",
        "JOB_PING_URL": httpserver.url_for("/ping/{entry}"),
        **beat_app_schedule(60),
    }
    worker = start_worker(**environment)
    wait_for(lambda: worker_is_ready(worker), 30, worker.log)
    start_beat(app=BEAT_APP, **environment)

    def check_ins():
        statuses = set()
        for request, _ in list(httpserver.log):
            if request.path == "/api/1/envelope/":
                encoding = request.headers.get("Content-Encoding")
                for header, payload in envelope_items(request.get_data(), encoding):
                    if header.get("type") == "check_in":
                        statuses.add((payload["monitor_slug"], payload["status"]))
        return {("every-minute", "in_progress"), ("every-minute", "ok")} <= statuses

    def pinged():
        paths = {request.path for request, _ in list(httpserver.log)}
        return {"/ping/every-minute/start", "/ping/every-minute"} <= paths

    # Each run ends with both: the check-in as sentry-sdk's, the ping as the ledger's.
    wait_for(
        lambda: check_ins() and pinged(),
        75,
        lambda: f"heard only: {[request.path for request, _ in httpserver.log]}",
    )


def test_the_metrics_endpoint_serves_every_entry_and_refuses_strangers(redis, tmp_path):
    store_code_schedule()
    ledger.record("heartbeat", "run-1", sent_at=time.time(), sent_by="beat")
    ledger.record("heartbeat", "run-1", outcome="failed", duration=0.5, error="ValueError: no")
    port = free_port()
    login = {"METRICS_USER": "prometheus", "METRICS_PASSWORD": "a-password-for-the-tests"}
    metrics = ProjectProcess(
        [f"{PACKAGE}.metrics"],
        tmp_path / "metrics.log",
        {**os.environ, **login, "METRICS_PORT": str(port)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{url}/healthz"), 30, metrics.log)
        assert httpx.get(f"{url}/metrics").status_code == 401
        assert httpx.get(f"{url}/metrics", auth=("prometheus", "not-it")).status_code == 401
        response = httpx.get(f"{url}/metrics", auth=("prometheus", login["METRICS_PASSWORD"]))
    finally:
        metrics.stop()

    assert response.status_code == 200
    samples = {
        (sample.name, sample.labels.get("entry")): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    for entry in open_schedule_store().entries():
        assert ("periodic_job_overdue", entry.name) in samples
    assert samples[("periodic_job_failing", "heartbeat")] == 1
    assert samples[("periodic_job_consecutive_failures", "heartbeat")] == 1
    assert samples[("periodic_job_last_duration_seconds", "heartbeat")] == 0.5
    assert samples[("periodic_redis_up", None)] == 1


def _answers(url):
    try:
        return httpx.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_worker_stopped_right_after_a_run_has_written_how_it_ended(redis, start_worker):
    # A worker writes the ledger from a thread, a moment after each run;
    # stopped (SIGTERM to it and its pool processes, as `docker stop`), it
    # writes what waits as it goes.
    worker = start_worker("--queues=ledger-stop", "--concurrency=1")
    wait_for(lambda: worker_is_ready(worker), 30, worker.log)
    options = {"queue": "ledger-stop"}
    task_id = send_by_hand(app, "heartbeat", HEARTBEAT_TASK, [], {}, options).id
    wait_for(lambda: f"[{task_id}] succeeded" in worker.log(), 30, worker.log)
    worker.stop()

    run = ledger.run("heartbeat", task_id) or {}
    assert (run.get("outcome"), "started_at" in run) == ("succeeded", True), run


def test_a_long_run_is_written_as_started_while_it_runs(redis):
    writes = RunWrites()
    writes.started("busy", "run-1", {"started_at": time.time(), "worker": "w1"})
    wait_for(lambda: ledger.run("busy", "run-1"), 5, "the start was not written")
    writes.ended("busy", "run-1", {"outcome": "succeeded", "duration": 3.0})
    writes.flush()  # as the process stops: the end, without waiting for the thread
    assert ledger.run("busy", "run-1") == {
        "id": "run-1",
        "started_at": pytest.approx(time.time(), abs=10),
        "worker": "w1",
        "outcome": "succeeded",
        "duration": 3.0,
    }


def test_make_run_reports_a_run_that_keeps_no_result(redis, worker):
    # The heartbeat keeps no result: waiting for one, `make run` used to give
    # up after its timeout and report a failure that did not happen.
    store_code_schedule()
    returncode, run = run_entry("heartbeat")
    assert (returncode, run["outcome"]) == (0, "succeeded")
    assert run["worker"].startswith("celery@")


def test_the_metrics_endpoint_on_a_taken_port_exits_with_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_module(
            "metrics",
            METRICS_USER="prometheus",
            METRICS_PASSWORD="a-password-for-the-tests",
            METRICS_PORT=str(port),
        )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
