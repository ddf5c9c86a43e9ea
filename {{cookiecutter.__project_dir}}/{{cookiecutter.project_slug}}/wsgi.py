"""The WSGI application for the web process: ``gunicorn {{ cookiecutter.project_slug }}.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{__package__}.django_settings")

application = get_wsgi_application()
