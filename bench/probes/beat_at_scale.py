"""Beat with 10, 1,000 and 10,000 schedule entries: start-up, CPU and memory.

    .venv/bin/python beat_at_scale.py SLUG

Run from the project's root with its interpreter; prints one JSON object.
Each size runs twice, one after the other: with the project's scheduler
(leader lock and all), then with the upstream class it extends
(``celery.beat:PersistentScheduler``, ``redbeat.schedulers:RedBeatScheduler``
or ``django_celery_beat.schedulers:DatabaseScheduler``) as the reference.
Each run first starts beat on nothing (an empty private Redis, an empty
STATE_DIR, a freshly migrated SQLite database), then restarts it.

The entries: half interval (every 5 to 60 minutes), half hourly crontab at
minutes spread over the hour. Interval entries first fall due one period
after beat starts, and no crontab minute falls in the few minutes a run
lasts, so during the measurement beat waits rather than sends, as it does
most of the time. The project's own entries stay in the schedule. The file
and redis schedulers get theirs in ``beat_schedule``, through a small app
module this probe writes (the project is not edited); the database
scheduler reads them as PeriodicTask rows.

What is measured, for the beat process (and its children, if any):

- ``startup_s``: from starting ``celery beat`` until its log says
  ``Sending due task bench-ready``. That entry, the only one due at start,
  is sent on beat's first tick, so the figure covers the imports, the
  leader lock, loading or storing every entry, and one full pass over the
  schedule: beat is then ready to send. The log is read every 0.1 s.
- ``restart_s``: the same, for a second beat started after the first one
  stopped, on the schedule it left behind (a deploy), with a ready entry
  of its own (``bench-ready-again``).
- ``cpu_s_per_min``: user + system CPU seconds (``/proc/<pid>/stat``) over
  WINDOW_SECONDS, starting SETTLE_SECONDS after start-up, scaled to a
  minute; ``core_percent`` is the same as a share of one core.
- ``wakeups_per_min``: voluntary context switches of all its threads over
  the same window: each sleep, and each wait for a Redis or database reply.
- ``rss_mib`` and ``peak_rss_mib``: VmRSS at the end of the window, VmHWM.
- ``sent_while_measured``: tasks sent during the window, to show that it
  measured waiting (the project's heartbeat is sent once a minute).

Work that comes less often than the window is not in the CPU figure:
Celery's file scheduler writes its state file every 3 minutes, and
django-celery-beat reloads every row every 5 minutes. Stock
PersistentScheduler may sleep for a whole minute (the project's
beat_max_loop_interval with the file scheduler), so over the window its
figure may be zero.
"""

import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

from stock_schedulers import STOCK_SCHEDULERS, project_scheduler

SIZES = (10, 1_000, 10_000)
SETTLE_SECONDS = 5
WINDOW_SECONDS = 30
READY_TIMEOUT_SECONDS = 180

# Each start has a ready entry of its own: the last start's was sent already.
FIRST_START, RESTART = "bench-ready", "bench-ready-again"
INTERVAL_MINUTES = (5, 10, 15, 20, 30, 60)
# No crontab entry falls in the current minute or the next QUIET_MINUTES:
# longer than one run takes, so no run measures a burst of sends.
QUIET_MINUTES = 4

# Beat reads from these how many entries to add, the time their quiet
# minutes start from (the same for a restart, so it finds the same
# schedule), and the ready entry's name (see add_bench_entries).
ENTRIES_VARIABLE = "BENCH_BEAT_ENTRIES"
QUIET_FROM_VARIABLE = "BENCH_BEAT_QUIET_FROM"
READY_VARIABLE = "BENCH_BEAT_READY_ENTRY"
BENCH_APP = "beat_at_scale_app"
BENCH_APP_SOURCE = """\
# Written by bench/probes/beat_at_scale.py: the project's app, its schedule grown.
from beat_at_scale import add_bench_entries
from {slug}.celery_app import app

add_bench_entries(app)
"""

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Beat imports this module too (for add_bench_entries), so the tests' helpers
# (project_under_test), which bring pytest along, are imported inside the
# functions that use them: imported up here, pytest would count in the memory
# measured for beat.


