"""The run ledger: what became of every run of every schedule entry, kept in Redis.

A run belongs to its entry because the entry's name travels in its message,
in the ``periodic_task_name`` header: beat sets it on every run it sends
(``beat_leader``), the schedule command on a run it starts by hand, and
django-celery-beat's admin on a run started there. The same task called
from code carries no such header and leaves the ledger alone.

Per entry there are three keys, whatever the number of runs:

- ``ledger:entry:NAME``, a hash: since when the ledger watches the entry,
  its last success, last outcome (when, how long, the one-line error or
  reason), consecutive failures, a count of runs per outcome, and how many
  writes the ledger missed;
- ``ledger:runs:NAME``, a hash of the last RECENT_RUNS runs by task id, each
  a JSON object: due, sent, started and finished times, outcome, duration;
- ``ledger:order:NAME``, the same ids by when each was first written, which
  says which runs are the oldest to drop.

Each write is one Lua script, so a run's record and the entry's counts change
together. Writing never stops a task or beat: a write Redis did not take
(it was away) is logged and counted, and the next write for the entry adds
the count to ``missed_writes``.
"""

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import redis

from .redis_client import get_redis, key, texts

logger = logging.getLogger(__name__)

# The message header that names a run's schedule entry. django-celery-beat's
# scheduler and admin already set it under this name.
ENTRY_HEADER = "periodic_task_name"

# How many runs each entry keeps: the history the schedule command shows.
RECENT_RUNS = 100


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRYING = "retrying"  # failed, and sent again: not the run's last word
    SKIPPED = "skipped"  # the task declined to run (single_instance found its lock held)
    EXPIRED = "expired"  # no worker started it before its ``expires``
    REVOKED = "revoked"


OUTCOMES = tuple(Outcome)  # in this order; iterating the Enum itself costs more

# Every outcome but RETRYING ends a run.
FINAL_OUTCOMES = frozenset(Outcome) - {Outcome.RETRYING}

# KEYS: the entry's hash, its runs, their order. ARGV: task id, the fields to
# set on the run (JSON), now, RECENT_RUNS, writes missed before this one.
RECORD_SCRIPT = """
local entry, runs, order = KEYS[1], KEYS[2], KEYS[3]
local id, now, keep, missed = ARGV[1], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local fields = cjson.decode(ARGV[2])
local stored = redis.call('HGET', runs, id)
local run = stored and cjson.decode(stored) or {id = id}
local before = run.outcome
for name, value in pairs(fields) do run[name] = value end
redis.call('HSET', runs, id, cjson.encode(run))
redis.call('ZADD', order, 'NX', now, id)
local extra = redis.call('ZCARD', order) - keep
if extra > 0 then
    local oldest = redis.call('ZRANGE', order, 0, extra - 1)
    redis.call('ZREMRANGEBYRANK', order, 0, extra - 1)
    redis.call('HDEL', runs, unpack(oldest))
end
redis.call('HSETNX', entry, 'watched_since', now)
if missed > 0 then redis.call('HINCRBY', entry, 'missed_writes', missed) end
local outcome = fields.outcome
if not outcome then return end
local final = {succeeded = true, failed = true, skipped = true, expired = true, revoked = true}
if before and final[before] then
    -- Delivered again (its worker died after finishing): the count moves, it does not double.
    redis.call('HINCRBY', entry, 'runs:' .. before, -1)
end
redis.call('HINCRBY', entry, 'runs:' .. outcome, 1)
redis.call('HSET', entry, 'last_outcome', outcome, 'last_outcome_at', now,
    'last_duration', fields.duration or '', 'last_error', fields.error or '')
if outcome == 'succeeded' then
    redis.call('HSET', entry, 'last_success_at', now, 'consecutive_failures', 0)
elseif outcome == 'failed' then
    redis.call('HINCRBY', entry, 'consecutive_failures', 1)
end
"""

# KEYS: entries' hashes. Returns them, in KEYS' order, as one JSON array of
# objects: one reply, which the json module reads in C, where a reply per
# hash cost redis-py some 15 us each to ask for and read.
SUMMARIES_SCRIPT = """
local hashes = {}
for i, key in ipairs(KEYS) do
    local fields = redis.call('HGETALL', key)
    local hash = {}
    for j = 1, #fields, 2 do hash[fields[j]] = fields[j + 1] end
    hashes[i] = hash
end
return cjson.encode(hashes)
"""
# How many entries' hashes one script call reads: Redis serves nobody else
# while a script runs, and 1,000 take it a few milliseconds.
SUMMARIES_PER_CALL = 1000


def entry_key(name: str) -> str:
    return key("ledger", "entry", name)


def runs_key(name: str) -> str:
    return key("ledger", "runs", name)


def order_key(name: str) -> str:
    return key("ledger", "order", name)


def _client() -> redis.Redis:
    # The project's own client, with its timeouts: a one-second, no-retry one
    # lost writes (and so outcomes) on a machine merely busy; when Redis is
    # really gone, connecting fails at once and the write is counted missed.
    return get_redis()


@cache
def _script() -> Any:
    return _client().register_script(RECORD_SCRIPT)


# Writes that Redis did not take, per entry, since this process last wrote it.
_missed: Counter[str] = Counter()


def record(name: str, task_id: str, **fields: Any) -> None:
    """Set ``fields`` on run ``task_id`` of entry ``name``; an ``outcome`` also updates the entry.

    Never raises: a write that fails is logged, and counted in the entry's
    ``missed_writes`` by the next write that succeeds.
    """
    missed = _missed.pop(name, 0)
    try:
        _script()(*_script_call(name, task_id, fields, time.time(), missed))
    except redis.RedisError as exc:
        _missed[name] += missed + 1
        logger.warning("The run ledger missed a write for %s (%s): %s", name, task_id, exc)


