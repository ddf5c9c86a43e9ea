"""The template's benchmarks: ``make bench``.

Renders the default project, installs it, runs each probe inside it with the
project's own interpreter, and writes the figures to ``docs/benchmarks.json``
(raw) and ``docs/benchmarks.md`` (the report, with the machine and the date).
Every figure sits beside a reference measured in the same run, so the ratio
holds on a noisy machine. Nothing here fails on a slow day: it only reports.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE))
from tests.conftest import render  # noqa: E402  (the tests' own way of rendering)

PROBES = TEMPLATE / "bench" / "probes"
DOCS = TEMPLATE / "docs"


def installed_project(workdir):
    """The default render, with its environment synced by uv."""
    project = render(workdir).project
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True)
    return project


def run_probe(project, probe):
    """Run ``bench/probes/<probe>.py`` inside ``project``; return its JSON figures."""
    result = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), str(PROBES / f"{probe}.py"), project.name],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def describe_machine():
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    redis_version = (
        subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=True)
        .stdout.split()[2]
        .removeprefix("v=")
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "redis": redis_version,
    }


def locks_and_health_section(figures):
    locks, health = figures["locks"], figures["health"]
    seconds = "{median_s} s (max {max_s} s)".format
    return f"""## Locks

One `exclusive(name, ttl=60)` taken and released, on loopback Redis, beside
the naive `SET NX PX` + `DEL` it replaces and a bare `PING`. Mean per call,
median over 5 batches of 2,000.

| operation | µs per call |
|---|---|
| `PING` (one round trip) | {locks["redis_ping_us"]} |
| naive `SET NX PX` + `DEL` | {locks["naive_set_nx_del_us"]} |
| `exclusive`, renewed while held (the default) | {locks["exclusive_us"]} |
| `exclusive(renew=False)` | {locks["exclusive_without_renewal_us"]} |

`exclusive` costs {locks["exclusive_vs_naive"]}x the naive lock, about
{locks["exclusive_per_second"]} acquisitions per second from one process: two
round trips (`SET NX PX`, then the Lua compare-and-delete). Renewal runs on
one shared thread per process, so keeping a lock renewed adds no thread
start-up to each acquisition.

## Health answer time

`python -m <project>.health`, wall time of the whole command over 7 runs,
beside only importing it (interpreter start-up plus imports).

| case | time |
|---|---|
| import only (reference) | {seconds(**health["import_only"])} |
| Redis up | {seconds(**health["redis_up"])} |
| Redis down, connection refused | {seconds(**health["redis_refusing"])} |
| Redis frozen (SIGSTOP: accepts, never answers) | {seconds(**health["redis_frozen"])} |

The command makes one attempt with a 1-second timeout and no retries, so a
frozen Redis costs the import time plus one second. Most of the import time
is redis-py itself, which loads its asyncio client on import.
"""


def write_report(machine, figures):
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks.json").write_text(
        json.dumps({"machine": machine, **figures}, indent=2) + "\n"
    )
    (DOCS / "benchmarks.md").write_text(
        f"""# Benchmarks

Written by `make bench` on {machine["date"]}: {machine["cpu"]}, {machine["cores"]} cores,
{machine["os"]}, Python {machine["python"]}, Redis {machine["redis"]}. Raw figures are in
`benchmarks.json`. Figures move from run to run on a shared machine; compare
each one with its reference in the same table.

{locks_and_health_section(figures["locks_and_health"])}"""
    )


def main():
    if shutil.which("redis-server") is None:
        sys.exit("make bench needs redis-server on the PATH (apt install redis-server)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        project = installed_project(workdir)
        figures = {"locks_and_health": run_probe(project, "locks_and_health")}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    write_report(describe_machine(), figures)
    print(json.dumps(figures, indent=2))
    print(f"Wrote {DOCS / 'benchmarks.md'} and {DOCS / 'benchmarks.json'}")


if __name__ == "__main__":
    main()
