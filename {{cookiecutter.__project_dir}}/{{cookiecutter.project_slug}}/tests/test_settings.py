"""Settings come from the environment; a bad value stops start-up with one line."""

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..env_files import read_env_files
from ..settings import Settings, SettingsError, flower_options, metrics_options
from .support import APP, PROJECT_ROOT

ENV_EXAMPLE = PROJECT_ROOT / ".env.example"


def test_defaults_when_nothing_is_set():
    settings = Settings.from_environ({})

    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.timezone == "{{ cookiecutter.timezone }}"
    assert settings.heartbeat_interval == 60
    assert settings.heartbeat_max_age == 180
    assert settings.task_time_limit > settings.task_soft_time_limit
    assert settings.visibility_timeout == 3600
    assert settings.beat_leader_lock_ttl == 10


class RecordingEnviron(dict[str, str]):
    """An environment that remembers every variable it was asked for."""

    def __init__(self, **variables):
        super().__init__(variables)
        self.asked = set()

    def get(self, name, default=None):
        self.asked.add(name)
        return super().get(name, default)


def test_every_variable_read_is_documented_in_env_example(tmp_path):
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
    environ = RecordingEnviron(FLOWER_USER="admin", FLOWER_PASSWORD="x" * 16)
    read_env_files(environ, project_dir=tmp_path)
    Settings.from_environ(environ)
    if (PROJECT_ROOT / "flowerconfig.py").exists():
        flower_options(environ)

    assert environ.asked, "the settings read no variable at all"
    assert environ.asked <= documented, environ.asked - documented


def variables_read():
    """Every variable the settings read."""
    environ = RecordingEnviron()
    Settings.from_environ(environ)
    return sorted(environ.asked)


# Any text, and text after the starts that lead the parsers furthest.
VALUES = st.one_of(
    st.text(),
    st.builds(
        str.__add__,
        st.sampled_from(["http://", "https://", "redis://", "rediss://", "/", "9" * 20]),
        st.text(),
    ),
)


@settings(max_examples=500, deadline=None)
@given(name=st.sampled_from(variables_read()), value=VALUES)
def test_any_value_of_any_variable_is_a_setting_or_one_line_naming_it(name, value):
    try:
        Settings.from_environ({name: value})
    except SettingsError as error:
        assert error.variable == name
        assert "\n" not in str(error)


def test_heartbeat_max_age_follows_the_interval():
    assert Settings.from_environ({"HEARTBEAT_INTERVAL": "10"}).heartbeat_max_age == 30


@pytest.mark.parametrize(
    "url",
    [
        "redis://:secret@redis.internal:6380/2",
        "rediss://user:secret@cache.example.com:6380/0",
        "rediss://cache.example.com:6380/0?ssl_ca_certs=/etc/ssl/private-ca.pem",
    ],
)
def test_accepts_redis_urls(url):
    assert Settings.from_environ({"REDIS_URL": url}).redis_url == url


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REDIS_URL", "http://localhost:6379/0"),
        ("REDIS_URL", "redis://localhost:port/0"),
        ("REDIS_URL", "redis://localhost:6379/cache"),
        ("REDIS_URL", "redis://"),
        ("REDIS_URL", "unix:///run/redis.sock"),  # the worker could not use it
        ("STATE_DIR", "x" * 300),  # longer than a file name may be (found by the property test)
        ("HEARTBEAT_INTERVAL", "sixty"),
        ("HEARTBEAT_INTERVAL", "0"),
        ("HEARTBEAT_MAX_AGE", "-5"),
        ("TIMEZONE", "Mars/Olympus_Mons"),
        ("TIMEZONE", "Europe"),
        ("TASK_SOFT_TIME_LIMIT", "1.5"),
        ("SYNC_SOURCE_URL", "ftp://example.com/items"),
        ("ARCHIVE_AFTER_DAYS", "ninety"),
        ("BROKER_VISIBILITY_TIMEOUT", "1h"),
        ("BEAT_LEADER_LOCK_TTL", "2"),
        ("JOBS_FAILING_AFTER", "0"),
        ("JOB_PING_URL", "https://hc-ping.com/key/heartbeat"),  # no {entry}
        ("JOB_PING_URL", "hc-ping.com/key/{entry}"),
        ("SENTRY_DSN", "public@o0.ingest.sentry.io/0"),
        # Values past what the project can hold, or that make no sense together.
        ("HEARTBEAT_INTERVAL", "99999999999999999999999"),
        ("HEARTBEAT_INTERVAL", "999999999999"),
        ("HEARTBEAT_MAX_AGE", "30"),  # below the 60 s interval
        ("TASK_SOFT_TIME_LIMIT", "99999999999"),
        ("BROKER_VISIBILITY_TIMEOUT", "9" * 30),
        ("SYNC_MAX_RETRIES", "1000000"),
        # The cache cleanup would delete the schedule, the heartbeat, the ledger.
        ("CACHE_KEY_PREFIX", "r"),
        ("CACHE_KEY_PREFIX", "re"),
        ("CACHE_KEY_PREFIX", "*"),
        ("CACHE_KEY_PREFIX", "heartbeat"),
        ("CACHE_KEY_PREFIX", "ledger:mine:"),
        # Flower reads it itself, before its configuration: checked for every process.
        ("FLOWER_PORT", "70000"),
        ("FLOWER_PORT", "abc"),
        ("FLOWER_PORT", "0"),
        # Redis Sentinel: addresses, and both variables or neither.
        ("REDIS_SENTINELS", "sentinel-1:26379,sentinel-2:port"),
        ("REDIS_SENTINELS", "redis://sentinel-1:26379"),
        ("REDIS_SENTINELS", "sentinel-1:26379"),  # which primary?
        ("REDIS_SENTINEL_MASTER", "main"),  # asking which sentinels?
    ],
)
def test_refuses_a_malformed_value_naming_the_variable(variable, value):
    with pytest.raises(SettingsError) as error:
        Settings.from_environ({variable: value})

    assert error.value.variable == variable
    assert str(error.value).startswith(f"Invalid environment variable {variable}: ")


