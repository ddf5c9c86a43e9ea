"""What the run ledger costs: a worker's throughput, beat's sends, Redis memory, and its reports.

    .venv/bin/python ledger.py SLUG worker
    .venv/bin/python ledger.py SLUG scheduler

Run from the project's root with its interpreter; prints one JSON object.
Everything runs against a private redis-server (and, in a Django project, a
fresh SQLite database). Each figure has a reference measured in the same run.

``worker``, for any scheduler:

- ``throughput``: a no-op task through one real worker (concurrency 1), sent
  with the ``periodic_task_name`` header, so that each run writes its start
  and its end to the ledger, beside the same task sent without it, which
  leaves the ledger alone; ``throughput.py``'s rounds, alternating.
- ``memory``: Redis's ``used_memory`` per entry as MEMORY_ENTRIES entries
  get run after run, each run written as a worker and beat write it (sent,
  started, finished: three ``ledger.record`` calls), at MEMORY_CHECKPOINTS
  runs each. An entry keeps its last RECENT_RUNS runs, so past them the
  figure must stay flat. The reference is the first checkpoint: an entry
  with a single run.

``scheduler``, for the project's scheduler:

- ``dispatch``: section 3's dispatch latency (``dispatch.py``: a real beat
  and worker, the heartbeat due every second), with the ledger, beside the
  same with every ledger write left out: beat and worker run the project's
  app through LEDGER_OFF_APP, which makes ``ledger.record`` do nothing.
- ``send``: section 8's cost of a send (``send_cost.py``: the scheduler's
  tick in this process, on a frozen clock), with the ledger, beside the same
  with its writes left out; SEND_REPEATS alternating pairs.
- ``reports``: ``python -m SLUG.schedule list`` and ``python -m SLUG.health
  jobs`` as subprocesses, wall time, with REPORT_ENTRIES entries in the
  store and a ledger summary each (one run: one in ten failed, one in ten
  last succeeded a day ago), beside ``python -c pass`` and ``python -m SLUG.health`` (its
  default checks), REPORT_REPEATS times each, interleaved. The entries are
  ``beat_at_scale.py``'s: with the redis scheduler a real beat stores them
  in Redis (and starts watching them in the ledger); with the database
  scheduler they are PeriodicTask rows; with the file scheduler they are
  code, added to BEAT_SCHEDULE by the module beat_at_scale writes, so there
  both commands run through ``runpy`` after importing it, as ``python -m``
  runs them. Then, where that time goes (``work_s``): each step of the
  list, timed in this process, whose imports are done.
"""

import contextlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import project_under_test
from project_under_test import fresh_case, private_services, scheduler_support

WORKER, SCHEDULER = "worker", "scheduler"

ENTRY = "bench-ledger"  # the entry the worker's runs belong to
MEMORY_ENTRIES = 100
MEMORY_CHECKPOINTS = (1, 50, 100, 150, 250)
REPORT_ENTRIES = 10_000
REPORT_REPEATS = 3
SEND_REPEATS = 3
FAILED_EVERY = 10  # one entry in so many has a failed run

LEDGER_OFF_APP = "bench_ledger_off_app"
LEDGER_OFF_APP_SOURCE = """\
# Written by bench/probes/ledger.py: the project's app, with every ledger write left out.
from {slug} import ledger
from {slug}.celery_app import app

ledger.record = lambda *args, **kwargs: None
"""


def slug_module(name):
    return importlib.import_module(f"{project_under_test.package()}.{name}")


@contextlib.contextmanager
def ledger_writes_left_out():
    """``ledger.record`` does nothing in this process for the block."""
    ledger = slug_module("ledger")
    record = ledger.record
    ledger.record = lambda *args, **kwargs: None
    try:
        yield
    finally:
        ledger.record = record


# --- worker -------------------------------------------------------------------------


