"""Flower's configuration, read by ``celery flower`` from the project root.

Flower will not start without FLOWER_USER and FLOWER_PASSWORD; it listens on
FLOWER_ADDRESS (127.0.0.1 unless set) and FLOWER_PORT (5555). Every page
takes the login, /metrics included; /healthcheck alone answers without it.

Started before the workers, Flower logs "Inspect method ... failed" for each
question no worker answered yet; it learns of them from their events once
they start. The README says so, rather than this file silencing the warning,
which also tells of workers that are really gone.
"""

import socket

from flower.views.monitor import Metrics
from tornado.web import authenticated

from {{ cookiecutter.project_slug }}.settings import SettingsError, flower_options

basic_auth, address, port = flower_options()


def check_port_is_free() -> None:
    """Stop in one line when the port is taken (a Flower under make dev, say).

    Flower would find out later, and end in a 20-line traceback.
    """
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Flower binds it
        try:
            probe.bind((address, port))
        except OSError as exc:
            problem = f"cannot listen on {address}:{port}: {exc.strerror}"
            raise SettingsError("FLOWER_PORT", problem) from None


check_port_is_free()

# Flower serves /metrics (task names, worker names, counts) without its
# login, by design since Flower 1.1. Here it takes the login like every other
# page, as Flower's own pages require it: a Prometheus that scrapes it gives
# the login (basic_auth); /healthcheck stays open for compose's healthcheck.
setattr(Metrics, "get", authenticated(Metrics.get))  # noqa: B010 - a method replaced
