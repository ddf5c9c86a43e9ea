"""The template's benchmarks: ``make bench``.

Measures what issue 7 asks, each figure beside a reference taken in the same
run, so the ratio holds on a noisy machine:

1. a render of every option combination (``template_figures``);
2. scaffold to green per flavour: render, ``make install``, the generated suite;
3. and 4. dispatch latency and schedule change pickup, per scheduler
   (``probes/dispatch.py``);
5. lock overhead: no-op throughput with and without ``single_instance``
   (``probes/throughput.py``) and ``exclusive`` acquisitions per second;
6. beat with 10, 1,000 and 10,000 entries, per scheduler
   (``probes/beat_at_scale.py``);
7. health answer time with Redis up and down (``probes/locks_and_health.py``);
8. takeover by a standby beat after the leader is killed or stopped
   (``probes/takeover.py``), and what writing each run down costs a send
   (``probes/send_cost.py``), per scheduler, with the dispatch p99 of the
   last report beside this run's;
9. the run ledger (``probes/ledger.py``): a worker's throughput with and
   without it, dispatch latency and a send's cost with its writes and
   without, Redis memory per entry, and ``schedule list`` and ``health
   jobs`` at 10,000 entries, per scheduler.

11. Redis Sentinel (``probes/failover.py``): how soon worker, beat and
    health recover when the primary is killed, per scheduler, and runs sent
    twice or lost.

``python bench/run.py ledger`` measures only section 9, in projects rendered
for it, and keeps the other sections' figures from ``docs/benchmarks.json``;
``scaffold`` only section 2, ``failover`` only section 11. ``first-heartbeat``
(section 10), from a fresh clone to the demo's first heartbeat, runs only on
its own, on a machine without redis-server.

Probes run inside a rendered, installed project with its own interpreter and
print JSON. The figures go to ``docs/benchmarks.json`` (raw) and
``docs/benchmarks.md`` (the report, with the machine and the date). Nothing
here fails on a slow day: it only reports.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
# The bench renders as the tests do, from their own helpers.
sys.path[:0] = [str(TEMPLATE), str(TEMPLATE / "tests")]
from conftest import render  # noqa: E402
from options import flavour_defaults, scheduler_defaults  # noqa: E402

from bench import report, template_figures  # noqa: E402

PROBES = TEMPLATE / "bench" / "probes"
DOCS = TEMPLATE / "docs"


def installed_project(workdir, **answers):
    """A render, installed as its README says (``make install``)."""
    project = render(workdir, **answers).project
    subprocess.run(["make", "install"], cwd=project, check=True, capture_output=True)
    return project


def installed_projects(workdir):
    """A render of each scheduler, installed, by scheduler."""
    return {
        scheduler: installed_project(workdir / scheduler, **answers)
        for scheduler, answers in scheduler_defaults().items()
    }


def run_probe(project, probe, *arguments):
    """Run ``bench/probes/<probe>.py ARGUMENTS`` inside ``project``; return its JSON figures."""
    print(f"  {' '.join([probe, *arguments])} in {project.parent.name}", flush=True)
    result = subprocess.run(
        [
            *(str(project / ".venv" / "bin" / "python"), str(PROBES / f"{probe}.py")),
            *(project.name, *arguments),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"probe {probe} failed in {project}:\n{result.stderr[-3000:]}")
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


def previous_figures():
    """The last report's date and dispatch p99 per scheduler, to show beside this run's."""
    raw = DOCS / "benchmarks.json"
    if not raw.exists():
        return None
    last = json.loads(raw.read_text())
    return {
        "date": last["machine"]["date"],
        "dispatch_p99_ms": {
            scheduler: figures["dispatch"]["project"]["p99_ms"]
            for scheduler, figures in last["dispatch"].items()
        },
    }


def measure(workdir, save):
    """Take every figure, saving the raw ones after each part: a long run keeps what it has."""
    figures = {"machine": describe_machine(), "previous": previous_figures()}
    print("1. rendering every combination", flush=True)
    figures["render"] = template_figures.render_times()
    save(figures)
    print("2. scaffold to green", flush=True)
    figures["scaffold"] = measure_scaffold()
    save(figures)
    print("3-9. probes in rendered projects", flush=True)
    projects = installed_projects(workdir)
    figures["locks_and_health"] = run_probe(projects["file"], "locks_and_health")
    figures["throughput"] = run_probe(projects["file"], "throughput")
    save(figures)
    for probe in ["dispatch", "beat_at_scale", "takeover", "send_cost"]:
        figures[probe] = {
            scheduler: run_probe(project, probe) for scheduler, project in projects.items()
        }
        save(figures)
    figures["ledger"] = measure_ledger(projects)
    save(figures)
    figures["failover"] = measure_failover(projects)
    save(figures)
    return figures


def measure_failover(projects):
    """Section 11: a Sentinel failover under a worker and a beat, per scheduler."""
    return {scheduler: run_probe(project, "failover") for scheduler, project in projects.items()}


def measure_ledger(projects):
    """Section 9: a worker's part in the file scheduler's project, beat's part in each."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "worker": run_probe(projects["file"], "ledger", "worker"),
        "schedulers": {
            scheduler: run_probe(project, "ledger", "scheduler")
            for scheduler, project in projects.items()
        },
    }


