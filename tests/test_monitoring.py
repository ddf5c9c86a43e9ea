"""The Prometheus files a render ships in ``monitoring/``, checked with promtool.

``alerts.yml`` is written on the metric names the endpoint
(``python -m <package>.metrics``) serves; promtool checks its syntax, runs
the cases of ``alerts_test.yml`` on it, and checks ``prometheus.yml``, the
example configuration that scrapes the endpoint and loads the rules.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

# What a metric of the endpoint is called: its PREFIX, then the name.
METRIC_NAME = re.compile(r"\bperiodic_[a-z_]+")

PROMTOOL_COMMANDS = {
    "check-rules": ["check", "rules", "monitoring/alerts.yml"],
    "test-rules": ["test", "rules", "monitoring/alerts_test.yml"],
    "check-config": ["check", "config", "monitoring/prometheus.yml"],
}


@pytest.fixture(scope="module")
def project(shared_render) -> Path:
    return shared_render()


def promtool(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """``promtool COMMAND`` in the render's folder; the finished process."""
    executable = shutil.which("promtool")
    if executable is None:
        pytest.fail("promtool is not installed (apt install prometheus); .ci/run installs it")
    return subprocess.run(
        [executable, *command], cwd=project, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("command", PROMTOOL_COMMANDS.values(), ids=PROMTOOL_COMMANDS.keys())
def test_promtool_accepts_the_monitoring_files(project, command):
    result = promtool(project, *command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_use_only_metrics_the_endpoint_documents(project):
    """A metric renamed in metrics.py and not in the rules would leave an alert that never fires."""
    used = set(METRIC_NAME.findall((project / "monitoring/alerts.yml").read_text()))
    documented = set(METRIC_NAME.findall((project / project.name / "metrics.py").read_text()))
    assert used, "no metric name found in alerts.yml: has the prefix changed?"
    assert sorted(used - documented) == []
