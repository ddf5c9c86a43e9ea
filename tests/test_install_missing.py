"""scripts/install-missing.sh: a fresh machine gets what the READMEs' commands need.

The script runs for real, on a PATH of stand-ins: package managers that
write down how they were called, an ``id`` that says who runs it. What it
installs, and what it says, is what a user on that machine would see.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = (
    Path(__file__).resolve().parent.parent
    / "{{cookiecutter.__project_dir}}/scripts/install-missing.sh"
)


def recorder(folder, name, log):
    """A stand-in for ``name`` that appends its arguments to ``log``."""
    (folder / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\n')
    (folder / name).chmod(0o755)


def machine(tmp_path, *tools, uid=0):
    """A PATH with bash and the ``tools`` given (apt-get, sudo, brew...), for user ``uid``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for program in ("bash", "env"):
        (folder / program).symlink_to(shutil.which(program))
    (folder / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (folder / "id").chmod(0o755)
    log = tmp_path / "calls.log"
    for tool in tools:
        recorder(folder, tool, log)
    return str(folder), log


def install(path, *programs):
    return subprocess.run(
        ["bash", str(SCRIPT), *programs],
        env={"PATH": path},
        capture_output=True,
        text=True,
        timeout=30,
    )


def calls(log):
    return log.read_text().splitlines() if log.exists() else []


def test_debian_as_root_installs_the_missing_packages_saying_so(tmp_path):
    path, log = machine(tmp_path, "apt-get", "redis-server")

    result = install(path, "redis-server", "promtool")

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["Installing prometheus with apt-get (for promtool)"]
    assert calls(log) == [
        "apt-get update -qq",
        "apt-get install -y -qq prometheus",
    ]


def test_debian_as_a_user_goes_through_sudo(tmp_path):
    path, log = machine(tmp_path, "apt-get", "sudo", uid=1000)

    result = install(path, "redis-server")

    assert result.returncode == 0, result.stderr
    assert calls(log) == [
        "sudo apt-get update -qq",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server",
    ]


def test_debian_as_a_user_without_sudo_says_what_to_install_in_one_line(tmp_path):
    path, log = machine(tmp_path, "apt-get", uid=1000)

    result = install(path, "redis-server", "promtool")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: redis-server promtool missing; install them as root: "
        "apt-get install redis-server prometheus"
    ]
    assert calls(log) == []


def test_macos_installs_with_homebrew(tmp_path):
    path, log = machine(tmp_path, "brew")

    result = install(path, "redis-server")

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["Installing redis with Homebrew (for redis-server)"]
    assert calls(log) == ["brew install --quiet redis"]


def test_anywhere_else_one_line_names_what_to_install(tmp_path):
    path, _ = machine(tmp_path)

    result = install(path, "redis-server")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: redis-server missing; install it with your package manager "
        "(Debian's packages: redis-server)"
    ]


@pytest.mark.parametrize("present", ["redis-server", "promtool"])
def test_nothing_is_installed_when_nothing_is_missing(tmp_path, present):
    path, log = machine(tmp_path, "apt-get", present)

    result = install(path, present)

    assert (result.returncode, result.stderr, calls(log)) == (0, "", [])
