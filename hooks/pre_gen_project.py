"""Refuse bad answers before anything is written.

Cookiecutter runs this hook before it renders any file and deletes the
half-made output folder when it exits non-zero, so a refused answer leaves
nothing behind. That folder is named by ``__project_dir``, the slug with any
"/" replaced, so a refused slug such as "a/.." cannot name the output folder
itself. Each check prints one line naming the field at fault.
Standard library only, and no network: rendering must work offline.
"""

import keyword
import re
import sys
import zoneinfo

PROJECT_NAME = {{ cookiecutter.project_name | tojson }}
PROJECT_SLUG = {{ cookiecutter.project_slug | tojson }}
DESCRIPTION = {{ cookiecutter.description | tojson }}
AUTHOR_NAME = {{ cookiecutter.author_name | tojson }}
EMAIL = {{ cookiecutter.email | tojson }}
WEB_FRAMEWORK = {{ cookiecutter.web_framework | tojson }}
SCHEDULER = {{ cookiecutter.scheduler | tojson }}
TIMEZONE = {{ cookiecutter.timezone | tojson }}
PYTHON_VERSION = {{ cookiecutter.python_version | tojson }}

SUPPORTED_PYTHON_VERSIONS = ("3.11", "3.12", "3.13", "3.14")
# Each scheduler and the web frameworks it works with: cookiecutter.json's table.
SCHEDULERS = {{ cookiecutter._schedulers | tojson }}
MAX_SLUG_LENGTH = 32

# Names the generated project imports, runs or tests with. A package with one
# of these names would shadow the real module on sys.path.
THIRD_PARTY_IMPORTS = {
    "billiard",
    "celery",
    "cron_descriptor",
    "dj_database_url",
    "django",
    "django_celery_beat",
    "ephem",
    "flower",
    "gunicorn",
    "honcho",
    "httpx",
    "kombu",
    "psycopg",
    "pytest",
    "pytest_django",
    "pytest_httpserver",
    "redbeat",
    "redis",
    "ruff",
    "test",
    "tests",
    "time_machine",
    "vine",
    "whitenoise",
}
# Folders the generated .gitignore ignores: a package of that name would never be committed.
GIT_IGNORED_FOLDERS = {"dist", "state"}

SLUG_PATTERN = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Quotes, backslashes and control characters would break the TOML, Python
# and YAML files these answers are written into.
UNSAFE_TEXT = re.compile(r'["\\\x00-\x1f\x7f]')


def check_text(field: str, value: str) -> str | None:
    if not value.strip():
        return f"{field}: must not be empty"
    if UNSAFE_TEXT.search(value):
        return f"{field}: {value!r} contains a quote, backslash or control character"
    return None


def check_slug(slug: str) -> str | None:
    if not SLUG_PATTERN.fullmatch(slug):
        return (
            f"project_slug: {slug!r} is not a lowercase Python identifier "
            "(a-z, 0-9 and _, not starting with a digit)"
        )
    if len(slug) > MAX_SLUG_LENGTH:
        return f"project_slug: {slug!r} is longer than {MAX_SLUG_LENGTH} characters"
    if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        return f"project_slug: {slug!r} is a Python keyword"
    if slug in sys.stdlib_module_names or slug in THIRD_PARTY_IMPORTS:
        return f"project_slug: {slug!r} would shadow the {slug!r} module the project imports"
    if slug in GIT_IGNORED_FOLDERS:
        return f"project_slug: {slug!r} is a folder the project's .gitignore leaves out"
    return None


def check_email(email: str) -> str | None:
    if not EMAIL_PATTERN.fullmatch(email):
        return f"email: {email!r} is not an e-mail address"
    return None


def check_timezone(name: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(name)
    # A region such as "Europe" is a folder of the tzdata package, and a name
    # too long for a file is refused by the system: zoneinfo lets both
    # through as OSError.
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        return f"timezone: {name!r} is not an IANA time zone name (for example UTC or Europe/Paris)"
    return None


def check_python_version(version: str) -> str | None:
    if version not in SUPPORTED_PYTHON_VERSIONS:
        supported = ", ".join(SUPPORTED_PYTHON_VERSIONS)
        return f"python_version: {version!r} is not supported (choose one of {supported})"
    return None


def check_framework_and_scheduler(framework: str, scheduler: str) -> str | None:
    # A text answer rather than a choice list, so that its default can follow
    # web_framework (database for Django); checked here instead.
    if scheduler not in SCHEDULERS:
        return f"scheduler: {scheduler!r} is not one of {', '.join(SCHEDULERS)}"
    if framework not in SCHEDULERS[scheduler]:
        frameworks = " or ".join(SCHEDULERS[scheduler])
        return f"scheduler: {scheduler!r} needs web_framework={frameworks}"
    return None


def find_first_error() -> str | None:
    checks = (
        lambda: check_text("project_name", PROJECT_NAME),
        lambda: check_slug(PROJECT_SLUG),
        lambda: check_text("description", DESCRIPTION),
        lambda: check_text("author_name", AUTHOR_NAME),
        lambda: check_email(EMAIL),
        lambda: check_timezone(TIMEZONE),
        lambda: check_python_version(PYTHON_VERSION),
        lambda: check_framework_and_scheduler(WEB_FRAMEWORK, SCHEDULER),
    )
    for check in checks:
        error = check()
        if error:
            return error
    return None


if __name__ == "__main__":
    error = find_first_error()
    if error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(1)