# A write: the entry's name, the run's task id, and the fields to set on the run.
Write = tuple[str, str, dict[str, Any]]


def record_many(writes: list[Write]) -> None:
    """Each write as ``record`` makes it, in order, all in one pipeline; never raises.

    ``record`` does not go through here: a pipeline of scripts first asks
    Redis whether it has them, one more round trip, which beat's write
    before each send would wait for.
    """
    now = time.time()
    earlier = {name: _missed.pop(name, 0) for name, _, _ in writes}
    unsent = dict(earlier)  # an entry's earlier misses go with its first write only
    try:
        with _client().pipeline(transaction=False) as pipe:
            for name, task_id, fields in writes:
                keys, args = _script_call(name, task_id, fields, now, unsent.pop(name, 0))
                _script()(keys, args, client=pipe)
            pipe.execute()
    except redis.RedisError as exc:
        _missed.update(earlier)
        _missed.update(name for name, _, _ in writes)
        logger.warning("The run ledger missed %d writes: %s", len(writes), exc)


def _script_call(
    name: str, task_id: str, fields: dict[str, Any], now: float, missed: int
) -> tuple[list[str], list[Any]]:
    """RECORD_SCRIPT's keys and arguments for one write."""
    keys = [entry_key(name), runs_key(name), order_key(name)]
    return keys, [task_id, json.dumps(_set(fields)), now, RECENT_RUNS, missed]


def _set(fields: dict[str, Any]) -> dict[str, Any]:
    # JSON's null reaches the script as a value Lua counts as true: leave it out.
    return {name: value for name, value in fields.items() if value is not None}


def one_line(error: BaseException) -> str:
    """An exception as the ledger keeps it: its type and the first line of its message."""
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0]}" if message else type(error).__name__


@dataclass(frozen=True)
class Summary:
    """What the ledger knows of one entry: times are Unix seconds, None where never."""

    watched_since: float | None = None
    last_success_at: float | None = None
    last_outcome: Outcome | None = None
    last_outcome_at: float | None = None
    last_duration: float | None = None
    last_error: str = ""
    consecutive_failures: int = 0
    runs: dict[Outcome, int] | None = None
    missed_writes: int = 0

    @classmethod
    def from_hash(cls, fields: dict[str, str]) -> "Summary":
        def number(name: str) -> float | None:
            value = fields.get(name)
            return float(value) if value else None

        counted = {
            field.removeprefix("runs:"): int(count)
            for field, count in fields.items()
            if field.startswith("runs:") and count
        }
        return cls(
            watched_since=number("watched_since"),
            last_success_at=number("last_success_at"),
            last_outcome=Outcome(fields["last_outcome"]) if fields.get("last_outcome") else None,
            last_outcome_at=number("last_outcome_at"),
            last_duration=number("last_duration"),
            last_error=fields.get("last_error", ""),
            consecutive_failures=int(fields.get("consecutive_failures") or 0),
            runs={outcome: counted[outcome] for outcome in OUTCOMES if outcome in counted},
            missed_writes=int(fields.get("missed_writes") or 0),
        )


def summaries(names: Iterable[str], client: redis.Redis | None = None) -> dict[str, Summary]:
    """Each entry's summary, in two round trips however many entries.

    One script call reads SUMMARIES_PER_CALL entries' hashes, and the calls
    go in one pipeline, which first checks that Redis has the script.
    """
    names = list(names)
    client = client or _client()
    script = client.register_script(SUMMARIES_SCRIPT)
    with client.pipeline(transaction=False) as pipe:
        for start in range(0, len(names), SUMMARIES_PER_CALL):
            batch = names[start : start + SUMMARIES_PER_CALL]
            script(keys=[entry_key(name) for name in batch], client=pipe)
        replies = pipe.execute()
    hashes = [fields for reply in replies for fields in json.loads(reply)]
    return {name: Summary.from_hash(fields) for name, fields in zip(names, hashes, strict=True)}


def history(name: str, client: redis.Redis | None = None) -> list[dict[str, Any]]:
    """The entry's recent runs, newest first, each as its JSON object."""
    client = client or _client()
    ids = texts(client.zrevrange(order_key(name), 0, -1))
    if not ids:
        return []
    runs = client.hmget(runs_key(name), ids)
    return [json.loads(run) for run in runs if run]


def run(name: str, task_id: str) -> dict[str, Any] | None:
    """One run's record, or None if the ledger has none (yet)."""
    stored = _client().hget(runs_key(name), task_id)
    return json.loads(stored) if stored else None


def watch(names: Iterable[str], since: float | None = None, *, restart: bool = False) -> None:
    """Start watching entries: overdue is reckoned from ``since`` (now) until a run succeeds.

    Beat calls it, without ``restart``, for every entry when it starts to lead,
    so that an entry new to the ledger (a new deployment, a Redis restarted
    empty) has time to run before it can be overdue. ``restart`` also moves
    an entry already watched: one resumed after a pause is not overdue for
    the time it was paused.
    """
    since = time.time() if since is None else since
    try:
        with _client().pipeline(transaction=False) as pipe:
            for name in names:
                if restart:
                    pipe.hset(entry_key(name), "watched_since", since)
                else:
                    pipe.hsetnx(entry_key(name), "watched_since", since)
            pipe.execute()
    except redis.RedisError as exc:
        logger.warning("The run ledger could not start watching the schedule: %s", exc)


def forget(name: str) -> None:
    """Drop an entry's ledger: it was removed from the schedule."""
    _client().delete(entry_key(name), runs_key(name), order_key(name))
