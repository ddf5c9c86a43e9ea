"""Refresh the generated project's lock files: ``make locks``, then ``make test`` proves them.

Each combination of the options that change the project's dependencies
(web framework, scheduler, Flower) gets its own ``uv.lock``, kept in
``{{cookiecutter.__project_dir}}/locks/`` under the combination's name; the
post-generation hook gives a render the one for its answers. Each is
resolved afresh (``uv lock`` from nothing) in a render of the default name,
whose project the hook renames to the render's.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
LOCKS = TEMPLATE / "{{cookiecutter.__project_dir}}" / "locks"
sys.path.insert(0, str(TEMPLATE / "tests"))

from options import flavours_and_schedulers  # noqa: E402


def lock_name(web_framework: str, scheduler: str, use_flower: bool) -> str:
    """The lock's file name, as hooks/post_gen_project.py builds it."""
    return f"{web_framework}-{scheduler}{'' if use_flower else '-no-flower'}.lock"


def main() -> None:
    LOCKS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="locks-") as workdir:
        for answers in flavours_and_schedulers().values():
            for use_flower in (True, False):
                name = lock_name(answers["web_framework"], answers["scheduler"], use_flower)
                # A render needs its lock to exist; uv resolves it all afresh anyway.
                (LOCKS / name).touch()
                output = Path(workdir) / name
                subprocess.run(
                    [
                        *("cookiecutter", "--no-input", "--output-dir", str(output), str(TEMPLATE)),
                        *(f"{key}={value}" for key, value in answers.items()),
                        f"use_flower={'y' if use_flower else 'n'}",
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                (project,) = output.iterdir()
                # Resolved from nothing: the newest versions that fit pyproject.toml.
                (project / "uv.lock").unlink()
                subprocess.run(["uv", "lock", "--quiet"], cwd=project, check=True)
                shutil.copyfile(project / "uv.lock", LOCKS / name)
                print(f"Locked {name}")


if __name__ == "__main__":
    main()
