"""What the sync stores: each item as a record in Redis, changed only when its content is."""

from pytest_httpserver import HTTPServer

from .. import record_store
from ..tasks.external_sync import sync_external_data

ITEMS = [{"id": 1, "title": "first"}, {"id": 2, "title": "second"}]


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
