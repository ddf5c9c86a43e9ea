"""The metrics endpoint for Prometheus: ``python -m {{ cookiecutter.project_slug }}.metrics``.

Serves ``/metrics`` in Prometheus's text format, behind a login
(METRICS_USER and METRICS_PASSWORD, which Prometheus's ``basic_auth``
sends), on 127.0.0.1:9540 unless METRICS_ADDRESS and METRICS_PORT say
otherwise. ``/healthz`` answers "ok" to anyone, and says nothing else.

Every figure is read from Redis (and the schedule's store) when Prometheus
scrapes, so the endpoint keeps no state of its own, and two of them agree.
Per schedule entry, labelled ``entry``:

- ``periodic_job_last_success_timestamp_seconds`` and
  ``periodic_job_last_duration_seconds``;
- ``periodic_job_runs_total``, by ``outcome``, as the run ledger counted them;
- ``periodic_job_overdue``, ``periodic_job_failing`` and ``periodic_job_paused``
  (1 or 0), and ``periodic_job_consecutive_failures``.

And for the project: ``periodic_redis_up``; ``periodic_beat_leader`` (1 while
a beat holds the leader lock) and ``periodic_beat_leader_term`` (how many
times a beat became the leader); ``periodic_heartbeat_sent_age_seconds`` and
``periodic_heartbeat_ran_age_seconds``, beside the
``periodic_heartbeat_max_age_seconds`` that ``health`` holds them to. The
alert rules in ``monitoring/alerts.yml`` are written on these names.
"""

import base64
import binascii
import contextlib
import hmac
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import redis
from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from .beat_leader import LEADER_LOCK_KEY, LEADER_TERM_KEY
from .entries import ScheduleStore, StoreUnavailable
from .job_status import Status
from .jobs import Job, all_jobs, open_schedule_store
from .redis_client import HEARTBEAT_KEY, quick_redis
from .settings import SettingsError, metrics_options, settings

logger = logging.getLogger(__name__)

PREFIX = "periodic"


def _gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=list(labels))


def job_metrics(jobs: list[Job]) -> Iterator[Metric]:
    """The per-entry figures, labelled ``entry``."""
    last_success = _gauge(
        "job_last_success_timestamp_seconds", "When a run last succeeded", ["entry"]
    )
    duration = _gauge("job_last_duration_seconds", "How long the last run took", ["entry"])
    runs = CounterMetricFamily(
        f"{PREFIX}_job_runs", "Runs that ended, by outcome", labels=["entry", "outcome"]
    )
    overdue = _gauge("job_overdue", "1 if no run succeeded within grace of a due time", ["entry"])
    failing = _gauge("job_failing", "1 if enough runs in a row failed", ["entry"])
    paused = _gauge("job_paused", "1 if the entry is paused", ["entry"])
    failures = _gauge("job_consecutive_failures", "Failed runs since the last success", ["entry"])
    for job in jobs:
        name, summary, status = job.entry.name, job.summary, job.state.status
        if summary.last_success_at is not None:
            last_success.add_metric([name], summary.last_success_at)
        if summary.last_duration is not None:
            duration.add_metric([name], summary.last_duration)
        for outcome, count in (summary.runs or {}).items():
            runs.add_metric([name, str(outcome)], count)
        overdue.add_metric([name], status is Status.OVERDUE)
        failing.add_metric([name], status is Status.FAILING)
        paused.add_metric([name], status is Status.PAUSED)
        failures.add_metric([name], summary.consecutive_failures)
    yield from (last_success, duration, runs, overdue, failing, paused, failures)


def _single(name: str, documentation: str, value: float | None) -> Iterator[Metric]:
    if value is not None:
        yield GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def project_metrics(client: redis.Redis) -> Iterator[Metric]:
    """Beat's leadership and the heartbeat's ages."""
    with client.pipeline(transaction=False) as pipe:
        pipe.exists(LEADER_LOCK_KEY)
        pipe.get(LEADER_TERM_KEY)
        pipe.hmget(HEARTBEAT_KEY, ["sent_at", "ran_at"])
        leader, term, (sent_at, ran_at) = pipe.execute()
    now = time.time()
    yield from _single("beat_leader", "1 while a beat holds the leader lock", leader)
    yield from _single(
        "beat_leader_term", "How many times a beat became the leader", term and int(term)
    )
    yield from _single(
        "heartbeat_sent_age_seconds",
        "Seconds since beat last sent the heartbeat",
        sent_at and now - float(sent_at),
    )
    yield from _single(
        "heartbeat_ran_age_seconds",
        "Seconds since a worker last ran the heartbeat",
        ran_at and now - float(ran_at),
    )
    yield from _single(
        "heartbeat_max_age_seconds",
        "The heartbeat age past which health calls beat or the workers dead",
        settings.heartbeat_max_age,
    )


class ProjectCollector(Collector):
    """Reads every figure from Redis and the schedule's store at each scrape."""

    def __init__(self, store: ScheduleStore) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        client = quick_redis()
        try:
            figures = [
                *project_metrics(client),
                *job_metrics(all_jobs(self.store, datetime.now(UTC), client)),
            ]
        except (redis.RedisError, StoreUnavailable) as exc:
            logger.warning("Could not read the figures: %s", exc)
            figures = []
        finally:
            client.close()
        yield from _single("redis_up", "1 if the figures could be read", 1 if figures else 0)
        yield from figures


def with_login(app: WSGIApplication, user: str, password: str) -> WSGIApplication:
    """``app`` behind HTTP basic authentication; ``/healthz`` stays open, and says only "ok"."""
    expected = f"{user}:{password}".encode()

    def logged_in(environ: WSGIEnvironment) -> bool:
        scheme, _, encoded = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return False
        return scheme.lower() == "basic" and hmac.compare_digest(given, expected)

    def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if not logged_in(environ):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Basic realm="metrics"')],
            )
            return [b"login required\n"]
        return app(environ, start_response)

    return guarded


def metrics_app(store: ScheduleStore, user: str, password: str) -> WSGIApplication:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProjectCollector(store))
    return with_login(make_wsgi_app(registry), user, password)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Prometheus scrapes every few seconds: no line per request."""


def main() -> int:
    try:
        (user, password), address, port = metrics_options()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # Before serving: importing the tasks (and, with Django, setting it up)
    # takes seconds on a busy host, more than a first scrape should wait.
    store = open_schedule_store()
    app = metrics_app(store, user, password)
    try:
        server = make_server(address, port, app, handler_class=QuietHandler)
    except OSError as exc:  # the port is taken: make dev serves them already, say
        print(f"error: cannot listen on {address}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    logger.info("Serving metrics on http://%s:%d/metrics (login required)", address, port)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C under make dev
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
