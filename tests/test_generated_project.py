"""Each flavour and scheduler works out of the box: its own test suite passes, its commands run.

Every generated suite starts a real redis-server, worker and beat; the
Django ones use SQLite, and the database scheduler's tests that use the
database run again on PostgreSQL, the database compose gives it.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from conftest import once_per_answers, rendered_project
from options import flavour_defaults, flavours_and_schedulers

SUITES = flavours_and_schedulers()

# This suite's two processes run two generated suites side by side, on CI's
# two cores, each in three test processes of its own rather than the four
# of its addopts: side by side, plain-redis and django-database took 240 s
# with three each, 262 s with four and 289 s with two, for each test
# process brings its own Redis, worker and imports. The generated suites
# are written to pass under that load (their tests mostly wait on real
# processes, and allow for a slow machine). (An xdist_group mark would not
# serialise them anyway: pytest 9.2 ignores it, pytest-xdist issue #1386.)
SIDE_BY_SIDE = {"PYTEST_ADDOPTS": "--numprocesses=3"}
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


def users_environment(*unset):
    """This environment as a user's shell has it: without ``unset``, nor this suite's virtualenv.

    In it, uv would warn that it is not the project's.
    """
    return {
        name: value for name, value in os.environ.items() if name not in {"VIRTUAL_ENV", *unset}
    }


def run(command, project, timeout, unset=(), **environment):
    """Run ``command`` in ``project`` as a script would: no terminal to answer questions.

    It runs in a process group of its own. Past ``timeout`` the test fails
    with what every Python process of the group was doing: SIGABRT makes
    each print its threads' stacks (PYTHONFAULTHANDLER), then the group is
    killed. The output goes through files, not pipes, which a process
    outside the group (a suite's own worker, say) could hold open.
    """
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            command,
            cwd=project,
            env={**users_environment(*unset), "PYTHONFAULTHANDLER": "1", **environment},
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGABRT)
            time.sleep(5)  # for the stacks to be written
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        stdout.seek(0)
        stderr.seek(0)
        output = stdout.read(), stderr.read()
    result = subprocess.CompletedProcess(command, process.returncode, *output)
    if timed_out:
        pytest.fail(f"{command} still ran after {timeout} s:\n{output_tail(result, 30000)}")
    return result


def output_tail(result, characters=5000):
    return result.stdout[-characters:] + result.stderr[-characters:]


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
    result = run(["make", "test"], installed_project(**answers), timeout=720, **SIDE_BY_SIDE)

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
        timeout=600,
        TEST_DATABASE_URL=postgres_url,
        **SIDE_BY_SIDE,
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


def test_make_superuser_without_a_terminal_takes_the_login_from_the_environment(installed_project):
    project = installed_project(**flavour_defaults()["django"])
    migrate = run(["make", "migrate"], project, timeout=120)
    assert migrate.returncode == 0, output_tail(migrate)

    # Without the variables it cannot ask for them: one line, and a failure.
    refused = run(["make", "superuser"], project, timeout=120)
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines()[0].startswith("CommandError:"), refused.stderr

    login = {"username": "ci-admin", "password": "a-password-only-the-tests-use"}
    created = run(
        ["make", "superuser"],
        project,
        timeout=120,
        DJANGO_SUPERUSER_USERNAME=login["username"],
        DJANGO_SUPERUSER_EMAIL="ci-admin@example.com",
        DJANGO_SUPERUSER_PASSWORD=login["password"],
    )
    assert created.returncode == 0, output_tail(created)
    check = (
        "from django.contrib.auth import authenticate; "
        f"user = authenticate(**{login!r}); print(user.get_username(), user.is_superuser)"
    )
    signed_in = run(
        ["uv", "run", "python", "manage.py", "shell", "-c", check],  # SECRET_KEY from .env
        project,
        timeout=120,
    )
    assert signed_in.stdout.strip().splitlines()[-1] == f"{login['username']} True", output_tail(
        signed_in
    )


def fake_tools(folder, python3):
    """A PATH with make and the shell tools, no uv, and ``python3`` as this shell script."""
    folder.mkdir()
    for tool in ("make", "sh", "grep", "awk"):
        (folder / tool).symlink_to(shutil.which(tool))
    (folder / "python3").write_text(f"#!/bin/sh\n{python3}\n")
    (folder / "python3").chmod(0o755)
    return str(folder)


def make_install(project, path):
    """``make install`` in ``project`` with only ``path`` to find programs on."""
    return subprocess.run(
        ["make", "install"],
        cwd=project,
        env={"PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_installs_uv_with_pip_when_it_is_missing(shared_render, tmp_path):
    # pip's part is played by a script: it "installs" a uv that notes what it was asked.
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "uv").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/uv.log\n')
    (scripts / "uv").chmod(0o755)
    pip = f"""case "$*" in
    "-m pip install"*) echo "$*" >> {tmp_path}/pip.log ;;
    *) echo {scripts}/uv ;;