# --- The schedule (also imported by beat, through BENCH_APP_SOURCE) ---------


def quiet_crontab_minutes(now):
    """The minutes of the hour outside the current one and the QUIET_MINUTES after it."""
    quiet = {(now.minute + offset) % 60 for offset in range(-1, QUIET_MINUTES + 1)}
    return [minute for minute in range(60) if minute not in quiet]


def bench_schedule(size, task, now):
    """``size`` entries spread over the hour, none due in the next QUIET_MINUTES."""
    from celery.schedules import crontab

    minutes = quiet_crontab_minutes(now)
    schedule = {}
    for number in range(size):
        if number % 2:
            when = crontab(minute=minutes[number // 2 % len(minutes)])
        else:
            when = timedelta(minutes=INTERVAL_MINUTES[number // 2 % len(INTERVAL_MINUTES)])
        schedule[f"bench-{number:05d}"] = {
            "task": task,
            "schedule": when,
            "options": {"expires": 300},
        }
    return schedule


def ready_entry(task, now):
    """The entry whose sending says beat is ready: due at once, then in an hour."""
    return {"task": task, "schedule": timedelta(hours=1), "last_run_at": now - timedelta(hours=2)}


def bench_task(app):
    """The task every entry sends: the project's heartbeat, harmless and quick."""
    return f"{app.main}.tasks.heartbeat.heartbeat"


def add_bench_entries(app):
    """Add the entries the environment asks for to the app's beat_schedule."""
    task, quiet_from = bench_task(app), datetime.fromisoformat(os.environ[QUIET_FROM_VARIABLE])
    added = bench_schedule(int(os.environ[ENTRIES_VARIABLE]), task, quiet_from)
    added[os.environ[READY_VARIABLE]] = ready_entry(task, datetime.now(UTC))
    app.conf.beat_schedule = {**app.conf.beat_schedule, **added}


# --- /proc --------------------------------------------------------------------


def children_of(pid):
    """Every live descendant of ``pid``."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        if parent == pid:
            child = int(stat.parent.name)
            children += [child, *children_of(child)]
    return children


def process_tree(pid):
    return [pid, *children_of(pid)]


def cpu_seconds(pid):
    """User + system CPU time of ``pid`` and its children, live or reaped."""
    clock_ticks = 0
    for process in process_tree(pid):
        # After the ")" that closes the command name: utime, stime, cutime
        # and cstime are the 12th to 15th fields.
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        clock_ticks += sum(int(field) for field in fields[11:15])
    return clock_ticks / CLOCK_TICKS


def status_values(pid, name):
    """The ``name:`` values of /proc/<pid>/status of every process of the tree."""
    values = []
    for process in process_tree(pid):
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                values.append(int(line.split()[1]))
    return values


def memory_mib(pid, name):
    return round(sum(status_values(pid, name)) / 1024, 1)


def voluntary_switches(pid):
    """How many times the threads of ``pid`` blocked (slept, or waited for a reply) and woke."""
    switches = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        for line in status.read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                switches += int(line.split()[1])
    return switches


# --- One beat run ---------------------------------------------------------------


def sent_count(beat):
    return beat.log().count("Sending due task")


def wait_until_ready(beat, ready_name):
    """Return once beat has sent ``ready_name``: its first tick is done."""
    from project_under_test import support

    def ready():
        if beat.process.poll() is not None:
            raise RuntimeError(f"beat exited before its first tick:\n{beat.log()[-3000:]}")
        return f"Sending due task {ready_name}" in beat.log()

    support().wait_for(ready, READY_TIMEOUT_SECONDS, lambda: f"beat never sent {ready_name}")


def steady_state(beat):
    """CPU, wake-ups and sends over WINDOW_SECONDS, per minute; memory at its end."""
    pid = beat.process.pid
    time.sleep(SETTLE_SECONDS)
    cpu, wakeups, sent = cpu_seconds(pid), voluntary_switches(pid), sent_count(beat)
    time.sleep(WINDOW_SECONDS)
    per_minute = 60 / WINDOW_SECONDS
    cpu_per_minute = (cpu_seconds(pid) - cpu) * per_minute
    return {
        "cpu_s_per_min": round(cpu_per_minute, 2),
        "core_percent": round(cpu_per_minute / 60 * 100, 2),
        "wakeups_per_min": round((voluntary_switches(pid) - wakeups) * per_minute),
        "rss_mib": memory_mib(pid, "VmRSS"),
        "peak_rss_mib": memory_mib(pid, "VmHWM"),
        "sent_while_measured": sent_count(beat) - sent,
    }


def start_beat(app_module, scheduler, log_path, environment):
    """``celery beat``, and the monotonic time just before it started."""
    from project_under_test import support

    started = time.monotonic()
    beat = support().ProjectProcess(
        ["celery", "-A", app_module, "beat", "--loglevel=INFO", "--scheduler", scheduler],
        log_path,
        environment,
    )
    return beat, started


def measure_beat(entries, scheduler, size, run_dir):
    """Start beat on nothing and measure it; stop it; time a restart on what it left."""
    state_dir = run_dir / "state"
    # Stock PersistentScheduler does not create its state file's folder.
    state_dir.mkdir(parents=True)
    first_start = {**entries.prepare(size, FIRST_START), "STATE_DIR": str(state_dir)}
    beat, started = start_beat(entries.app_module, scheduler, run_dir / "beat.log", first_start)
    try:
        wait_until_ready(beat, FIRST_START)
        startup_s = round(time.monotonic() - started, 2)
        steady = steady_state(beat)
    finally:
        beat.stop()
    # A deploy restarts beat on its stored schedule: RedBeat's entries in
    # Redis, the state file, the rows. That start may cost another amount.
    restart = {**entries.add_ready_entry(RESTART), "STATE_DIR": str(state_dir)}
    beat, started = start_beat(entries.app_module, scheduler, run_dir / "restart.log", restart)
    try:
        wait_until_ready(beat, RESTART)
        restart_s = round(time.monotonic() - started, 2)
    finally:
        beat.stop()
    return {"startup_s": startup_s, "restart_s": restart_s, **steady}


# --- Where each scheduler finds its entries --------------------------------------


class ScheduleInAppConfig:
    """The file and redis schedulers: entries in beat_schedule, via BENCH_APP."""

    def __init__(self, slug, workdir, redis):
        self.redis = redis
        self.app_module = BENCH_APP
        (workdir / f"{BENCH_APP}.py").write_text(BENCH_APP_SOURCE.format(slug=slug))
        # Beat imports BENCH_APP from workdir, and add_bench_entries from here.
        self.pythonpath = os.pathsep.join([str(workdir), str(Path(__file__).resolve().parent)])
        self.schedule_environment = {}

    def prepare(self, size, ready_name):
        """A clean start: no leader lock, no RedBeat entries; return beat's environment."""
        self.redis.flushdb()
        self.schedule_environment = {
            ENTRIES_VARIABLE: str(size),
            QUIET_FROM_VARIABLE: datetime.now(UTC).isoformat(),
        }
        return self.add_ready_entry(ready_name)

    def add_ready_entry(self, ready_name):
        """The same entries and a new ready entry, for the next start of beat."""
        return {
            **self.schedule_environment,
            READY_VARIABLE: ready_name,
            "PYTHONPATH": self.pythonpath,
        }


class ScheduleInDatabase:
    """The database scheduler: entries as PeriodicTask rows, in a fresh SQLite file."""

    def __init__(self, slug, workdir, redis, app):
        from django.core.management import call_command
        from django.db import connection

        self.redis, self.app = redis, app
        self.app_module = f"{slug}.celery_app"
        self.database = Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
        call_command("migrate", verbosity=0)
        connection.close()
        self.migrated = workdir / "migrated.sqlite3"
        shutil.copy(self.database, self.migrated)

    def prepare(self, size, ready_name):
        """A clean start: a fresh database holding ``size`` entries; return beat's environment."""
        from django.db import connection

        self.redis.flushdb()
        connection.close()
        for leftover in self.database.parent.glob(f"{self.database.name}-*"):
            leftover.unlink()  # the last beat's SQLite journal files
        shutil.copy(self.migrated, self.database)
        self.store(bench_schedule(size, bench_task(self.app), datetime.now(UTC)))
        return self.add_ready_entry(ready_name)

    def add_ready_entry(self, ready_name):
        """Store a new ready entry, for the next start of beat."""
        self.store({ready_name: ready_entry(bench_task(self.app), datetime.now(UTC))})
        return {}

    def store(self, schedule):
        from django.db import connection
        from django_celery_beat.models import PeriodicTask, PeriodicTasks

        # In bulk: saved one by one, 10,000 rows would take longer than beat.
        PeriodicTask.objects.bulk_create(periodic_tasks(schedule, self.app), batch_size=500)
        PeriodicTasks.update_changed()
        connection.close()


def periodic_tasks(schedule, app):
    """Unsaved PeriodicTask rows for ``schedule``, one saved schedule row per distinct one."""
    from django_celery_beat.models import PeriodicTask

    # The project's own way of storing a schedule (sync_periodic_tasks uses it).
    stored_schedule = import_module(f"{app.main}.schedule_sync").stored_schedule
    stored = {}
    rows = []
    for name, entry in schedule.items():
        key = repr(entry["schedule"])
        if key not in stored:
            stored[key] = stored_schedule(entry["schedule"], app)
        field_name, schedule_row = stored[key]
        rows.append(
            PeriodicTask(
                name=name,
                task=entry["task"],
                expire_seconds=entry.get("options", {}).get("expires"),
                last_run_at=entry.get("last_run_at"),
                **{field_name: schedule_row},
            )
        )
    return rows


# --- The whole probe ---------------------------------------------------------------


def project_environment(workdir, redis_url):
    """What every process here needs: the tests' settings (UTC among them), the private Redis.

    UTC because the quiet crontab minutes are worked out in UTC.
    """
    from project_under_test import is_django, test_environment

    environment = {**test_environment(), "REDIS_URL": redis_url, "STATE_DIR": str(workdir)}
    if is_django():
        environment["DATABASE_URL"] = f"sqlite:///{workdir / 'beat.sqlite3'}"
    return environment


def load_app(slug):
    if "DJANGO_SETTINGS_MODULE" in os.environ:
        import django

        django.setup()
    return import_module(f"{slug}.celery_app").app


def measure(slug, workdir, redis):
    app = load_app(slug)
    our_scheduler, kind = project_scheduler(app)
    upstream_scheduler = STOCK_SCHEDULERS[kind]
    entries: ScheduleInDatabase | ScheduleInAppConfig
    if kind == "database":
        entries = ScheduleInDatabase(slug, workdir, redis, app)
    else:
        entries = ScheduleInAppConfig(slug, workdir, redis)
    project: dict[str, dict[str, Any]] = {}
    reference: dict[str, dict[str, Any]] = {}
    # Project and reference side by side, size by size: a machine that gets
    # busier during the probe slows both alike.
    for size in SIZES:
        for scheduler, figures in ((our_scheduler, project), (upstream_scheduler, reference)):
            run_dir = workdir / f"{scheduler.rsplit(':', 1)[1]}-{size}"
            figures[str(size)] = measure_beat(entries, scheduler, size, run_dir)
    return {
        "scheduler": kind,
        "scheduler_class": our_scheduler,
        "window_s": WINDOW_SECONDS,
        "sizes": project,
        "reference": {"scheduler_class": upstream_scheduler, "sizes": reference},
    }


def main(slug):
    from project_under_test import support

    workdir = Path(tempfile.mkdtemp(prefix="beat-at-scale-"))
    redis_server = support().RedisServer()  # the project's own throwaway redis-server
    try:
        # Before the project is imported: its settings read the environment once.
        os.environ.update(project_environment(workdir, redis_server.url))
        redis = import_module(f"{slug}.redis_client").get_redis()
        print(json.dumps(measure(slug, workdir, redis), indent=2))
    finally:
        redis_server.remove()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
