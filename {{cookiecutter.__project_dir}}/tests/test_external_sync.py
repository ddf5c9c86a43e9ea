"""sync_external_data against a real HTTP server, run by a real worker."""

import pytest
from pytest_httpserver import HTTPServer
{% if cookiecutter.web_framework == "django" %}
from {{ cookiecutter.project_slug }}.models import Document
{%- else %}
from {{ cookiecutter.project_slug }} import record_store
{%- endif %}
from {{ cookiecutter.project_slug }}.settings import settings
from {{ cookiecutter.project_slug }}.tasks.external_sync import sync_external_data

ITEMS = [{"id": 1, "title": "first"}, {"id": 2, "title": "second"}]
{% if cookiecutter.web_framework == "django" %}

def test_stores_each_item_as_a_document(redis, httpserver: HTTPServer):
    httpserver.expect_request("/items").respond_with_json(ITEMS)

    summary = sync_external_data(url=httpserver.url_for("/items"))

    assert (summary["fetched"], summary["changed"], summary["attempts"]) == (2, 2, 1)
    assert Document.objects.get(external_id="2").title == "second"


def test_unchanged_items_keep_their_updated_at(redis, httpserver: HTTPServer):
    httpserver.expect_request("/items").respond_with_json(ITEMS)
    sync_external_data(url=httpserver.url_for("/items"))
    first_updated_at = Document.objects.get(external_id="1").updated_at

    summary = sync_external_data(url=httpserver.url_for("/items"))

    assert summary["changed"] == 0
    assert Document.objects.get(external_id="1").updated_at == first_updated_at


def test_a_changed_item_updates_its_document(redis, httpserver: HTTPServer):
    httpserver.expect_ordered_request("/items").respond_with_json(ITEMS)
    httpserver.expect_ordered_request("/items").respond_with_json(
        [{"id": 1, "title": "first", "body": "now with a body"}]
    )
    sync_external_data(url=httpserver.url_for("/items"))

    summary = sync_external_data(url=httpserver.url_for("/items"))

    assert summary["changed"] == 1
    assert Document.objects.get(external_id="1").body == "now with a body"
    assert Document.objects.with_stale_embedding().count() == 2
{%- else %}

def test_stores_each_item_as_a_record(redis, httpserver: HTTPServer):
    httpserver.expect_request("/items").respond_with_json(ITEMS)

    summary = sync_external_data(url=httpserver.url_for("/items"))

    assert (summary["fetched"], summary["changed"], summary["attempts"]) == (2, 2, 1)
    assert record_store.load_record("2")["data"] == '{"id": 2, "title": "second"}'


def test_unchanged_items_keep_their_updated_at(redis, httpserver: HTTPServer):
    httpserver.expect_request("/items").respond_with_json(ITEMS)
    sync_external_data(url=httpserver.url_for("/items"))
    first_updated_at = record_store.load_record("1")["updated_at"]

    summary = sync_external_data(url=httpserver.url_for("/items"))

    assert summary["changed"] == 0
    assert record_store.load_record("1")["updated_at"] == first_updated_at
{%- endif %}


def test_skips_when_no_source_is_configured(redis):
    assert not settings.sync_source_url
    assert sync_external_data() == {"skipped": True, "reason": "SYNC_SOURCE_URL is not set"}


def test_retries_with_backoff_until_the_source_recovers(redis, worker, httpserver: HTTPServer):
    httpserver.expect_ordered_request("/items").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/items").respond_with_data("slow down", status=429)
    httpserver.expect_ordered_request("/items").respond_with_json(ITEMS)

    result = sync_external_data.delay(url=httpserver.url_for("/items"))

    assert result.get(timeout=30)["attempts"] == 3
    assert len(httpserver.log) == 3
{%- if cookiecutter.web_framework == "django" %}
    assert Document.objects.filter(external_id="1").exists()
{%- else %}
    assert record_store.load_record("1")
{%- endif %}


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