def measure_scaffold():
    """Section 2: scaffold to green, per flavour."""
    return {
        name: template_figures.scaffold_times(answers)
        for name, answers in flavour_defaults().items()
    }


# What can be measured on its own (``python bench/run.py NAME``): its section's
# number, and what measures it, given a folder to work in.
PARTS = {
    "scaffold": (2, lambda workdir: measure_scaffold()),
    "ledger": (9, lambda workdir: measure_ledger(installed_projects(workdir))),
    "failover": (11, lambda workdir: measure_failover(installed_projects(workdir))),
    # Only on its own: it needs a machine without redis-server.
    "first-heartbeat": (10, lambda workdir: template_figures.first_heartbeat_times()),
}


def measure_parts(names, workdir, save):
    """Only the named parts, into the figures of the last run; a note says when each was taken."""
    figures = json.loads((DOCS / "benchmarks.json").read_text())
    for name in names:
        section, measure_part = PARTS[name]
        print(f"{section}. {name}", flush=True)
        figures[name] = measure_part(workdir)
        # After the part: first-heartbeat starts on a machine without redis-server.
        machine = describe_machine()
        fields = ("cpu", "cores", "redis")
        same = all(machine[field] == figures["machine"][field] for field in fields)
        where = "" if same else f" on another machine ({machine['cpu']}, {machine['cores']} cores)"
        figures.setdefault("notes", {})[name] = textwrap.fill(
            f"Section {section} was measured on {machine['date']}{where}, on its "
            f"own (`python bench/run.py {name}`), with the code of that day; the other "
            f"sections come from the run above.",
            width=76,
        )
        save(figures)
    return figures


def save_raw(figures):
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks.json").write_text(json.dumps(figures, indent=2) + "\n")


def write_report(figures):
    (DOCS / "benchmarks.md").write_text(report.markdown(figures))
    print(f"Wrote {DOCS / 'benchmarks.md'} and {DOCS / 'benchmarks.json'}")


def main():
    if "--report-only" in sys.argv:
        # The report again from the raw figures of the last run, after editing report.py.
        write_report(json.loads((DOCS / "benchmarks.json").read_text()))
        return
    names = [argument for argument in sys.argv[1:] if not argument.startswith("-")]
    unknown = [name for name in names if name not in PARTS]
    if unknown:
        sys.exit(f"no part {unknown[0]!r} to measure on its own; choose from {', '.join(PARTS)}")
    if shutil.which("redis-server") is None and names != ["first-heartbeat"]:
        sys.exit("make bench needs redis-server on the PATH (apt install redis-server)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        figures = measure_parts(names, workdir, save_raw) if names else measure(workdir, save_raw)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    write_report(figures)


if __name__ == "__main__":
    main()
