"""The template's Python is Python before it is rendered, but for a named few files.

An option's difference is a whole file (a variant, or a file of that option
only), not Jinja inside a module: so ruff, an editor or a type checker can
read the template itself, and a reader sees each render's code as it is.
"""

import ast
import re

from conftest import TEMPLATE

PROJECT = TEMPLATE / "{{cookiecutter.__project_dir}}"
JINJA_BLOCK = re.compile(r"\{%")
TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore")

# The only files where Jinja decides which code a render holds, and why.
JINJA_BLOCKS = {
    "{{cookiecutter.project_slug}}/beat_schedule.py": (
        "the schedule in one place: a Django render adds the session cleanup, and a RedBeat "
        "one cannot store the solar entry"
    ),
}
# The only files that are not Python until rendered, and why.
NOT_PYTHON_UNTIL_RENDERED = {
    **JINJA_BLOCKS,
    "flowerconfig.py": "Flower loads it by path, so it imports the package by its name",
}


def template_python_files():
    return sorted(PROJECT.rglob("*.py"))


def relative(path):
    return path.relative_to(PROJECT).as_posix()


def test_every_python_file_parses_before_rendering_but_the_named_few():
    unparsable = set()
    for path in template_python_files():
        try:
            ast.parse(path.read_text())
        except SyntaxError:
            unparsable.add(relative(path))

    assert unparsable == set(NOT_PYTHON_UNTIL_RENDERED)


def test_jinja_decides_what_code_a_render_holds_only_in_the_named_few():
    with_blocks = {
        relative(path) for path in template_python_files() if JINJA_BLOCK.search(path.read_text())
    }

    assert with_blocks == set(JINJA_BLOCKS)


def test_what_the_libraries_types_leave_out_is_said_in_one_place():
    """No ``type: ignore`` in the generated project, and casts in typing_gaps.py alone."""
    gaps = "{{cookiecutter.project_slug}}/typing_gaps.py"
    ignores = [
        relative(path) for path in template_python_files() if TYPE_IGNORE.search(path.read_text())
    ]
    casting = {relative(path) for path in template_python_files() if "cast(" in path.read_text()}

    assert ignores == []
    assert casting == {gaps}
