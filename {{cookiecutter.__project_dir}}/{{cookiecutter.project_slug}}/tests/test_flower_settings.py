"""Flower, started for real, will not run without a login, nor on a port it cannot have."""

import os
import subprocess
import sys

from .support import APP, PROJECT_ROOT


def test_flower_without_a_login_exits_with_one_line():
    environment = {name: value for name, value in os.environ.items() if "FLOWER" not in name}
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", APP, "flower"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Invalid environment variable FLOWER_USER: is not set; Flower will not run without a login"
    ]


def test_flower_on_a_port_that_is_not_one_exits_with_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", APP, "flower"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "FLOWER_PORT": "abc"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Invalid environment variable FLOWER_PORT: 'abc' is not a whole number"
    ]
