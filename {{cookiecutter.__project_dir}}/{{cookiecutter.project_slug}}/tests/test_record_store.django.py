"""What the sync stores: each item as a document, changed only when its content is."""

from pytest_httpserver import HTTPServer

from ..models import Document
from ..tasks.external_sync import sync_external_data

ITEMS = [{"id": 1, "title": "first"}, {"id": 2, "title": "second"}]


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
