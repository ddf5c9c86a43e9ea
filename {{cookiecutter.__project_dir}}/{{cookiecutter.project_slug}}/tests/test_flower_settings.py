"""Flower, started for real, will not run without a login."""

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
