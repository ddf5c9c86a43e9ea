"""Each render comes locked: a uv.lock that fits its pyproject.toml, the versions the suite ran.

The template keeps one lock per dependency set (``make locks`` refreshes
them); these tests fail as soon as one no longer fits the pyproject.toml
its options render, so a dependency changed without ``make locks`` is
caught here, not by a user's first ``make install``.
"""

import subprocess

import pytest
import yaml
from conftest import rendered_project, tool
from options import flavours_and_schedulers

DEPENDENCY_SETS = [
    pytest.param({**answers, "use_flower": flower}, id=f"{name}-flower-{flower}")
    for name, answers in flavours_and_schedulers().items()
    for flower in ("y", "n")
]


def uv(project, *command):
    return subprocess.run(
        [tool("uv"), *command], cwd=project, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("answers", DEPENDENCY_SETS)
def test_every_render_is_locked_and_its_lock_fits_its_pyproject(tmp_path, answers):
    # Another name than the locks': the hook gives the lock's project the render's.
    project = rendered_project(tmp_path, project_name="Acme Jobs", **answers)

    result = uv(project, "lock", "--check")

    assert result.returncode == 0, result.stderr
    assert not (project / "locks").exists()
    assert (
        'name = "acme-jobs"\nversion = "0.1.0"\nsource = { editable = "." }'
        in (project / "uv.lock").read_text()
    )


def test_make_install_refuses_a_lock_that_no_longer_fits(tmp_path):
    project = rendered_project(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = [", 'dependencies = [\n    "six>=1.16",', 1)
    )

    result = subprocess.run(
        ["make", "install"], cwd=project, capture_output=True, text=True, timeout=300
    )

    assert result.returncode != 0
    assert "needs to be updated" in result.stderr, result.stderr


def test_dependabot_brings_upgrades_of_the_lock_and_the_actions(shared_render):
    path = shared_render() / ".github" / "dependabot.yml"

    checked = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path)],
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    updates = yaml.safe_load(path.read_text())["updates"]
    assert {update["package-ecosystem"] for update in updates} == {"uv", "github-actions"}
