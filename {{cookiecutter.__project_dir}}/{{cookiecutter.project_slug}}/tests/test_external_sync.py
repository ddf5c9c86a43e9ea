"""sync_external_data against a real HTTP server, run by a real worker.

How it stores what it fetched is in ``test_records``.
"""

import json

import pytest
from pytest_httpserver import HTTPServer

from ..settings import settings
from ..tasks.external_sync import sync_external_data
from .records_support import stored_fields
from .support import run_module

ITEMS = [{"id": 1, "title": "first"}, {"id": 2, "title": "second"}]


def test_without_a_source_a_run_succeeds_having_fetched_nothing(redis, worker):
    # A new project has named no source yet: its schedule must not turn
    # overdue for it, as a skip would.
    assert not settings.sync_source_url

    result = run_module("schedule", "run", "sync-external-data")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "succeeded"
    assert sync_external_data.delay().get(timeout=30)["fetched"] == 0


def test_retries_with_backoff_until_the_source_recovers(redis, worker, httpserver: HTTPServer):
    httpserver.expect_ordered_request("/items").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/items").respond_with_data("slow down", status=429)
    httpserver.expect_ordered_request("/items").respond_with_json(ITEMS)

    result = sync_external_data.delay(url=httpserver.url_for("/items"))

    assert result.get(timeout=30)["attempts"] == 3
    assert len(httpserver.log) == 3
    assert stored_fields("1")["title"] == "first"


def test_gives_up_after_the_last_retry(redis, worker, httpserver: HTTPServer):
    httpserver.expect_request("/items").respond_with_data("down", status=502)

    result = sync_external_data.delay(url=httpserver.url_for("/items"))

    with pytest.raises(Exception, match="answered 502"):
        result.get(timeout=30)
    assert len(httpserver.log) == settings.sync_max_retries + 1


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, "[]", "404"),
        (200, '{"id": 1}', "not answer a JSON list"),
        (200, "<html>", "not answer JSON"),
    ],
)
def test_fails_at_once_on_an_answer_that_will_not_fix_itself(
    redis, worker, httpserver: HTTPServer, status, body, error
):
    httpserver.expect_request("/items").respond_with_data(body, status=status)

    result = sync_external_data.delay(url=httpserver.url_for("/items"))

    with pytest.raises(Exception, match=error):
        result.get(timeout=30)
    assert len(httpserver.log) == 1
