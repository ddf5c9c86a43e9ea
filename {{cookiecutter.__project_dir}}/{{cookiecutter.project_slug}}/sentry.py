"""Sentry, when SENTRY_DSN is set: errors from every process, and Sentry Crons for every entry.

sentry-sdk's Celery integration, with beat monitoring on: each schedule
entry becomes a cron monitor named after it, and each run checks in as it
starts and ends, on time or not. Off (nothing imported, nothing sent)
while SENTRY_DSN is unset.
"""

from .settings import settings


def start_sentry() -> None:
    if not settings.sentry_dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        integrations=[CeleryIntegration(monitor_beat_tasks=True)],
        # Errors and check-ins; tracing is a choice to make, not a default.
        traces_sample_rate=0,
    )