def throughput(slug, workdir):
    import throughput

    ledger = slug_module("ledger")
    cases = {
        "off": ("noop", {}),
        "on": ("noop", {"headers": {ledger.ENTRY_HEADER: ENTRY}}),
    }

    def recorded():
        return sum((ledger.summaries([ENTRY])[ENTRY].runs or {}).values())

    # A round with the ledger ends once the ledger has every run's end.
    rates = throughput.tasks_per_second(slug, workdir, cases, {"on": recorded})
    return {
        "tasks_per_round": throughput.TASKS_PER_ROUND,
        "rounds": throughput.ROUNDS,
        "off": rates["off"],
        "on": rates["on"],
        "kept": round(rates["on"]["per_s"] / rates["off"]["per_s"], 3),
        # Every run sent with the header, as the ledger counted them.
        "runs_recorded": recorded(),
        "runs_sent_with_header": throughput.TASKS_PER_ROUND * throughput.ROUNDS,
    }


def new_task_id():
    """A task id as Celery makes one (kombu's ``uuid``: a UUID4 as text)."""
    return str(uuid.uuid4())


def write_run(ledger, name, task_id, now, outcome="succeeded", error=""):
    """One run of ``name``, written as beat and a worker write it: sent, started, finished."""
    ledger.record(name, task_id, due_at=now, sent_at=now, expires_at=now + 300, sent_by="beat")
    ledger.record(name, task_id, started_at=now, worker="celery@bench")
    ledger.record(name, task_id, finished_at=now, outcome=outcome, duration=0.0012, error=error)


def used_memory(client):
    return client.info("memory")["used_memory"]


def memory(client):
    """Bytes per entry at each checkpoint, as ``used_memory`` grew from an empty database."""
    ledger = slug_module("ledger")
    client.flushdb()
    # Redis keeps the script once loaded: loaded before the empty database is measured.
    write_run(ledger, "warm-up", new_task_id(), time.time())
    ledger.forget("warm-up")
    empty = used_memory(client)
    names = [f"bench-memory-{number:03d}" for number in range(MEMORY_ENTRIES)]
    per_entry = {}
    written = 0
    for checkpoint in MEMORY_CHECKPOINTS:
        for _ in range(checkpoint - written):
            for name in names:
                write_run(ledger, name, new_task_id(), time.time())
        written = checkpoint
        keys = (ledger.entry_key(names[0]), ledger.runs_key(names[0]), ledger.order_key(names[0]))
        per_entry[str(checkpoint)] = {
            "bytes_per_entry": round((used_memory(client) - empty) / MEMORY_ENTRIES),
            # Redis's own count of one entry's three keys.
            "memory_usage_bytes": sum(client.memory_usage(key, samples=0) for key in keys),
            "runs_kept": min(client.hlen(ledger.runs_key(name)) for name in names),
        }
    return {
        "entries": MEMORY_ENTRIES,
        "recent_runs": ledger.RECENT_RUNS,
        "writes_per_run": 3,
        "runs_written": per_entry,
    }


def measure_worker(slug, workdir):
    client = slug_module("redis_client").get_redis()
    return {"throughput": throughput(slug, workdir), "memory": memory(client)}


# --- scheduler ----------------------------------------------------------------------


def dispatch(slug, workdir):
    """Dispatch latency with the ledger, and with its writes left out."""
    from dispatch import dispatch_latency

    (workdir / f"{LEDGER_OFF_APP}.py").write_text(LEDGER_OFF_APP_SOURCE.format(slug=slug))
    scheduler_support().store_code_schedule()
    environment = scheduler_support().one_second_heartbeat()
    off_environment = {**environment, "PYTHONPATH": os.pathsep.join([str(workdir), os.getcwd()])}
    ledger = slug_module("ledger")
    figures = {}
    for case, case_environment, app in [
        ("on", environment, None),
        ("off", off_environment, LEDGER_OFF_APP),
    ]:
        figures[case] = dispatch_latency(
            slug, workdir / f"dispatch-{case}", [], case_environment, app=app
        )
        # The heartbeat's runs the ledger holds after the case (each case starts
        # on an empty Redis): what says that "off" wrote none.
        figures[case]["ledger_runs"] = len(ledger.history("heartbeat"))
    return figures


