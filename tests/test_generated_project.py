"""The default render works out of the box: its own test suite passes, its commands run."""

import subprocess

import pytest


def run(command, project, timeout):
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed_project(default_project):
    """The default render after ``make install``, done once for this module."""
    result = run(["make", "install"], default_project, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return default_project


def test_generated_test_suite_passes(installed_project):
    """``make install`` then ``make test`` in a fresh render: real Redis, worker and beat inside."""
    result = run(["make", "test"], installed_project, timeout=600)

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert " passed" in result.stdout
    assert " failed" not in result.stdout


def test_make_schedule_lists_every_entry(installed_project):
    result = run(["make", "schedule"], installed_project, timeout=120)

    assert result.returncode == 0, result.stderr
    for entry in [
        "heartbeat",
        "sync-external-data",
        "generate-weekly-report",
        "refresh-records-at-sunrise",
    ]:
        assert f"\n{entry}\n" in result.stdout
    assert "At 09:00, only on Monday" in result.stdout
