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
from typing import Any

import project_under_test

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


def seconds_for_a_round(task):
    """Send TASKS_PER_ROUND runs of ``task``; time until the worker finished them all."""
    before = support.successful_runs(task)
    started = time.perf_counter()
    for _ in range(TASKS_PER_ROUND):
        task.apply_async(ignore_result=True)
    support.wait_for(
        lambda: support.successful_runs(task) >= before + TASKS_PER_ROUND,
        300,
        f"the worker did not finish {TASKS_PER_ROUND} runs of {task.name}",
    )
    return time.perf_counter() - started


def tasks_per_second(slug, workdir):
    (workdir / f"{TASK_MODULE}.py").write_text(NOOP_TASKS.format(slug=slug))
    sys.path.insert(0, str(workdir))
    environment = {"PYTHONPATH": os.pathsep.join([str(workdir), os.getcwd()])}
    worker = support.CeleryProcess(
        ["worker", f"--include={TASK_MODULE}", "--concurrency=1", "--without-gossip"],
        workdir / "worker.log",
        environment,
    )
    try:
        support.wait_for(lambda: support.worker_is_ready(worker), 60, worker.log)
        tasks = importlib.import_module(TASK_MODULE)
        rounds: dict[Any, list[float]] = {tasks.noop: [], tasks.noop_single_instance: []}
        for _ in range(ROUNDS):
            for task, times in rounds.items():
                times.append(seconds_for_a_round(task))
        return {
            task.name: round(TASKS_PER_ROUND / statistics.median(times))
            for task, times in rounds.items()
        }
    finally:
        worker.stop()


def main(slug):
    redis_server = support.RedisServer()
    os.environ["REDIS_URL"] = redis_server.url
    try:
        with tempfile.TemporaryDirectory() as workdir:
            rates = tasks_per_second(slug, Path(workdir))
    finally:
        redis_server.remove()
    plain, decorated = rates["bench.noop"], rates["bench.noop_single_instance"]
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
