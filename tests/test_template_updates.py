"""A project takes the template's fixes with cruft: ``cruft create``, ``check`` and ``update``.

``cruft update`` renders the template at the commit a project was made from
and at the newest one, and applies the difference to the project as a
three-way merge, so the user's own edits stay. That holds only if a render
is the same every time but for the git-ignored .env (whose fresh secrets
the generated pyproject.toml tells cruft to skip), and if every option has a
default (cruft renders without asking).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE, rendered_project, tool
from options import flavours_and_schedulers, kubernetes_renders

# Every file a render of the template has had, by its path in a default-named
# project: each flavour and scheduler, with every option that adds files.
GENERATED_FILES = Path(__file__).parent / "generated_files.txt"
RENDERS = [*flavours_and_schedulers().values(), *kubernetes_renders().values()]

# Commits in the throwaway repositories, with no git configuration needed.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def run(command, cwd, check=True):
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def commit_everything(repository, message):
    run(["git", "add", "--all"], repository)
    run(["git", "commit", "--quiet", "--message", message], repository)


def template_repository(destination):
    """A git repository holding the template as it stands in this checkout, one commit."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], TEMPLATE)
    for name in listed.stdout.split("\0"):
        source = TEMPLATE / name
        if name and source.is_file():  # a tracked file deleted in this checkout is not
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    run(["git", "init", "--quiet", "--initial-branch=main"], destination)
    commit_everything(destination, "the template as tested")
    return destination


def template_check(project):
    """The script of the generated CI's weekly check that the project is not behind its template."""
    workflow = yaml.safe_load((project / ".github" / "workflows" / "template.yml").read_text())
    (job,) = workflow["jobs"].values()
    (step,) = [step for step in job["steps"] if step.get("name") == "cruft check"]
    return step["run"]


def files_of(project):
    """Every file of a render but .env: its path, content and mode."""
    return {
        path.relative_to(project): (path.read_bytes(), path.stat().st_mode)
        for path in project.rglob("*")
        if path.is_file() and path.name != ".env"
    }


@pytest.mark.parametrize(
    "answers", flavours_and_schedulers().values(), ids=flavours_and_schedulers().keys()
)
def test_two_renders_differ_only_in_env(shared_render, tmp_path, answers):
    first = shared_render(**answers)
    second = rendered_project(tmp_path, **answers)

    assert files_of(first) == files_of(second)
    assert (first / ".env").read_text() != (second / ".env").read_text()


def test_cruft_update_brings_the_template_change_and_keeps_the_users_edits(tmp_path):
    cruft = tool("cruft")
    template = template_repository(tmp_path / "template")
    # Every option's default answers, as cruft create gives them without asking.
    run([cruft, "create", "--no-input", "--output-dir", str(tmp_path), str(template)], tmp_path)
    project = tmp_path / "housekeeping"
    secrets = (project / ".env").read_text()
    run(["git", "init", "--quiet"], project)
    commit_everything(project, "new project")
    # The user's own edits, committed: a README section and a Makefile target.
    readme = project / "README.md"
    readme.write_text("Our team's notes: the archive runs on Sundays.\n\n" + readme.read_text())
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + "\nreport:\n\techo our own target\n")
    commit_everything(project, "our own edits")
    # The template's next commit: a line added to the Procfile, one to the
    # README (which the user edited too), and a new file.
    generated = template / "{{cookiecutter.__project_dir}}"
    procfile = generated / "Procfile"
    procfile.write_text(procfile.read_text() + "# a fix from the template\n")
    template_readme = generated / "README.md"
    template_readme.write_text(template_readme.read_text() + "\nA section the template added.\n")
    (generated / "NEW_IN_THE_TEMPLATE.md").write_text("new\n")
    commit_everything(template, "a fix")

    # The generated CI's check, as its weekly workflow runs it.
    behind = run(["bash", "-c", template_check(project)], project, check=False)
    run([cruft, "update", "--skip-apply-ask"], project)
    after = run(["bash", "-c", template_check(project)], project, check=False)

    assert behind.returncode == 1, behind.stdout + behind.stderr
    assert after.returncode == 0, after.stdout + after.stderr
    assert (project / "Procfile").read_text().endswith("# a fix from the template\n")
    assert (project / "NEW_IN_THE_TEMPLATE.md").exists()
    readme_now = readme.read_text()
    assert readme_now.startswith("Our team's notes")
    assert readme_now.endswith("A section the template added.\n")
    assert "echo our own target" in makefile.read_text()
    # The project's own secrets stay as they were, and nothing was left unmerged.
    assert (project / ".env").read_text() == secrets
    assert not list(project.rglob("*.rej"))


def test_generated_ci_checks_nothing_in_a_project_not_made_with_cruft(tmp_path):
    project = rendered_project(tmp_path)

    result = run(["bash", "-c", template_check(project)], project, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "not made with cruft" in result.stdout


def test_no_generated_file_disappears_without_a_migration_note(shared_render):
    lines = GENERATED_FILES.read_text().splitlines()
    listed = {line for line in lines if line and not line.startswith("#")}
    rendered = {
        path.relative_to(project).as_posix()
        for project in (shared_render(**answers) for answers in RENDERS)
        for path in project.rglob("*")
        if path.is_file()
    }
    notes = (TEMPLATE / "UPDATING.md").read_text()

    gone_without_note = sorted(path for path in listed - rendered if path not in notes)
    assert not gone_without_note, (
        "renamed or removed: say in UPDATING.md what a project must do about each of these"
    )
    assert not sorted(rendered - listed), f"new files: add them to {GENERATED_FILES.name}"
