"""Django's settings: ``DJANGO_SETTINGS_MODULE={{ cookiecutter.project_slug }}.django_settings``.

Like the rest of the project they come from the environment. What the Celery
side shares (Redis, the time zone, task limits) is read once, in the
project's ``settings``;
what only Django needs is read here. A value Django cannot use stops start-up
with one line naming the variable.

Celery's settings are the CELERY_* names at the end, from ``celery_config``:
celery_app reads them with ``namespace="CELERY"``, so CELERY_BROKER_URL is
Celery's ``broker_url``.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext

from . import celery_config
from .scheduler_settings import DJANGO_APPS
from .settings import SettingsError, read_flag
from .settings import settings as project_settings

# Lets classes such as ModelAdmin take a type argument (ModelAdmin[Document])
# at run time, as they do for the type checker.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DATABASE_ENGINES = ("django.db.backends.sqlite3", "django.db.backends.postgresql")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The longest HSTS_SECONDS accepted: two years, what hstspreload.org advises.
TWO_YEARS = 2 * 365 * 24 * 60 * 60


def _port(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(name, f"{value!r} is not a port number")
    return int(value)


def _seconds(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit():
        raise SettingsError(name, f"{value!r} is not a whole number of seconds")
    if int(value) > TWO_YEARS:
        raise SettingsError(name, f"{value!r} is more than two years ({TWO_YEARS})")
    return int(value)


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _origins(name: str) -> list[str]:
    origins = _list(name, "")
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise SettingsError(name, f"{origin!r} is not an origin like https://example.com")
    return origins


def _log_level(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    if value.upper() not in LOG_LEVELS:
        raise SettingsError(name, f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
    return value.upper()


def _secret_key() -> str:
    value = os.environ.get("SECRET_KEY", "")
    if len(value) < 50:
        # Django signs sessions and password-reset links with it; a short or
        # shared key lets anyone who guesses it forge them.
        raise SettingsError("SECRET_KEY", "must be set to at least 50 random characters")
    return value


def _database(default: str) -> dj_database_url.DBConfig:
    value = os.environ.get("DATABASE_URL") or default
    try:
        database = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise SettingsError("DATABASE_URL", f"{value!r} is not a database URL ({exc})") from None
    if database["ENGINE"] not in DATABASE_ENGINES:
        raise SettingsError("DATABASE_URL", f"{value!r} must start with sqlite:// or postgres://")
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["CONN_MAX_AGE"] = 0
        database["OPTIONS"] = {
            # Worker, beat and web write to the same file. IMMEDIATE takes
            # the write lock when a transaction starts, so a read-then-write
            # transaction cannot be overtaken between its read and its write;
            # WAL lets readers go on while one process writes.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return database


SECRET_KEY = _secret_key()
DEBUG = read_flag(os.environ, "DEBUG")
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "localhost,127.0.0.1")

# HTTPS only, unless DEBUG or HTTPS_ONLY=0 says otherwise: plain http is
# redirected, the session and CSRF cookies never travel over it, and browsers
# are told (HSTS) to use nothing else. Local runs over plain http (make web,
# make dev, compose on 127.0.0.1, the tests) set HTTPS_ONLY=0.
_HTTPS_ONLY = read_flag(os.environ, "HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = _HTTPS_ONLY
SESSION_COOKIE_SECURE = _HTTPS_ONLY
CSRF_COOKIE_SECURE = _HTTPS_ONLY
# Short by default: a browser that saw the header refuses plain http for this
# long, whatever the site does meanwhile. Raise it once HTTPS works everywhere.
_HSTS_SECONDS = _seconds("HSTS_SECONDS", 3600)
SECURE_HSTS_SECONDS = _HSTS_SECONDS if _HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading has browsers hard-code the domain as HTTPS-only, for good. The
# domain's owner asks for it at hstspreload.org; a template does not.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if read_flag(os.environ, "BEHIND_TLS_PROXY"):
    # TLS ends at a proxy (Heroku's router, nginx, a load balancer), so every
    # request reaches Django as http; the proxy says which it was. Without
    # this the redirect to https would never end. Set it only behind a proxy
    # that replaces any X-Forwarded-Proto the client sent.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Other origins whose forms may post here: needed only when the proxy hands
# Django another host or port than the browser used.
CSRF_TRUSTED_ORIGINS = _origins("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    *DJANGO_APPS,
    __package__,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # 503 instead of 500s while the site runs ahead of `manage.py migrate`.
    f"{__package__}.unapplied_migrations.WaitForMigrationsMiddleware",
    # Serves the admin's CSS and scripts from the web process itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = f"{__package__}.urls"
WSGI_APPLICATION = f"{__package__}.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": _database(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# One time zone for Django and Celery: crontab entries, the admin and the
# reports all speak the project's local time.
TIME_ZONE = project_settings.timezone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves the admin's files straight from the installed apps, so
# the site needs no collectstatic step (and no STATIC_ROOT) and no separate
# file server.
WHITENOISE_USE_FINDERS = True

# E-mail goes to the console unless EMAIL_BACKEND names a real one, e.g.
# django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST and friends.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _port("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = read_flag(os.environ, "EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "{{ cookiecutter.email }}"
# Who receives the weekly report; empty, it is stored and not sent.
REPORT_RECIPIENTS = _list("REPORT_RECIPIENTS", "")

# One log format for web, worker and beat: Celery uses this configuration
# instead of its own (see celery_app).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "[%(asctime)s: %(levelname)s/%(processName)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": _log_level("LOG_LEVEL", "INFO")},
}

# --- Celery
# Its settings are written once, in celery_config, for both flavours. Here
# they become Django settings, CELERY_BROKER_URL for broker_url, which
# celery_app reads with namespace="CELERY". To change one for this site, set
# its CELERY_* name below this line.
globals().update(celery_config.as_django_settings(celery_config.CELERY_SETTINGS))