@contextlib.contextmanager
def without_ledger(make_scheduler):
    """``make_scheduler``'s scheduler, its ledger writes left out."""
    with ledger_writes_left_out(), make_scheduler as scheduler:
        yield scheduler


def send(slug, workdir):
    """What a send costs beat, with the ledger and with its writes left out.

    SEND_REPEATS pairs, alternating, so that a machine busier for a while
    slows both; each case's figures are those of its run with the median
    tick p50.
    """
    from send_cost import START, measure_sends

    app = slug_module("celery_app").app
    schedule = app.conf.beat_schedule
    client = slug_module("redis_client").get_redis()
    heartbeat = schedule["heartbeat"]
    app.conf.beat_schedule = {"heartbeat": {**heartbeat, "schedule": timedelta(seconds=1)}}
    cases = {
        "on": lambda folder: scheduler_support().scheduler_in_this_process(folder),
        "off": lambda folder: without_ledger(scheduler_support().scheduler_in_this_process(folder)),
    }
    runs: dict[str, list[dict]] = {case: [] for case in cases}
    try:
        for repeat in range(SEND_REPEATS):
            for number, (case, make_scheduler) in enumerate(cases.items()):
                folder = workdir / f"send-{case}-{repeat}"
                fresh_case(folder, {})
                # A day later than the run before, as in send_cost.py, and
                # later than the dispatch's real beats ran: the database keeps
                # the last run each recorded.
                first = max(START, datetime.now(UTC) + timedelta(days=1))
                start = first + timedelta(days=repeat * len(cases) + number)
                runs[case].append(measure_sends(make_scheduler, folder, client, start))
    finally:
        app.conf.beat_schedule = schedule
    return {
        case: sorted(measured, key=lambda run: run["tick_us_p50"])[len(measured) // 2]
        for case, measured in runs.items()
    }


def store_entries(slug, kind, workdir, client):
    """REPORT_ENTRIES entries where the scheduler keeps them; what the commands need to see them.

    Returns the environment the commands run in, and the arguments that run
    a module of the project as ``python -m`` does.
    """
    import beat_at_scale
    from stock_schedulers import project_scheduler

    app = beat_at_scale.load_app(slug)
    if kind == "database":
        rows = beat_at_scale.ScheduleInDatabase(slug, workdir, client, app)
        return rows.prepare(REPORT_ENTRIES, beat_at_scale.FIRST_START), python_m
    code = beat_at_scale.ScheduleInAppConfig(slug, workdir, client)
    environment = code.prepare(REPORT_ENTRIES, beat_at_scale.FIRST_START)
    if kind == "file":
        # The schedule is code: the commands see the entries beat_at_scale adds to it.
        return environment, through_bench_app
    # RedBeat: a real beat stores every entry in Redis, then stops.
    run_dir = workdir / "store-entries"
    run_dir.mkdir()
    beat, _ = beat_at_scale.start_beat(
        beat_at_scale.BENCH_APP,
        project_scheduler(app)[0],
        run_dir / "beat.log",
        {**environment, "STATE_DIR": str(run_dir)},
    )
    try:
        beat_at_scale.wait_until_ready(beat, beat_at_scale.FIRST_START)
    finally:
        beat.stop()
    return {}, python_m


def python_m(module, *arguments):
    return ["-m", f"{project_under_test.package()}.{module}", *arguments]


def through_bench_app(module, *arguments):
    """``python -m`` as ``runpy`` does it, after importing beat_at_scale's app module."""
    import beat_at_scale

    module = f"{project_under_test.package()}.{module}"
    return [
        "-c",
        f"import {beat_at_scale.BENCH_APP}, runpy; "
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)",
        *arguments,
    ]


def seed_summaries(names, client):
    """A run each: one in FAILED_EVERY failed, one in FAILED_EVERY last succeeded a day ago.

    The others succeeded just now, within their grace, so judging them needs
    no due time; the day-old ones make their status ask their schedule.
    """
    ledger = slug_module("ledger")
    now = time.time()
    for number, name in enumerate(names):
        if number % FAILED_EVERY:
            write_run(ledger, name, new_task_id(), now)
        else:
            write_run(ledger, name, new_task_id(), now, "failed", "RuntimeError: a bench failure")
        if number % FAILED_EVERY == 1:
            day_ago = now - 86400
            client.hset(
                ledger.entry_key(name),
                mapping={"last_success_at": day_ago, "watched_since": day_ago},
            )


