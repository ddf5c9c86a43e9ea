"""A web process started before ``migrate`` answers 503, then serves without a restart."""

import subprocess
import sys
import time

import httpx
import pytest
from django.http import HttpResponse

from .. import unapplied_migrations
from ..unapplied_migrations import (
    CHECK_INTERVAL_SECONDS,
    WaitForMigrationsMiddleware,
)
from .support import PACKAGE, PROJECT_ROOT, ProjectProcess, free_port, wait_for

WAITING = "waiting for database migrations"
WSGI_APP = f"{PACKAGE}.wsgi"


class WebServer(ProjectProcess):
    """gunicorn as the Procfile runs it, on a free loopback port."""

    def __init__(self, log_path, environment):
        self.url = f"http://127.0.0.1:{free_port()}"
        address = self.url.removeprefix("http://")
        super().__init__(
            ["gunicorn", WSGI_APP, "--bind", address, "--log-file", "-"],
            log_path,
            environment,
        )

    def get(self, path):
        """The response, or None while the server is not listening yet."""
        try:
            return httpx.get(self.url + path, timeout=5)
        except httpx.TransportError:
            return None


@pytest.fixture
def unmigrated_web(tmp_path):
    """A web server on a fresh, empty SQLite database that nothing has migrated."""
    environment = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    server = WebServer(tmp_path / "web.log", environment)
    try:
        yield server
    finally:
        server.stop()


def test_a_site_started_before_migrate_waits_then_serves(unmigrated_web):
    web = unmigrated_web
    waiting = wait_for(lambda: web.get("/admin/login/"), 30, lambda: f"no answer:\n{web.log()}")

    assert waiting.status_code == 503
    assert waiting.text.strip() == WAITING
    assert int(waiting.headers["Retry-After"]) > 0
    assert web.get("/health/").text.strip() == WAITING

    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=PROJECT_ROOT,
        env=web.environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    def login_page_served():
        response = web.get("/admin/login/")
        return response is not None and response.status_code == 200

    wait_for(login_page_served, 10, lambda: f"the login page did not load:\n{web.log()}")
    # Served by the worker that answered 503: nothing restarted.
    assert web.log().count("Booting worker") == 1


def test_looks_at_most_once_a_second_while_waiting_and_never_once_migrated(monkeypatch, rf):
    unapplied = [3]
    looks = []

    def look():
        looks.append(time.monotonic())
        return unapplied[0]

    monkeypatch.setattr(unapplied_migrations, "count_unapplied_migrations", look)
    middleware = WaitForMigrationsMiddleware(lambda request: HttpResponse("served"))

    assert [middleware(rf.get("/")).status_code for _ in range(5)] == [503] * 5
    assert len(looks) == 1

    unapplied[0] = 0
    time.sleep(CHECK_INTERVAL_SECONDS)

    assert [middleware(rf.get("/")).status_code for _ in range(5)] == [200] * 5
    assert len(looks) == 2
