#!/usr/bin/env python
"""Django's command-line utility: ``uv run python manage.py <command>``."""

import os
import sys

SETTINGS_MODULE = "{{ cookiecutter.project_slug }}.django_settings"

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
