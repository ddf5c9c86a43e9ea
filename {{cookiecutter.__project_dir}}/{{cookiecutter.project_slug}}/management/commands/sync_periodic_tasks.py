"""``manage.py sync_periodic_tasks``: create and update the database schedule from code."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ...celery_app import app
from ...schedule_sync import sync_periodic_tasks


class Command(BaseCommand):
    help = (
        "Create and update django-celery-beat's periodic tasks from BEAT_SCHEDULE, "
        "keeping what an operator enabled or disabled in the admin."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--prune",
            action="store_true",
            help="delete the entries a sync created that are no longer in BEAT_SCHEDULE",
        )
        parser.add_argument(
            "--reset-enabled",
            action="store_true",
            help="enable again the code's entries that were disabled in the admin",
        )

    def handle(self, *args: Any, prune: bool, reset_enabled: bool, **options: Any) -> None:
        report = sync_periodic_tasks(
            app.conf.beat_schedule, app, prune=prune, reset_enabled=reset_enabled
        )
        for name in report.created:
            self.stdout.write(f"created   {name}")
        for name, fields in report.updated.items():
            self.stdout.write(f"updated   {name} ({', '.join(fields)})")
        for name in report.pruned:
            self.stdout.write(f"pruned    {name}")
        for name in report.kept_disabled:
            self.stdout.write(
                f"disabled  {name} (kept as set in the admin; --reset-enabled enables it)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged, {len(report.pruned)} pruned"
            )
        )
