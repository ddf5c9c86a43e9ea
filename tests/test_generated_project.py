"""Each flavour and scheduler works out of the box: its own test suite passes, its commands run.

Every generated suite starts a real redis-server, worker and beat; the
Django ones use SQLite, and the database scheduler's tests that use the
database run again on PostgreSQL, the database compose gives it.
"""

import os
import subprocess

import pytest
from conftest import once_per_answers, rendered_project
from options import flavour_defaults, flavours_and_schedulers

SUITES = flavours_and_schedulers()

# Every generated suite runs in four processes of its own (its addopts), and
# this suite's two processes run two generated suites side by side: eight
# test processes, with their workers and beats, on CI's two cores. The
# generated suites are written to pass under that load (their tests mostly
# wait on real processes, and allow for a slow machine); one after another
# they would take longer. (An xdist_group mark would not serialise them anyway: pytest 9.2
# ignores it, pytest-xdist issue #1386.)
SUITE_PARAMS = [pytest.param(answers, id=name) for name, answers in SUITES.items()]


# The Django suite's tests that read or write the database: the ones worth
# running again on PostgreSQL (the rest do not depend on the database).
# test_takeover.py is not among them: it is about the leader lock, and of
# the database it uses only the row save each send makes, which the real
# scheduler makes here in test_daylight_saving.py and the real beat in
# test_beat_reloads_schedule.py and test_schedule_changes.py; it took a minute.
DATABASE_TESTS = [
    "test_admin.py",
    "test_admin_schedule.py",
    "test_beat_reloads_schedule.py",
    "test_daylight_saving.py",
    "test_external_sync.py",
    "test_missed_runs.py",
    "test_record_store.py",
    "test_records.py",
    "test_reports.py",
    "test_schedule_changes.py",
    "test_schedule_sync.py",
    "test_scheduler.py",
    "test_sessions.py",
    "test_user_digests.py",
]


def run(command, project, timeout, **environment):
    return subprocess.run(
        command,
        cwd=project,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def output_tail(result):
    return result.stdout[-5000:] + result.stderr[-5000:]


@pytest.fixture(scope="session")
def installed_project(tmp_path_factory):
    """``installed_project(**answers)``: a render after ``make install``, once per session.

    A render of its own, not ``shared_render``'s: installing writes a .venv
    into it, which the render checks would then read.
    """

    def render_and_install(**answers):
        project = rendered_project(tmp_path_factory.mktemp("installed"), **answers)
        result = run(["make", "install"], project, timeout=600)
        assert result.returncode == 0, output_tail(result)
        return project

    return once_per_answers(render_and_install)


@pytest.mark.parametrize("answers", SUITE_PARAMS)
def test_generated_test_suite_passes(installed_project, answers):
    result = run(["make", "test"], installed_project(**answers), timeout=900)

    assert result.returncode == 0, output_tail(result)
    assert " passed" in result.stdout
    assert " failed" not in result.stdout


@pytest.mark.parametrize("answers", SUITE_PARAMS)
def test_make_lint_passes_ruff_and_mypy_in_strict_mode(installed_project, answers):
    result = run(["make", "lint"], installed_project(**answers), timeout=300)

    assert result.returncode == 0, output_tail(result)
    assert "Success: no issues found" in result.stdout


def test_django_database_tests_pass_on_postgresql(installed_project, postgres_url):
    project = installed_project(**flavour_defaults()["django"])

    result = run(
        ["uv", "run", "pytest", *(f"{project.name}/tests/{test}" for test in DATABASE_TESTS)],
        project,
        timeout=900,
        TEST_DATABASE_URL=postgres_url,
    )

    assert result.returncode == 0, output_tail(result)
    assert "database: postgresql" in result.stdout  # the suite's report header


@pytest.mark.parametrize("answers", SUITE_PARAMS)
def test_make_schedule_lists_every_entry(installed_project, redis_url, answers):
    project = installed_project(**answers)
    if answers["web_framework"] == "django":
        # The README's first steps: the tables, and with the database
        # scheduler the periodic tasks in them.
        migrate = run(["make", "migrate"], project, timeout=120)
        assert migrate.returncode == 0, output_tail(migrate)

    # With the redis scheduler the schedule is in Redis; the others read last runs there.
    result = run(["make", "schedule"], project, timeout=120, REDIS_URL=redis_url)

    assert result.returncode == 0, result.stderr
    for entry in ["heartbeat", "sync-external-data", "generate-weekly-report"]:
        assert f"\n{entry}\n" in result.stdout
    assert "At 09:00, only on Monday" in result.stdout
    # RedBeat cannot store a solar schedule, so that render has none.
    has_solar_entry = answers["scheduler"] != "redis"
    assert ("\nrefresh-records-at-sunrise\n" in result.stdout) == has_solar_entry