def listed_entries(result):
    return result.stdout.count("\n  task:     ")


def jobs_entries(result):
    return json.loads(result.stdout)["checks"]["jobs"]["entries"]


def reports(slug, kind, workdir):
    """Wall time of the two reports at REPORT_ENTRIES entries, beside the references."""
    import beat_at_scale

    client = slug_module("redis_client").get_redis()
    environment, command = store_entries(slug, kind, workdir, client)
    names = list(beat_at_scale.bench_schedule(REPORT_ENTRIES, "", datetime.now(UTC)))
    seed_summaries(names, client)
    # What each runs, and what says that it saw every entry (None: nothing to see).
    commands = {
        "schedule_list": (command("schedule", "list"), listed_entries),
        "health_jobs": (command("health", "jobs"), jobs_entries),
        "health": (python_m("health"), None),
        "python": (["-c", "pass"], None),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    seen = {}
    for _ in range(REPORT_REPEATS):
        for name, (arguments, count) in commands.items():
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, *arguments],
                env={**os.environ, **environment},
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
            times[name].append(time.perf_counter() - started)
            # health exits 1 when unhealthy: no beat runs here, and some entries failed.
            if result.returncode not in (0, 1) or (count and count(result) < REPORT_ENTRIES):
                raise RuntimeError(f"{name} failed ({result.returncode}):\n{result.stderr[-3000:]}")
            if count:
                seen[name] = count(result)
    figures = {
        name: {"median_s": round(statistics.median(runs), 3), "max_s": round(max(runs), 3)}
        for name, runs in times.items()
    }
    for name, entries in seen.items():
        figures[name]["entries"] = entries
    return {
        "entries": REPORT_ENTRIES,
        "repeats": REPORT_REPEATS,
        **figures,
        "work_s": report_work(slug, kind, environment),
    }


def report_work(slug, kind, environment):
    """Where the list's time goes: each step it takes, in this process, imports aside.

    The schedule command's ``list`` reads the store's entries, their ledger
    summaries, judges each entry's status, then prints each one's schedule
    in words and its next run; ``health jobs`` takes the first three steps.
    """
    from beat_at_scale import add_bench_entries

    app = slug_module("celery_app").app
    jobs, job_status, ledger = slug_module("jobs"), slug_module("job_status"), slug_module("ledger")
    timetable = slug_module("timetable")
    schedule = app.conf.beat_schedule
    variables = dict(os.environ)
    try:
        if kind == "file":
            os.environ.update(environment)
            add_bench_entries(app)  # as the module the commands imported did
        steps = {}
        started = time.perf_counter()

        def step(name):
            nonlocal started
            steps[name] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()

        entries = jobs.open_schedule_store().entries()
        step("store_entries")
        summaries = ledger.summaries(entry.name for entry in entries)
        step("ledger_summaries")
        now = app.now()
        for entry in entries:
            job_status.judge(entry, summaries[entry.name], now)
        step("statuses")
        for entry in entries:
            timetable.describe(entry.schedule)
        step("schedules_in_words")
        for entry in entries:
            timetable.next_run(entry.schedule, now, entry.last_run.at)
        step("next_runs")
        return steps
    finally:
        app.conf.beat_schedule = schedule
        os.environ.clear()
        os.environ.update(variables)


def measure_scheduler(slug, workdir):
    from stock_schedulers import project_scheduler

    kind = project_scheduler(slug_module("celery_app").app)[1]
    return {
        "scheduler": kind,
        "dispatch": dispatch(slug, workdir),
        "send": send(slug, workdir),
        "reports": reports(slug, kind, workdir),
    }


def main(slug, part):
    measure = {WORKER: measure_worker, SCHEDULER: measure_scheduler}[part]
    with private_services("bench-ledger-") as workdir:
        figures = measure(slug, workdir)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main(*sys.argv[1:3])
