"""Any answers either render a clean project or are refused with one line, leaving nothing.

A property-based test over the answers a user types. For each set of
answers, cookiecutter (the real command) either

- succeeds: the one folder it writes is named by the slug, the slug is a
  Python identifier, no template syntax is left, ``ruff check`` and
  ``ruff format --check`` are clean and every ``.py`` file compiles; or
- fails: a non-zero exit, exactly one hook line ``ERROR: <field>: ...``
  naming a field that was answered, and nothing left in the output folder.

What is generated:

- project names: titles of words in any script, lowercase identifiers,
  any text, and a list of hostile answers (keywords, modules the project
  imports, leading digits, quotes, backslashes, control characters, line
  separators, emoji, very long names);
- slugs: none (derived from the name), lowercase identifiers of up to 40
  characters, any text, and hostile slugs (keywords, soft keywords,
  standard library and imported modules, paths such as ``a/..``);
- with both, either web framework, for the Django-only modules;
- time zones: every name zoneinfo knows, the same in odd casing, any text,
  and invalid ones (empty, a region such as ``Europe``, paths, padding).

Left out, because cookiecutter itself stops on them before any hook runs,
so no hook can make them pass (``test_cookiecutter_stops_some_answers_before_the_hooks``
pins what cookiecutter does instead): braces, never generated, since
cookiecutter renders every answer as a Jinja template, so ``{{`` is evaluated
or ends in a traceback; and slugs, given or derived, that name a folder that
exists already (``""`` from a name without a letter or digit, ``.``, ``..``)
or are too long for a file name, discarded with ``assume``. NUL and lone
surrogates are not generated either: a command line cannot carry them.

The examples are the same on every run (``derandomize``, no example
database), so CI never goes red on a new random case: 25 examples for names
and slugs and 15 for time zones, plus the 3 and 1 ``@example`` cases, each a
render of about a second.
"""

import json
import keyword
import os
import zoneinfo
from pathlib import Path

import pytest
from conftest import TEMPLATE, render, ruff, template_leftovers
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st
from slugify import slugify

REPRODUCIBLE = settings(deadline=None, derandomize=True, database=None)

# The longest file name the system takes, in bytes.
NAME_MAX = 255

DEFAULT_NAME = json.loads((TEMPLATE / "cookiecutter.json").read_text())["project_name"]

# What a command line carries (UTF-8, so no lone surrogates, and no NUL),
# without braces: see the docstring.
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00{}"), max_size=60)
IDENTIFIERS = st.from_regex(r"[a-z_][a-z0-9_]{0,39}", fullmatch=True)
WORDS = st.text(st.characters(categories=["L", "Nd"]), min_size=1, max_size=10)
TITLES = st.lists(WORDS, min_size=1, max_size=4).map(" ".join)

# Answers that break templates: keywords, modules, leading digits, characters
# that mean something in Python, TOML, YAML, Markdown or a shell, and paths.
HOSTILE_NAMES = [
    "class",
    "None",
    "Match",
    "Json",
    "Celery",
    "Tests",
    "99 Problems",
    'The "Best" Jobs',
    "It's done",
    "back\\slash",
    "tab\there",
    "new\nline",
    "delete\x7f",
    "line\u2028separator",
    "next\x85line",
    "Ünïcödé Jöbs",
    "日本語のジョブ",
    "Jobs 🎉",
    "$HOME # not a comment",
    "key: value",
    "- item",
    "<b>Jobs</b> & more",
    "Nightly maintenance " * 10,
]
HOSTILE_SLUGS = [
    "1st_jobs",
    "My-Project",
    "my project",
    " jobs",
    "jobs\n",
    "class",
    "match",
    "_",
    "json",
    "celery",
    "tests",
    "__init__",
    "__main__",
    "café",
    "a" * 33,
    "a/b",
    "a/..",
    "../outside",
]
ZONES = sorted(zoneinfo.available_timezones())
HOSTILE_TIMEZONES = [
    "",
    " UTC",
    "utc",
    "utc+2",
    "Europe",
    "America/Argentina",
    "Mars/Olympus_Mons",
    "Europe/Paris/",
    "Europe//Paris",
    "../../etc/passwd",
    "/etc/localtime",
    "zone.tab",
    "Europe/" + "a" * 300,
]

