"""No setting prints a secret: not ``celery report``, nor ``inspect conf`` (Flower's config page).

Redis here is the way a production one is set up: an ACL user with a
password full of URL-special characters, and no default user. Worker,
results, beat and the project's own client all reach it with REDIS_URL.
"""

import os
import subprocess
import sys
from urllib.parse import quote

import pytest
import redis as redis_py

from ..redis_client import HEARTBEAT_KEY
from .scheduler_support import store_code_schedule
from .support import APP, PROJECT_ROOT, dry_cleanup_round_trip, wait_for, worker_is_ready

USER = "housekeeper"
PASSWORD = "p@ss:w/rd?#%-redis-secret"
# Every other secret a process of the project may hold.
SECRETS = {
    "SENTRY_DSN": "https://sentrysecretkey@127.0.0.1:9/1",
    "JOB_PING_URL": "http://127.0.0.1:9/pingsecretkey/{entry}",
    "METRICS_PASSWORD": "metrics-secret-password",
    "FLOWER_PASSWORD": "flower-secret-password",
    "SECRET_KEY": "django-secret-key-" + "k" * 40,
    "EMAIL_HOST_PASSWORD": "mail-secret-password",
}


@pytest.fixture
def acl_redis_url(private_redis):
    """A REDIS_URL for an ACL user of ``private_redis``, whose default user is off."""
    client = redis_py.Redis(port=private_redis.port)
    client.execute_command("ACL", "SETUSER", USER, "on", f">{PASSWORD}", "~*", "&*", "+@all")
    client.execute_command("ACL", "SETUSER", "default", "off")
    return f"redis://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{private_redis.port}/0"


def leaked(output):
    """The secrets ``output`` shows, as they are or as they appear in a URL."""
    secrets = [PASSWORD, quote(PASSWORD, safe=""), "secretkey", *SECRETS.values()]
    return [secret for secret in secrets if secret in output]


def run(*command, **environment):
    return subprocess.run(
        list(command),
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_celery_report_shows_no_secret(acl_redis_url):
    result = run(
        sys.executable, "-m", "celery", "-A", APP, "report", REDIS_URL=acl_redis_url, **SECRETS
    )

    assert result.returncode == 0, result.stderr
    assert "broker_url" in result.stdout.lower()
    assert leaked(result.stdout + result.stderr) == []


def test_celery_report_shows_no_secret_with_redis_sentinel(acl_redis_url):
    sentinel_password = "sentinels-own-secret"
    result = run(
        *(sys.executable, "-m", "celery", "-A", APP, "report"),
        REDIS_URL=acl_redis_url,
        REDIS_SENTINELS="127.0.0.1:26379",
        REDIS_SENTINEL_MASTER="main",
        REDIS_SENTINEL_PASSWORD=sentinel_password,
        **SECRETS,
    )

    assert result.returncode == 0, result.stderr
    assert "sentinel://127.0.0.1:26379/0" in result.stdout
    assert leaked(result.stdout + result.stderr) == []
    assert sentinel_password not in result.stdout + result.stderr


def test_worker_results_and_beat_use_an_acl_login_and_inspect_conf_shows_no_secret(
    acl_redis_url, start_worker, start_beat, tmp_path
):
    environment = {"REDIS_URL": acl_redis_url, **SECRETS}
    worker = start_worker(**environment)
    wait_for(lambda: worker_is_ready(worker), 30, worker.log)

    result = dry_cleanup_round_trip(**environment)
    assert result.stdout.strip() == "True", result.stderr

    conf = run(sys.executable, "-m", "celery", "-A", APP, "inspect", "conf", **environment)
    assert conf.returncode == 0, conf.stderr
    assert "broker_url" in conf.stdout.lower()
    assert leaked(conf.stdout + conf.stderr) == []

    store_code_schedule()
    beat = start_beat(STATE_DIR=str(tmp_path / "state"), **environment)
    login = redis_py.Redis.from_url(acl_redis_url)
    wait_for(lambda: login.hget(HEARTBEAT_KEY, "sent_at"), 30, beat.log)
