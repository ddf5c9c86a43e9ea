"""Bad answers: one clear line naming the field, a non-zero exit, nothing written."""

import pytest

BAD_ANSWERS = [
    ({"project_slug": "1st_project"}, "project_slug"),
    ({"project_slug": "My-Project"}, "project_slug"),
    ({"project_slug": "a" * 33}, "project_slug"),
    ({"project_slug": "class"}, "project_slug"),
    ({"project_slug": "celery"}, "project_slug"),
    ({"project_slug": "redis"}, "project_slug"),
    ({"project_slug": "django"}, "project_slug"),
    ({"project_slug": "tests"}, "project_slug"),
    ({"project_slug": "test"}, "project_slug"),
    ({"project_slug": "json"}, "project_slug"),
    ({"project_slug": "gunicorn"}, "project_slug"),
    ({"project_slug": "state"}, "project_slug"),  # git-ignored in the project
    ({"project_name": "99 Problems"}, "project_slug"),
    ({"project_name": 'The "Best" Jobs'}, "project_name"),
    ({"description": "   "}, "description"),
    ({"email": "not-an-address"}, "email"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "utc+2"}, "timezone"),
    ({"python_version": "3.9"}, "python_version"),
    ({"python_version": "3.15"}, "python_version"),
    ({"scheduler": "database"}, "scheduler"),
    ({"scheduler": "postgres"}, "scheduler"),
    ({"web_framework": "django", "scheduler": "cron"}, "scheduler"),
]


@pytest.mark.parametrize(
    ("answers", "field"),
    BAD_ANSWERS,
    ids=[f"{field}-{i}" for i, (_, field) in enumerate(BAD_ANSWERS)],
)
def test_refuses_bad_answer_leaving_nothing(render_into, answers, field):
    result = render_into(**answers)

    assert result.returncode != 0
    (line,) = result.stderr.strip().splitlines()  # one line, and nothing else on stderr
    assert line.startswith(f"ERROR: {field}: ")
    assert list(result.output_dir.iterdir()) == []
    # What the README says cookiecutter adds, on stdout, for any hook that fails.
    assert result.stdout.strip().splitlines()[-1] == "Hook script failed (exit status: 1)"


@pytest.mark.parametrize(
    "answers",
    [
        {"project_name": "Café Jobs"},
        {"project_slug": "a" * 32},
        {"timezone": "Asia/Kathmandu"},
        {"python_version": "3.11"},
        {"project_name": "Nightly Maintenance", "email": "ops+celery@example.co.uk"},
    ],
)
def test_accepts_unusual_but_valid_answers(render_into, answers):
    result = render_into(**answers)

    assert result.returncode == 0, result.stderr
