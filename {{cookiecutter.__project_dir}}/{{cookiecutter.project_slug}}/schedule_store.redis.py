"""The schedule as beat runs it, for the schedule command: here, RedBeat's, in Redis.

BEAT_SCHEDULE seeds it each time beat starts (an entry paused here stays
paused); entries added here live in Redis only. Until beat first starts,
the code's entries are listed as beat will store them. Beat reads the
schedule from Redis on every wake-up, so a change made here applies within
BEAT_MAX_LOOP_INTERVAL_SECONDS, without a restart.
"""

from redbeat.schedulers import RedBeatSchedulerEntry, ensure_conf
from redbeat.schedulers import get_redis as redbeat_redis


class UnknownEntry(LookupError):
    pass


def _as_row(entry):
    return {
        "name": entry.name,
        "task": entry.task,
        "schedule": entry.schedule,
        "args": list(entry.args or ()),
        "kwargs": entry.kwargs or {},
        "enabled": entry.enabled,
        "last_run_at": entry.last_run_at,
    }


def _load(app, name):
    ensure_conf(app)
    try:
        entry_key = RedBeatSchedulerEntry.generate_key(app, name)
        return RedBeatSchedulerEntry.from_key(entry_key, app=app)
    except KeyError:
        raise UnknownEntry(name) from None


def _from_code(app, name):
    """A code entry beat has not stored yet, as it will store it."""
    row = _as_row(RedBeatSchedulerEntry(name, app=app, **app.conf.beat_schedule[name]))
    return {**row, "last_run_at": None}


def entries(app):
    """Every entry: name, task, schedule, args, kwargs, enabled and last_run_at."""
    ensure_conf(app)
    stored = set()
    for entry_key in redbeat_redis(app).zrange(app.redbeat_conf.schedule_key, 0, -1):
        try:
            row = _as_row(RedBeatSchedulerEntry.from_key(entry_key, app=app))
        except KeyError:
            continue  # removed while listing
        stored.add(row["name"])
        yield row
    for name in app.conf.beat_schedule:
        if name not in stored:
            yield _from_code(app, name)


def find(app, name):
    try:
        return _as_row(_load(app, name))
    except UnknownEntry:
        return _from_code(app, name) if name in app.conf.beat_schedule else None


def add(app, name, task, schedule, args, kwargs):
    if find(app, name) is not None:
        raise ValueError(f"an entry named {name!r} exists already")
    RedBeatSchedulerEntry(name, task, schedule, args=args, kwargs=kwargs, app=app).save()


def set_enabled(app, name, enabled):
    entry = _load(app, name)
    entry.enabled = enabled
    entry.save()


def remove(app, name):
    _load(app, name).delete()
