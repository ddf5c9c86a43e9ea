"""What the template itself costs: a render of each combination, and scaffold to green.

Both are measured the way a user meets them, through the real commands:
``cookiecutter``, ``make install`` and the generated project's ``pytest``;
and from a fresh clone of the template to the demo's first heartbeat.
"""

import json
import os
import re
import resource
import shutil
import signal
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
    """Render, ``make install`` with a warm cache, and the generated suite: each timed.

    A first render is installed and thrown away, so the measured install
    finds every package in uv's cache, as it would for a user's second
    project.
    """
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        warm_up = render(workdir / "warm-up", **answers).project
        subprocess.run(["make", "install"], cwd=warm_up, check=True, capture_output=True)
        # The references: the lock alone, without make install's bytecode
        # compilation; and the render without its lock, synced as renders
        # were before they shipped one (uv resolves every dependency afresh).
        locked = render(workdir / "locked", **answers).project
        locked_sync_s, _ = timed_command(["uv", "sync", "--quiet", "--locked"], locked)
        unlocked = render(workdir / "unlocked", **answers).project
        (unlocked / "uv.lock").unlink()
        unlocked_sync_s, _ = timed_command(["uv", "sync", "--quiet"], unlocked)

        started = time.perf_counter()
        project = render(workdir / "measured", **answers).project
        render_s = round(time.perf_counter() - started, 1)
        install_s, _ = timed_command(["make", "install"], project)
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
        "install_s": install_s,
        "locked_sync_s": locked_sync_s,
        "unlocked_sync_s": unlocked_sync_s,
        "tests_s": tests_s,
        "tests_cpu_s": tests_cpu_s,
        "one_process_tests_s": one_process_s,
        "one_process_result": last_line(one_process),
        "total_s": round(render_s + install_s + tests_s, 1),
        "collect_only_s": collect_s,
        "result": last_line(tests),
        "slowest_tests": [[round(time_s, 1), test] for time_s, test in durations[:SLOWEST_TESTS]],
    }


def first_heartbeat_times():
    """From a fresh clone of the template to the demo's first heartbeat, each step timed.

    Measured as a new user meets it on a machine without redis-server and
    with an empty uv cache: ``git clone``, then ``make demo``, which installs
    redis-server (apt-get or Homebrew), renders, downloads and installs the
    project's packages, and starts worker, beat and Flower. The clone is of
    this checkout, so it takes no network; cloning from a forge adds its
    download. Each step is timed at the line that ends it in make's output.
    """
    if shutil.which("redis-server"):
        sys.exit(
            "this figure is of a machine without redis-server: remove it first "
            "(apt-get remove redis-server); make demo installs it again"
        )
    # make echoes each command as it starts it: the one after the install
    # (which hides apt-get's own output) ends that step.
    milestones = {
        "redis_installed_s": "rm -rf .demo",
        "rendered_s": "Rendered ",
        "first_heartbeat_s": "Heartbeat from ",
    }
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        started = time.perf_counter()
        clone = ["git", "clone", "--quiet", str(TEMPLATE), "template"]
        subprocess.run(clone, cwd=workdir, check=True)
        times = {"clone_s": round(time.perf_counter() - started, 1)}
        demo = subprocess.Popen(
            ["make", "demo"],
            cwd=workdir / "template",
            env={**os.environ, "UV_CACHE_DIR": str(workdir / "uv-cache")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        log = []
        try:
            assert demo.stdout is not None  # a pipe, asked for above
            for line in demo.stdout:
                log.append(line)
                for name, marker in milestones.items():
                    if marker in line and name not in times:
                        times[name] = round(time.perf_counter() - started, 1)
                if "first_heartbeat_s" in times:
                    break
        finally:
            os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C, as the user stops it
            demo.wait(timeout=60)
    if "first_heartbeat_s" not in times:
        sys.exit("make demo ended before its first heartbeat:\n" + "".join(log[-40:]))
    return times
