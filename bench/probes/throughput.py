"""What ``single_instance`` costs a task: no-op throughput through a real worker.

    .venv/bin/python throughput.py SLUG

Run from the project's root with its interpreter; prints one JSON object.
Two no-op tasks, one plain and one under ``@single_instance()``, go through
one worker process (concurrency 1, so the decorated task takes and releases
its lock on every run and never skips). Each round sends a batch of one kind
and times it until the worker has finished them all, as the worker itself
counts finished tasks in Redis; rounds alternate between the two kinds, and
the median round of each is kept, so the ratio holds on a noisy machine.
"""

import importlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import project_under_test
from beat_at_scale import cpu_seconds

support = project_under_test.support()  # the project's own test helpers

# Rounds of several seconds each: wait_for polls every 0.1 s, which would
# weigh on short ones.
TASKS_PER_ROUND = 2000
ROUNDS = 7
TASK_MODULE = "bench_noop_tasks"

# Imported by the worker (--include) and by this probe, from a temporary folder.
NOOP_TASKS = """\
from {slug}.celery_app import app
from {slug}.locks import single_instance


@app.task(name="bench.noop")
def noop():
    return None


@app.task(name="bench.noop_single_instance")
@single_instance()
def noop_single_instance():
    return None
"""


def seconds_for_a_round(task, options, worker, recorded=None):
    """Send TASKS_PER_ROUND runs of ``task`` with ``options``; time until the worker ran them.

    ``recorded``, if given, counts what else each run leaves (its record in
    the run ledger, written a moment after the run): the round ends once
    that has all of them too.
    """
    before = support.successful_runs(task)
    recorded_before = recorded() if recorded else 0
    started = time.perf_counter()
    for _ in range(TASKS_PER_ROUND):
        task.apply_async(ignore_result=True, **options)
    support.wait_for(
        lambda: (
            support.successful_runs(task) >= before + TASKS_PER_ROUND
            and (recorded is None or recorded() >= recorded_before + TASKS_PER_ROUND)
        ),
        300,
        lambda: (
            f"the worker did not finish {TASKS_PER_ROUND} runs of {task.name}:\n"
            + worker.log()[-3000:]
        ),
    )
    return time.perf_counter() - started


def redis_cpu_seconds(client):
    """User + system CPU time of the redis-server process, by its own count."""
    cpu = client.info("cpu")
    return cpu["used_cpu_user"] + cpu["used_cpu_sys"]


def tasks_per_second(slug, workdir, cases, recorded=None):
    """Each case's tasks per second, and CPU per task, median of ROUNDS alternating rounds.

    ``cases``: a name for each, and what it sends: the name of a task of
    NOOP_TASKS, and the options it is sent with; ``recorded``, by case name,
    what else a round waits for (``seconds_for_a_round``). Beside each rate, the CPU
    time per task of the worker (its main process and its pool process) and
    of Redis over the same rounds: on a shared machine, less noisy than the
    rate, and it says where the time goes.
    """
    (workdir / f"{TASK_MODULE}.py").write_text(NOOP_TASKS.format(slug=slug))
    sys.path.insert(0, str(workdir))
    environment = {"PYTHONPATH": os.pathsep.join([str(workdir), os.getcwd()])}
    client = importlib.import_module(f"{slug}.redis_client").get_redis()
    worker = support.CeleryProcess(
        ["worker", f"--include={TASK_MODULE}", "--concurrency=1", "--without-gossip"],
        workdir / "worker.log",
        environment,
    )
    try:
        support.wait_for(lambda: support.worker_is_ready(worker), 60, worker.log)
        tasks = importlib.import_module(TASK_MODULE)
        rounds: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
        for _ in range(ROUNDS):
            for name, (task, options) in cases.items():
                worker_cpu = cpu_seconds(worker.process.pid)
                redis_cpu = redis_cpu_seconds(client)
                seconds = seconds_for_a_round(
                    getattr(tasks, task), options, worker, (recorded or {}).get(name)
                )
                rounds[name].append(
                    (
                        seconds,
                        cpu_seconds(worker.process.pid) - worker_cpu,
                        redis_cpu_seconds(client) - redis_cpu,
                    )
                )
        return {name: round_figures(measured) for name, measured in rounds.items()}
    finally:
        worker.stop()


def round_figures(rounds):
    """The median round's rate, and the median CPU milliseconds per task."""
    seconds, worker_cpu, redis_cpu = zip(*rounds, strict=True)
    per_task_ms = 1000 / TASKS_PER_ROUND
    return {
        "per_s": round(TASKS_PER_ROUND / statistics.median(seconds)),
        "worker_cpu_ms_per_task": round(statistics.median(worker_cpu) * per_task_ms, 3),
        "redis_cpu_ms_per_task": round(statistics.median(redis_cpu) * per_task_ms, 3),
    }


def main(slug):
    redis_server = support.RedisServer()
    os.environ["REDIS_URL"] = redis_server.url
    try:
        with tempfile.TemporaryDirectory() as workdir:
            cases: dict[str, tuple[str, dict]] = {
                "plain": ("noop", {}),
                "decorated": ("noop_single_instance", {}),
            }
            rates = tasks_per_second(slug, Path(workdir), cases)
    finally:
        redis_server.remove()
    plain, decorated = rates["plain"]["per_s"], rates["decorated"]["per_s"]
    print(
        json.dumps(
            {
                "tasks_per_round": TASKS_PER_ROUND,
                "rounds": ROUNDS,
                "noop_per_s": plain,
                "single_instance_noop_per_s": decorated,
                "single_instance_keeps": round(decorated / plain, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
