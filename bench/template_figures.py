"""What the template itself costs: a render of each combination, and scaffold to green.

Both are measured the way a user meets them, through the real commands:
``cookiecutter``, ``uv sync`` and the generated project's ``pytest``.
"""

import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conftest import TEMPLATE, render
from options import every_combination

# The generated suite's slowest tests, listed as the profile of its run time.
SLOWEST_TESTS = 8
# "12.3s call     tests/test_x.py::test_y[some id]" (an id may hold spaces).
DURATION_LINE = re.compile(r"^([\d.]+)s (call|setup|teardown)\s+(.+)$", re.MULTILINE)


def offline_prefix():
    """``unshare`` into a namespace with no network, if this machine allows it.

    Rendering there proves the hooks never touch the network.
    """
    command = ["unshare", "--map-root-user", "--net"]
    if shutil.which("unshare") and subprocess.run([*command, "true"], check=False).returncode == 0:
        return command
    return []


def seconds(function, *args):
    """How long ``function(*args)`` took, in seconds."""
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def summary(times):
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def minimal_template(folder):
    """A one-file template without hooks: what cookiecutter costs by itself."""
    (folder / "{{cookiecutter.name}}").mkdir(parents=True)
    (folder / "cookiecutter.json").write_text(json.dumps({"name": "minimal"}))
    (folder / "{{cookiecutter.name}}" / "README.md").write_text("{{ cookiecutter.name }}\n")
    return folder


def cookiecutter_run(prefix, template, output_dir, answers):
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir"]
    answered = [f"{name}={value}" for name, value in answers.items()]
    subprocess.run(
        [*prefix, *command, str(output_dir), str(template), *answered],
        check=True,
        capture_output=True,
    )


def render_times():
    """Wall time of one ``cookiecutter`` render per combination, beside a minimal template."""
    prefix = offline_prefix()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        minimal = minimal_template(workdir / "minimal-template")
        reference = [
            seconds(cookiecutter_run, prefix, minimal, workdir / f"minimal-{n}", {})
            for n in range(5)
        ]
        times = {}
        for n, answers in enumerate(every_combination()):
            output_dir = workdir / f"render-{n}"
            times[json.dumps(answers)] = seconds(
                cookiecutter_run, prefix, TEMPLATE, output_dir, answers
            )
            shutil.rmtree(output_dir)
    slowest = max(times, key=lambda combination: times[combination])
    return {
        "combinations": len(times),
        "offline": bool(prefix),
        **summary(list(times.values())),
        "slowest": json.loads(slowest),
        "minimal_template": summary(reference),
    }


def timed_command(command, cwd):
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return round(time.perf_counter() - started, 1), result


def last_line(result):
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "no output"


def children_cpu_seconds():
    """User + system CPU time of every finished process this one waited for, and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scaffold_times(answers):
    """Render, ``uv sync`` with a warm cache, and the generated suite: each timed.

    A first render is synced and thrown away, so the measured sync finds
    every package in uv's cache, as it would for a user's second project.
    """
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        warm_up = render(workdir / "warm-up", **answers).project
        subprocess.run(["uv", "sync", "--quiet"], cwd=warm_up, check=True)

        started = time.perf_counter()
        project = render(workdir / "measured", **answers).project
        render_s = round(time.perf_counter() - started, 1)
        sync_s, _ = timed_command(["uv", "sync", "--quiet"], project)
        collect_s, _ = timed_command(["uv", "run", "pytest", "--collect-only", "-q"], project)
        suite = ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider"]
        cpu_before = children_cpu_seconds()
        tests_s, tests = timed_command([*suite, "--durations=0"], project)
        tests_cpu_s = round(children_cpu_seconds() - cpu_before, 1)
        # The reference: the same suite in one test process, test after test.
        one_process_s, one_process = timed_command([*suite, "--numprocesses=0"], project)
    durations = sorted(
        (float(time_s), f"{test} ({phase})")
        for time_s, phase, test in DURATION_LINE.findall(tests.stdout)
    )[::-1]
    return {
        "render_s": render_s,
        "sync_s": sync_s,
        "tests_s": tests_s,
        "tests_cpu_s": tests_cpu_s,
        "one_process_tests_s": one_process_s,
        "one_process_result": last_line(one_process),
        "total_s": round(render_s + sync_s + tests_s, 1),
        "collect_only_s": collect_s,
        "result": last_line(tests),
        "slowest_tests": [[round(time_s, 1), test] for time_s, test in durations[:SLOWEST_TESTS]],
    }