def test_reads_redis_sentinels():
    settings = Settings.from_environ(
        {
            "REDIS_SENTINELS": "sentinel-1:26380, [::1]:26381,sentinel-3",
            "REDIS_SENTINEL_MASTER": "main",
            "REDIS_SENTINEL_PASSWORD": "sentinels-own",
        }
    )

    assert settings.redis_sentinels is not None
    assert settings.redis_sentinels.addresses == (
        ("sentinel-1", 26380),
        ("::1", 26381),
        ("sentinel-3", 26379),
    )
    assert settings.redis_sentinels.primary_name == "main"
    assert settings.redis_sentinels.password == "sentinels-own"


def test_refuses_tls_with_redis_sentinels():
    with pytest.raises(SettingsError) as error:
        Settings.from_environ(
            {
                "REDIS_URL": "rediss://cache.example.com:6380/0",
                "REDIS_SENTINELS": "sentinel-1:26379",
                "REDIS_SENTINEL_MASTER": "main",
            }
        )

    assert error.value.variable == "REDIS_URL"


def test_refuses_a_state_dir_that_is_a_file(tmp_path):
    a_file = tmp_path / "state"
    a_file.write_text("")

    with pytest.raises(SettingsError, match="is a file, not a folder"):
        Settings.from_environ({"STATE_DIR": str(a_file)})


def test_refuses_a_hard_time_limit_below_the_soft_one():
    with pytest.raises(SettingsError, match="TASK_TIME_LIMIT"):
        Settings.from_environ({"TASK_SOFT_TIME_LIMIT": "300", "TASK_TIME_LIMIT": "200"})


def test_the_visibility_timeout_outlasts_the_hard_time_limit():
    # Shorter, a task still running would be handed to a second worker.
    with pytest.raises(SettingsError, match="BROKER_VISIBILITY_TIMEOUT"):
        Settings.from_environ({"TASK_TIME_LIMIT": "600", "BROKER_VISIBILITY_TIMEOUT": "600"})
    # Longer time limits push the default past an hour.
    assert Settings.from_environ({"TASK_TIME_LIMIT": "2400"}).visibility_timeout == 4800


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"FLOWER_PASSWORD": "a-long-enough-password"}, "FLOWER_USER"),
        ({"FLOWER_USER": "admin"}, "FLOWER_PASSWORD"),
        ({"FLOWER_USER": "admin", "FLOWER_PASSWORD": "short"}, "FLOWER_PASSWORD"),
    ],
)
def test_flower_refuses_to_run_without_a_login(environ, variable):
    with pytest.raises(SettingsError) as error:
        flower_options(environ)

    assert error.value.variable == variable


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"METRICS_PASSWORD": "a-long-enough-password"}, "METRICS_USER"),
        ({"METRICS_USER": "prometheus", "METRICS_PASSWORD": "short"}, "METRICS_PASSWORD"),
        (
            {"METRICS_USER": "p", "METRICS_PASSWORD": "x" * 16, "METRICS_PORT": "web"},
            "METRICS_PORT",
        ),
        (
            {"METRICS_USER": "p", "METRICS_PASSWORD": "x" * 16, "METRICS_PORT": "95400"},
            "METRICS_PORT",
        ),
    ],
)
def test_the_metrics_endpoint_refuses_to_run_without_a_login(environ, variable):
    with pytest.raises(SettingsError) as error:
        metrics_options(environ)

    assert error.value.variable == variable


def test_flower_listens_on_loopback_by_default():
    basic_auth, address, port = flower_options(
        {"FLOWER_USER": "admin", "FLOWER_PASSWORD": "x" * 16}
    )

    assert basic_auth == ["admin:" + "x" * 16]
    assert (address, port) == ("127.0.0.1", 5555)


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-c", f"import {APP}"],
        [sys.executable, "-m", "celery", "-A", APP, "worker"],
        [sys.executable, "-m", "celery", "-A", APP, "beat"],
    ],
    ids=["import", "worker", "beat"],
)
def test_a_process_with_a_bad_value_exits_with_one_line(command):
    result = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env={"PATH": "", "ENV_FILE": "", "HEARTBEAT_INTERVAL": "often"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Invalid environment variable HEARTBEAT_INTERVAL: 'often' is not a whole number"
    ]
