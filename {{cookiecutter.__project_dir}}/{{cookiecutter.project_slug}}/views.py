"""The site's own pages: ``/``, and ``/health/`` for load balancers and uptime monitors."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .health import check_redis_and_heartbeat
from .redis_client import quick_redis


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where to go from here: the admin, the health check, Flower."""
    return render(request, "{{ cookiecutter.project_slug }}/home.html")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """The health command's Redis and heartbeat checks, over HTTP.

    For a load balancer or an uptime monitor that can only make requests:
    200 with the checks as JSON when healthy, 503 when not.
    """
    client = quick_redis()
    try:
        checks = check_redis_and_heartbeat(client)
    finally:
        client.close()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"healthy": healthy, "checks": checks}, status=200 if healthy else 503)
