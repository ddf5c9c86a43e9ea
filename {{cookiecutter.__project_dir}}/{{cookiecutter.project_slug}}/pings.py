"""Pings to an outside monitor for each run of an entry, in the style of Healthchecks.io.

Off unless JOB_PING_URL is set, to a URL with ``{entry}`` where the entry's
name goes: ``https://hc-ping.com/<ping key>/{entry}`` gives every entry a
check of its own, named after it. A run that starts pings ``URL/start``; one
that succeeds, ``URL``; one that fails, expires or is revoked, ``URL/fail``
with the error in the body. A skipped or retried run pings ``URL/log``: it
leaves the check as it is, and the monitor flags the entry if no success
follows in time. A ping that fails is logged; it never fails the run.
"""

import logging
from urllib.parse import quote

from .ledger import Outcome
from .settings import ENTRY_PLACEHOLDER, settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0

# The path each outcome pings after the entry's URL.
OUTCOME_PATHS = {
    Outcome.SUCCEEDED: "",
    Outcome.FAILED: "/fail",
    Outcome.EXPIRED: "/fail",
    Outcome.REVOKED: "/fail",
    Outcome.SKIPPED: "/log",
    Outcome.RETRYING: "/log",
}


def url_for(name: str) -> str:
    return settings.job_ping_url.replace(ENTRY_PLACEHOLDER, quote(name, safe=""))


def _ping(name: str, path: str, body: str = "") -> None:
    # Imported on the first ping, not with the module: every worker, beat and
    # command imports this one, and only a project with pings needs httpx.
    import httpx

    url = url_for(name) + path
    try:
        httpx.post(url, content=body.encode(), timeout=TIMEOUT_SECONDS).raise_for_status()
    except httpx.HTTPError as exc:
        logger.warning("Could not ping %s for %s: %s", url, name, exc)


def started(name: str) -> None:
    if settings.job_ping_url:
        _ping(name, "/start")


def finished(name: str, outcome: Outcome, error: str = "") -> None:
    if settings.job_ping_url:
        _ping(name, OUTCOME_PATHS[outcome], f"{outcome}: {error}" if error else str(outcome))
