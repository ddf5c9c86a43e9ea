import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("django_celery_beat", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="EntryMonitoring",
            fields=[
                (
                    "periodic_task",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="monitoring",
                        serialize=False,
                        to="django_celery_beat.periodictask",
                    ),
                ),
                (
                    "grace_seconds",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="How long after a due time a run may still succeed before the task is overdue.",
                        null=True,
                    ),
                ),
                (
                    "failing_after",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="How many failed runs in a row make the task failing.",
                        null=True,
                    ),
                ),
            ],
            options={
                "verbose_name": "monitoring",
                "verbose_name_plural": "monitoring",
            },
        ),
    ]
