"""How soon worker, beat and health recover when Redis Sentinel fails over, per scheduler.

    .venv/bin/python failover.py SLUG

Run from the project's root with its interpreter; prints one JSON object.
TRIALS times: a primary, its replica and three sentinels on loopback (the
tests' ReplicatedRedis, the sentinels counting a primary down after 1 s);
a worker and a beat pointed at the sentinels, the heartbeat due every
second. Once health is green, the primary is killed with SIGKILL. From
that moment, each figure runs to:

- the sentinels: the first moment a sentinel names the replica as the
  primary (the reference: nothing that asks the sentinels can be back
  sooner);
- beat: its first "Sending due task" line after the kill, by its log stamp;
- worker: the first heartbeat a worker ran after the kill (``ran_at``);
- health: ``python -m <project>.health`` green again, naming the new primary.

Then, over the whole trial, from the run ledger: heartbeats sent twice for
one due time; runs that expired (each is due a second, and goes stale while
the worker reconnects); and runs sent that no worker started and that did
not expire either: lost with the primary (the last second's runs left out).
"""

import collections
import importlib
import json
import statistics
import sys
import time

import project_under_test
import redis
from project_under_test import alive, fresh_case, log_times, scheduler_support

support = project_under_test.support()

TRIALS = 3
RECOVERIES = ("sentinels", "beat", "worker", "health")
COUNTS = ("runs", "sent_twice", "expired", "lost")
SENDING = "Sending due task heartbeat"


def first(condition, what, log):
    """When ``condition`` first held (polled every 50 ms), in seconds since the epoch."""

    def holds():
        return time.time() if condition() else None

    return support.wait_for(holds, 60, lambda: f"{what} never came\n{log()}")


def health_names(environment, port):
    result, _ = support.run_health(**environment)
    if result.returncode != 0:
        return False
    return json.loads(result.stdout)["checks"]["redis"].get("primary") == f"127.0.0.1:{port}"


def one_failover(folder, environment):
    """Kill the primary under a worker and a beat: what recovered when; what the ledger has."""
    servers = support.ReplicatedRedis(folder)
    environment = {**environment, **servers.environment}
    worker = support.CeleryProcess(
        ["worker", "--without-gossip", "--without-mingle"], folder / "worker.log", environment
    )
    beat = support.CeleryProcess(["beat"], folder / "beat.log", environment)
    try:
        primary, replica = servers.primary.port, servers.replica.port
        support.wait_for(lambda: health_names(environment, primary), 60, beat.log)
        time.sleep(2)  # a few heartbeats on the first primary
        killed = time.time()
        servers.primary.process.kill()
        sentinel = redis.Redis(port=servers.sentinels[0].port, decode_responses=True)

        def promoted():
            address = sentinel.sentinel_get_master_addr_by_name(support.PRIMARY_NAME)
            return address is not None and int(address[1]) == replica

        sentinels_at = first(promoted, "the promotion", beat.log)
        client = servers.client()

        def heartbeat_ran():
            alive(worker)
            ran_at = client.hget(f"{project_under_test.package()}:heartbeat", "ran_at")
            return float(ran_at or 0) > killed

        def beat_sent():
            alive(beat)
            return any(sent > killed for sent in log_times(beat.log(), SENDING))

        health_at = first(lambda: health_names(environment, replica), "health", beat.log)
        worker_at = first(heartbeat_ran, "a heartbeat run", worker.log)
        first(beat_sent, "a send", beat.log)
        beat_at = min(sent for sent in log_times(beat.log(), SENDING) if sent > killed)
        time.sleep(3)  # the runs sent just now have time to start
        ledger = importlib.import_module(f"{project_under_test.package()}.ledger")
        runs = ledger.history("heartbeat", client)
    finally:
        beat.stop()
        worker.stop()
        servers.remove()
    settled = time.time() - 1.5
    due = collections.Counter(run.get("due_at") for run in runs)
    return {
        "sentinels_s": sentinels_at - killed,
        "beat_s": beat_at - killed,
        "worker_s": worker_at - killed,
        "health_s": health_at - killed,
        "sent_twice": sum(count - 1 for count in due.values() if count > 1),
        # Expired: sent while the worker was away, due a second, gone stale.
        "expired": sum(1 for run in runs if run.get("outcome") == "expired"),
        "lost": sum(
            1
            for run in runs
            if run["sent_at"] < settled and "started_at" not in run and "outcome" not in run
        ),
        "runs": len(runs),
    }


def summary(trials, name):
    values = [trial[name] for trial in trials]
    return {"median_s": round(statistics.median(values), 2), "max_s": round(max(values), 2)}


def main(slug):
    with project_under_test.private_services("bench-failover-") as workdir:
        environment = scheduler_support().one_second_heartbeat()
        trials = [
            one_failover(workdir / f"trial-{n}", fresh_case(workdir / f"trial-{n}", environment))
            for n in range(TRIALS)
        ]
    figures = {
        "trials": TRIALS,
        "down_after_ms": support.DOWN_AFTER_MS,
        **{name: summary(trials, f"{name}_s") for name in RECOVERIES},
        **{name: sum(trial[name] for trial in trials) for name in COUNTS},
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
