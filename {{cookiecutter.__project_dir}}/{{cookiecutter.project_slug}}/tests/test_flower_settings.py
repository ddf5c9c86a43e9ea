"""Flower, started for real: it needs a login and a real port, and every page takes the login.

/healthcheck alone answers without the login, for compose's healthcheck.
"""

import os
import subprocess
import sys

import httpx
import pytest

from .support import APP, PROJECT_ROOT, ProjectProcess, free_port, wait_for

LOGIN = ("flower-admin", "a-flower-password-for-the-tests")
FLOWER_LOGIN = {"FLOWER_USER": LOGIN[0], "FLOWER_PASSWORD": LOGIN[1]}


def run_flower(environment):
    """``celery flower`` in ``environment``, for a Flower that must stop at once; its result."""
    return subprocess.run(
        [sys.executable, "-m", "celery", "-A", APP, "flower"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_flower_without_a_login_exits_with_one_line():
    environment = {name: value for name, value in os.environ.items() if "FLOWER" not in name}
    result = run_flower(environment)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Invalid environment variable FLOWER_USER: is not set; Flower will not run without a login"
    ]


def test_flower_on_a_port_that_is_not_one_exits_with_one_line():
    result = run_flower({**os.environ, "FLOWER_PORT": "abc"})

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Invalid environment variable FLOWER_PORT: 'abc' is not a whole number"
    ]


@pytest.fixture(scope="module")
def flower(tmp_path_factory):
    """A real Flower with LOGIN, on a port of its own, for the module's tests; its address."""
    port = free_port()
    process = ProjectProcess(
        ["celery", "-A", APP, "flower"],
        tmp_path_factory.mktemp("flower") / "flower.log",
        {**FLOWER_LOGIN, "FLOWER_PORT": str(port)},
    )
    address = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return httpx.get(f"{address}/healthcheck", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(answers, 30, process.log)
        yield address
    finally:
        process.stop()


@pytest.mark.parametrize("page", ["/", "/tasks", "/metrics"])
def test_every_flower_page_takes_the_login(flower, page):
    assert httpx.get(f"{flower}{page}", timeout=10).status_code == 401
    assert httpx.get(f"{flower}{page}", auth=LOGIN, timeout=10).status_code == 200


def test_flower_metrics_are_there_for_a_prometheus_with_the_login(flower):
    metrics = httpx.get(f"{flower}/metrics", auth=LOGIN, timeout=10)

    assert "flower_" in metrics.text


def test_a_second_flower_on_a_taken_port_exits_with_one_line(flower):
    port = flower.rsplit(":", 1)[1]
    result = run_flower({**os.environ, **FLOWER_LOGIN, "FLOWER_PORT": port})

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Invalid environment variable FLOWER_PORT: cannot listen on 127.0.0.1:{port}: "
        "Address already in use"
    ]
