"""Flower's configuration, read by ``celery flower`` from the project root.

Flower will not start without FLOWER_USER and FLOWER_PASSWORD; it listens on
FLOWER_ADDRESS (127.0.0.1 unless set) and FLOWER_PORT (5555).

Started before the workers, Flower logs "Inspect method ... failed" for each
question no worker answered yet; it learns of them from their events once
they start. The README says so, rather than this file silencing the warning,
which also tells of workers that are really gone.
"""

from {{ cookiecutter.project_slug }}.settings import flower_options

basic_auth, address, port = flower_options()
