"""Whether ``manage.py migrate`` has run, for the processes that may start before it.

Compose, Heroku and ``make dev`` migrate first, but nothing stops web or beat
from starting on a database that is not migrated yet: ``make web`` before
``make migrate``, a process started by hand. Beat waits (``scheduler``); the
web process answers 503 until the migrations are applied
(``WaitForMigrationsMiddleware``).
"""

import logging
import time
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseBase

logger = logging.getLogger(__name__)

# While waiting, look at most this often: each look loads every migration file.
CHECK_INTERVAL_SECONDS = 1
RETRY_AFTER_SECONDS = 5


def count_unapplied_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class WaitForMigrationsMiddleware:
    """Answer every request with 503 until the database is migrated.

    Without it, a site started before ``migrate`` fails on missing tables with
    500s, and keeps failing until someone restarts it. Once the migrations are
    found applied they are never looked at again: the code this process runs
    cannot gain new ones.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.migrated = False
        self.waiting = False
        self.next_check = 0.0

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.migrated or self._found_migrated():
            return self.get_response(request)
        response = HttpResponse(
            "waiting for database migrations\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def _found_migrated(self) -> bool:
        now = time.monotonic()
        if now < self.next_check:
            return False
        self.next_check = now + CHECK_INTERVAL_SECONDS
        try:
            pending = count_unapplied_migrations()
        except DatabaseError as exc:
            # PostgreSQL still starting, say: not ready either way.
            pending, detail = None, f"the database is not reachable ({exc})"
        else:
            detail = f"{pending} migrations are not applied; run `manage.py migrate`"
        if pending == 0:
            if self.waiting:
                logger.info("Database migrated; serving requests")
            self.migrated = True
            return True
        if not self.waiting:
            logger.warning("Web is answering 503: %s", detail)
            self.waiting = True
        return False