NAMES = st.one_of(TITLES, IDENTIFIERS, st.sampled_from(HOSTILE_NAMES), ANY_TEXT)
SLUGS = st.one_of(st.none(), IDENTIFIERS, st.sampled_from(HOSTILE_SLUGS), ANY_TEXT)
ODD_CASES = st.sampled_from([str.lower, str.upper, str.swapcase])
TIMEZONES = st.one_of(
    st.sampled_from(ZONES),
    st.builds(lambda zone, case: case(zone), st.sampled_from(ZONES), ODD_CASES),
    st.sampled_from(HOSTILE_TIMEZONES),
    ANY_TEXT,
)


def expected_slug(answers):
    """The slug cookiecutter.json derives from the name unless one is given."""
    name = answers.get("project_name", DEFAULT_NAME)
    return answers.get("project_slug", slugify(name, separator="_"))


def stopped_by_cookiecutter(output_dir, answers):
    """Whether cookiecutter stops on these answers while making the project folder.

    It makes that folder before the pre-gen hook runs, and stops with a
    message of its own when the folder exists already (a slug "", "." or
    "..") or a traceback when its name is too long for a file.
    """
    folder = expected_slug(answers).replace("/", "_")  # __project_dir in cookiecutter.json
    if len(os.fsencode(folder)) > NAME_MAX:
        return True
    return Path(output_dir, folder).exists()


def answered_fields(answers):
    """The fields a refusal may name: the ones answered, and a slug made from a name."""
    return set(answers) | ({"project_slug"} if "project_name" in answers else set())


def check_project(answers, project):
    slug = expected_slug(answers)
    assert project.name == slug
    assert slug.isidentifier() and not keyword.iskeyword(slug), slug
    assert template_leftovers(project) == []
    for command in (["check"], ["format", "--check"]):
        lint = ruff(project, *command)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    for module in project.rglob("*.py"):
        compile(module.read_text(), module, "exec")


def check_refusal(answers, result):
    """Check that a failed render is one hook line and an empty output folder; its field."""
    assert len(result.errors) == 1, result.stderr
    field, _, reason = result.errors[0].removeprefix("ERROR: ").partition(": ")
    assert field in answered_fields(answers), result.errors[0]
    assert reason, result.errors[0]
    assert list(result.output_dir.iterdir()) == []
    return field


def check_render(output_dir, answers):
    result = render(output_dir, **answers)
    if result.returncode == 0:
        check_project(answers, result.project)
        event("rendered")
    else:
        event(f"refused: {check_refusal(answers, result)}")


@settings(REPRODUCIBLE, max_examples=25)
@given(name=NAMES, slug=SLUGS, framework=st.sampled_from(["none", "django"]))
# Cookiecutter makes the project folder before the hook runs, and deletes it
# when the hook refuses. Named by the slug, OUTPUT/a/.. was the output folder
# itself, deleted with everything in it; for a/b, a was left behind. The
# folder is now named by the slug with "/" replaced.
@example(name=DEFAULT_NAME, slug="a/..", framework="none")
@example(name=DEFAULT_NAME, slug="a/b", framework="none")
# The longest slug allowed: in a Django render it makes lines of manage.py and
# tests/test_django_settings.py longer than the project's ruff allows.
@example(name=DEFAULT_NAME, slug="a" * 32, framework="django")
def test_names_and_slugs(tmp_path_factory, name, slug, framework):
    output_dir = tmp_path_factory.mktemp("answers")
    answers = {"project_name": name, "web_framework": framework}
    if slug is not None:
        answers["project_slug"] = slug
    assume(not stopped_by_cookiecutter(output_dir, answers))
    check_render(output_dir, answers)


@settings(REPRODUCIBLE, max_examples=15)
@given(timezone=TIMEZONES)
# A region is a folder of the tzdata package: zoneinfo raises IsADirectoryError,
# which the hook let through as a traceback.
@example(timezone="Europe")
def test_timezones(tmp_path_factory, timezone):
    check_render(tmp_path_factory.mktemp("answers"), {"timezone": timezone})


@pytest.mark.parametrize(
    "answers",
    [
        {"project_name": "{{ Jobs"},
        {"project_name": "!!!"},
        {"project_slug": ".."},
        {"project_slug": "a" * (NAME_MAX + 1)},
    ],
    ids=["braces", "no-slug", "dot-dot", "too-long"],
)
def test_cookiecutter_stops_some_answers_before_the_hooks(render_into, answers):
    result = render_into(**answers)

    assert result.returncode != 0
    assert result.errors == []  # no hook ran to name the field
    assert list(result.output_dir.iterdir()) == []
