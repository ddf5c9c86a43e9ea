"""Lock overhead and health answer time, measured inside a rendered project.

    .venv/bin/python locks_and_health.py SLUG

Run from the project's root with its interpreter; prints one JSON object.
Every figure has a reference measured in the same run: a lock beside the
naive SET NX + DEL it replaces, the health command beside importing it.
"""

import importlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

import project_under_test

support = project_under_test.support()  # the project's own test helpers

LOCK_ROUNDS = 2000
LOCK_BATCHES = 5
HEALTH_RUNS = 7


def microseconds_per_call(function):
    """Median over batches of the mean time of one call, in microseconds."""
    batches = []
    for _ in range(LOCK_BATCHES):
        started = time.perf_counter()
        for _ in range(LOCK_ROUNDS):
            function()
        batches.append((time.perf_counter() - started) / LOCK_ROUNDS * 1e6)
    return round(statistics.median(batches), 1)


def lock_figures(slug):
    locks = importlib.import_module(f"{slug}.locks")
    redis = importlib.import_module(f"{slug}.redis_client").get_redis()

    def ping():
        redis.ping()

    def naive_lock():
        redis.set("bench:naive", "token", nx=True, px=60_000)
        redis.delete("bench:naive")

    def exclusive():
        with locks.exclusive("bench", ttl=60) as acquired:
            assert acquired

    def exclusive_without_renewal():
        with locks.exclusive("bench", ttl=60, renew=False) as acquired:
            assert acquired

    figures = {
        "redis_ping_us": microseconds_per_call(ping),
        "naive_set_nx_del_us": microseconds_per_call(naive_lock),
        "exclusive_us": microseconds_per_call(exclusive),
        "exclusive_without_renewal_us": microseconds_per_call(exclusive_without_renewal),
    }
    figures["exclusive_per_second"] = round(1e6 / figures["exclusive_us"])
    figures["exclusive_vs_naive"] = round(
        figures["exclusive_us"] / figures["naive_set_nx_del_us"], 2
    )
    return figures


def seconds_to_run(command, environment):
    """Median and max wall time of ``command`` over HEALTH_RUNS runs."""
    times = []
    for _ in range(HEALTH_RUNS):
        started = time.perf_counter()
        subprocess.run(command, env={**os.environ, **environment}, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def health_figures(slug, redis_server):
    health = [sys.executable, "-m", f"{slug}.health"]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused_url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
    figures = {
        "import_only": seconds_to_run([sys.executable, "-c", f"import {slug}.health"], {}),
        "redis_up": seconds_to_run(health, {}),
        "redis_refusing": seconds_to_run(health, {"REDIS_URL": refused_url}),
    }
    # A frozen Redis accepts connections and never answers: the worst case.
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        figures["redis_frozen"] = seconds_to_run(health, {})
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    return figures


def main(slug):
    redis_server = support.RedisServer()  # the project's own throwaway redis-server
    os.environ["REDIS_URL"] = redis_server.url
    try:
        print(
            json.dumps(
                {"locks": lock_figures(slug), "health": health_figures(slug, redis_server)},
                indent=2,
            )
        )
    finally:
        redis_server.remove()


if __name__ == "__main__":
    main(sys.argv[1])