esac"""
    path = fake_tools(tmp_path / "bin", pip)

    result = make_install(shared_render(**flavour_defaults()["plain"]), path)

    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("uv is missing: installing it with pip\n")
    assert (tmp_path / "pip.log").read_text().split() == ["-m", "pip", "install", "--quiet", "uv"]
    assert (tmp_path / "uv.log").read_text() == "sync --locked --compile-bytecode\n"


def test_make_says_in_one_line_when_uv_cannot_be_installed(shared_render, tmp_path):
    path = fake_tools(tmp_path / "bin", 'echo "No module named pip" >&2; exit 1')

    result = make_install(shared_render(**flavour_defaults()["plain"]), path)

    assert result.returncode == 2
    assert "uv is missing and pip could not install it" in result.stderr.splitlines()[-1]


def test_make_shell_runs_python_with_django_set_up(installed_project):
    project = installed_project(**flavour_defaults()["django"])

    result = subprocess.run(
        ["make", "shell"],
        cwd=project,
        input="from django.conf import settings; print('urls:', settings.ROOT_URLCONF)\n",
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, output_tail(result)
    assert f"urls: {project.name}.urls" in result.stdout


# A worker's log line for a heartbeat it ran.
HEARTBEAT_RAN = re.compile(r"Task \S*heartbeat\S* succeeded")


def test_make_dev_runs_the_project_and_ctrl_c_leaves_nothing_behind(installed_project, tmp_path):
    project = installed_project(**flavour_defaults()["plain"])
    temp = tmp_path / "tmp"  # where make dev's private Redis keeps its folder
    temp.mkdir()
    log = tmp_path / "dev.log"
    with log.open("w") as output:
        dev = subprocess.Popen(
            ["make", "dev"],
            cwd=project,
            env={**users_environment("REDIS_URL"), "TMPDIR": str(temp), "HEARTBEAT_INTERVAL": "2"},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a group of its own, as a terminal's foreground job is
        )
        try:
            deadline = time.monotonic() + 120
            while not HEARTBEAT_RAN.search(log.read_text()) and time.monotonic() < deadline:
                time.sleep(0.5)
            # A second terminal, where nothing is exported, finds make dev's Redis.
            second_terminal = {
                command: run(["make", command], project, timeout=120, unset={"REDIS_URL"})
                for command in ("health", "schedule")
            }
        finally:
            os.killpg(dev.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
            try:
                dev.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(dev.pid, signal.SIGKILL)
                raise
    text = log.read_text()

    assert HEARTBEAT_RAN.search(text), text[-5000:]
    for result in second_terminal.values():
        assert result.returncode == 0, output_tail(result) + text[-5000:]
    assert '"healthy": true' in second_terminal["health"].stdout
    assert "heartbeat" in second_terminal["schedule"].stdout
    assert "make: ***" not in text, text[-5000:]  # a clean stop: no error from make
    assert not (project / "state" / "dev-session.env").exists()
    assert [path for path in temp.iterdir() if path.is_dir()] == []  # uv keeps a lock file there
    url = re.search(r"private redis-server for this session at (\S+)", text)
    assert url is not None, text[-5000:]
    port = int(url[1].rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
