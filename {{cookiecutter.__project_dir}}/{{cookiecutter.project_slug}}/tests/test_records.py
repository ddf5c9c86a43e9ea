"""Refreshing derived data from a watermark, archiving and purging old records."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from .. import record_store
from ..tasks.records import (
    archive_old_records,
    purge_archived_records,
    refresh_stale_records,
)
from ..watermarks import read_watermark

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def derived(record_id):
    return json.loads(record_store.load_record(record_id)["derived"])


def test_refresh_derives_data_for_changed_records(redis):
    record_store.save_record("a", {"text": "three little words"}, now=START.timestamp())

    with time_machine.travel(START + timedelta(minutes=10)):
        summary = refresh_stale_records()

    assert summary["refreshed"] == 1
    assert derived("a")["words"] == 4  # the JSON text of the record, split on spaces


def test_refresh_catches_up_on_runs_missed_while_beat_was_down(redis):
    with time_machine.travel(START):
        refresh_stale_records()
    # Beat is down for six hours; records keep changing.
    for hour in range(1, 7):
        with time_machine.travel(START + timedelta(hours=hour)):
            record_store.save_record(f"changed-{hour}", {"hour": hour})

    with time_machine.travel(START + timedelta(hours=7)):
        summary = refresh_stale_records()

    assert summary["refreshed"] == 6
    assert all(derived(f"changed-{hour}") for hour in range(1, 7))


def test_refresh_does_not_redo_work_already_done(redis):
    record_store.save_record("a", {"n": 1}, now=START.timestamp())
    with time_machine.travel(START + timedelta(minutes=10)):
        refresh_stale_records()

    with time_machine.travel(START + timedelta(minutes=20)):
        assert refresh_stale_records()["refreshed"] == 0


def test_a_failed_refresh_leaves_the_watermark_for_the_next_run(redis, monkeypatch):
    record_store.save_record("a", {"n": 1}, now=START.timestamp())
    with time_machine.travel(START + timedelta(minutes=10)):
        refresh_stale_records()
    watermark = read_watermark("refresh_stale_records")
    record_store.save_record("b", {"n": 2}, now=(START + timedelta(minutes=15)).timestamp())

    def failing_derive(content):
        raise RuntimeError("the derived-data service is down")

    monkeypatch.setattr(record_store, "derive", failing_derive)
    with time_machine.travel(START + timedelta(minutes=20)), pytest.raises(RuntimeError):
        refresh_stale_records()
    assert read_watermark("refresh_stale_records") == watermark

    monkeypatch.undo()
    with time_machine.travel(START + timedelta(minutes=30)):
        assert refresh_stale_records()["refreshed"] == 1
    assert derived("b")


def test_archive_moves_only_old_records_and_can_run_twice(redis):
    now = START.timestamp()
    record_store.save_record("old", {"n": 1}, now=now - 100 * 86400)
    record_store.save_record("recent", {"n": 2}, now=now - 10 * 86400)

    with time_machine.travel(START):
        first = archive_old_records(older_than_days=90)
        second = archive_old_records(older_than_days=90)

    assert (first["archived"], second["archived"]) == (1, 0)
    assert not record_store.load_record("old")
    assert json.loads(redis.hget(record_store.archived_record_key("old"), "data")) == {"n": 1}
    assert record_store.load_record("recent")
    assert record_store.ids_updated_before(now) == ["recent"]


def test_archive_leaves_a_record_edited_after_it_was_listed(redis):
    now = START.timestamp()
    record_store.save_record("busy", {"n": 1}, now=now - 100 * 86400)
    cutoff = now - 90 * 86400
    record_store.save_record("busy", {"n": 2}, now=now)  # edited just now

    assert record_store.archive_record("busy", cutoff, now) is False
    assert record_store.load_record("busy")
    assert not redis.exists(record_store.archived_record_key("busy"))


def test_archive_tidies_an_index_entry_left_by_an_interrupted_run(redis):
    redis.zadd(record_store.LIVE_INDEX, {"gone": 1.0})

    with time_machine.travel(START):
        summary = archive_old_records(older_than_days=1)

    assert (summary["candidates"], summary["archived"]) == (1, 0)
    assert redis.zcard(record_store.LIVE_INDEX) == 0


def test_purge_deletes_archived_records_past_retention(redis):
    now = START.timestamp()
    record_store.save_record("ancient", {"n": 1}, now=now - 500 * 86400)
    record_store.save_record("old", {"n": 2}, now=now - 100 * 86400)
    record_store.archive_record("ancient", now, now - 400 * 86400)
    record_store.archive_record("old", now, now - 10 * 86400)

    with time_machine.travel(START):
        summary = purge_archived_records(older_than_days=365)

    assert summary["purged"] == 1
    assert not redis.exists(record_store.archived_record_key("ancient"))
    assert redis.exists(record_store.archived_record_key("old"))
