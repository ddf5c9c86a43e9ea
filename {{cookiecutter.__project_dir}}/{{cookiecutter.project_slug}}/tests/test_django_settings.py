"""Django's settings come from the environment; a bad value stops start-up with one line."""

import os
import subprocess
import sys

import pytest

from .support import PACKAGE, PROJECT_ROOT

SETTINGS_MODULE = f"{PACKAGE}.django_settings"


def run_python(code, **environment):
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_manage(*arguments, **environment):
    return run_python(
        "from django.core.management import execute_from_command_line; "
        f"execute_from_command_line(['manage.py', *{list(arguments)!r}])",
        **environment,
    )


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("SECRET_KEY", "", "must be set to at least 50 random characters"),
        ("SECRET_KEY", "short", "must be set to at least 50 random characters"),
        ("DEBUG", "maybe", "'maybe' is not one of"),
        ("DATABASE_URL", "mysql://db/app", "must start with sqlite:// or postgres://"),
        ("DATABASE_URL", "postgres://db:port/app", "is not a database URL"),
        ("EMAIL_PORT", "smtp", "'smtp' is not a port number"),
        ("HTTPS_ONLY", "always", "'always' is not one of"),
        ("HSTS_SECONDS", "1y", "'1y' is not a whole number of seconds"),
        ("HSTS_SECONDS", "9" * 20, "is more than two years"),
        ("BEHIND_TLS_PROXY", "nginx", "'nginx' is not one of"),
        ("CSRF_TRUSTED_ORIGINS", "example.com", "is not an origin like https://example.com"),
        ("CSRF_TRUSTED_ORIGINS", "https://example.com/admin/", "is not an origin like"),
        ("LOG_LEVEL", "garbage", "'garbage' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line_naming_it(variable, value, problem):
    result = run_python(f"import {SETTINGS_MODULE}", **{variable: value})

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Invalid environment variable {variable}: ")
    assert problem in line


def test_manage_py_takes_what_the_environment_lacks_from_the_env_file(tmp_path):
    env_file = tmp_path / "test.env"
    env_file.write_text(f"SECRET_KEY={'k' * 50}\n")
    environment = {key: item for key, item in os.environ.items() if key != "SECRET_KEY"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_ROOT,
        env={**environment, "ENV_FILE": str(env_file)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_log_level_takes_any_case():
    result = run_python(
        f"from {SETTINGS_MODULE} import LOGGING; print(LOGGING['root']['level'])", LOG_LEVEL="debug"
    )

    assert result.stdout.strip() == "DEBUG", result.stderr


@pytest.mark.parametrize(("value", "debug"), [(None, "False"), ("0", "False"), ("1", "True")])
def test_debug_is_off_unless_asked(value, debug):
    environment = {key: item for key, item in os.environ.items() if key != "DEBUG"}
    if value is not None:
        environment["DEBUG"] = value
    result = subprocess.run(
        [sys.executable, "-c", f"from {SETTINGS_MODULE} import DEBUG; print(DEBUG)"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == debug, result.stderr


@pytest.mark.parametrize(
    ("environment", "https_only"),
    [
        ({}, True),
        ({"DEBUG": "1"}, False),
        ({"HTTPS_ONLY": "0"}, False),
        ({"DEBUG": "1", "HTTPS_ONLY": "1"}, True),
    ],
)
def test_https_only_unless_debug_or_turned_off(environment, https_only):
    result = run_python(
        f"import {SETTINGS_MODULE} as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS > 0)",
        # Empty counts as unset.
        **{"DEBUG": "", "HTTPS_ONLY": "", **environment},
    )

    assert result.stdout.split() == [str(https_only)] * 4, result.stderr


def test_production_settings_pass_the_deployment_checks():
    # As deployed behind a TLS proxy, DEBUG and HTTPS_ONLY unset (empty counts as unset).
    production = {"DEBUG": "", "HTTPS_ONLY": "", "BEHIND_TLS_PROXY": "1"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production)

    assert result.returncode == 0, result.stdout + result.stderr


def test_celery_and_django_share_one_time_zone(settings):
    from ..celery_app import app

    assert app.conf.timezone == settings.TIME_ZONE


def test_system_checks_pass():
    result = run_manage("check", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_match_the_models():
    result = run_manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr
