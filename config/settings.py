"""Tieout settings: one module, driven by the environment.

Every variable is listed with a comment in `.env.example`. Development defaults are safe to run
locally with nothing installed (SQLite, a filesystem Celery broker, console email). With
`DEBUG` off the module refuses to load an insecure configuration; see `production_problems()`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envint, envlist, envsecret, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("TIEOUT_VAR_DIR", str(BASE_DIR / "var")))

# Known development-only values. Production refuses to start while any of them is in use.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
# A valid Fernet key that is public (it is in this file), so it protects nothing.
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktaW5zZWN1cmUtZmVybmV0LWtleS0wMDA="

# ------------------------------------------------------------------------------
# Core
# https://docs.djangoproject.com/en/6.1/ref/settings/
# ------------------------------------------------------------------------------
DEBUG = envbool("DEBUG", False)
SECRET_KEY = envsecret("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Tieout"
SITE_ID = 1

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets, served by us (no CDN)
]
LOCAL_APPS = [
    "tenants",
    "connections",
    "mappings",
    "syncs",
    "partner_hooks",
    "api",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.navigation",
            ],
        },
    }
]

# ------------------------------------------------------------------------------
# Database: PostgreSQL when DATABASE_URL is set, SQLite otherwise (zero-setup default).
# https://github.com/jazzband/dj-database-url
# ------------------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "tieout.sqlite3",
            # WAL lets the web process read while the worker writes.
            # IMMEDIATE: a transaction takes the write lock at BEGIN, which serialises token
            # refreshes the way select_for_update does on PostgreSQL (a no-op on SQLite).
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL;",
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
            # Tests use a file too (config/settings_test.py), not shared-cache memory, so that
            # tests with threads lock like production.
        }
    }

# ------------------------------------------------------------------------------
# Redis: Celery broker and the shared cache. Without REDIS_URL, Celery uses its
# filesystem transport and the cache lives in files, both under VAR_DIR, so web,
# worker and beat processes on one machine still share them.
# ------------------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.ReusingRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

if not DATABASE_URL or not REDIS_URL:
    # Zero-setup mode keeps its database, cache and queue files here.
    VAR_DIR.mkdir(parents=True, exist_ok=True)

# ------------------------------------------------------------------------------
# Celery (the app and the beat schedule live in config/celery.py)
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ------------------------------------------------------------------------------
CELERY_QUEUE_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Redis redelivers an unacknowledged task after the visibility timeout. With acks_late a
    # task is acknowledged only when it ends, so the timeout must exceed the longest hard time
    # limit (30 min), or a long task would run twice in parallel. Correctness never depends on
    # this: every task is safe to run twice (docs/decisions.md).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": 2 * 60 * 60}
else:
    CELERY_BROKER_URL = "filesystem://"
    for _folder in ("out", "processed", "control"):
        (CELERY_QUEUE_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "out"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "out"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# ------------------------------------------------------------------------------
# Accounts (django-allauth): email is the login; verification is mandatory in production.
# https://docs.allauth.org/en/latest/account/configuration.html
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "tenants.forms.SignupForm"
ACCOUNT_ADAPTER = "tenants.adapters.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = envstr(
    "ACCOUNT_EMAIL_VERIFICATION", "optional" if DEBUG else "mandatory"
)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Invitations
INVITATION_TTL_DAYS = envint("INVITATION_TTL_DAYS", 7)

# ------------------------------------------------------------------------------
# Email: console in development, SMTP when EMAIL_HOST is set.
# ------------------------------------------------------------------------------
# Django 6.1 configures mail through MAILERS (the EMAIL_* settings are deprecated).
email_host = envstr("EMAIL_HOST")  # lower case: EMAIL_* names are not allowed beside MAILERS
if email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": email_host,
                "port": envint("EMAIL_PORT", 587),
                "username": envstr("EMAIL_HOST_USER"),
                "password": envsecret("EMAIL_HOST_PASSWORD"),
                "use_tls": envbool("EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Tieout <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ------------------------------------------------------------------------------
# Secrets at rest: MultiFernet keys, newest first. Dedicated keys, never derived from
# SECRET_KEY, so rotating one does not touch the other.
# ------------------------------------------------------------------------------
FIELD_ENCRYPTION_KEYS = envlist(
    "FIELD_ENCRYPTION_KEYS", [DEV_FIELD_ENCRYPTION_KEY] if DEBUG else []
)

# ------------------------------------------------------------------------------
# Stripe. Production URLs are the defaults; the demo and the tests point them at
# emulators/stripe.
# ------------------------------------------------------------------------------
STRIPE_ENABLED = envbool("STRIPE_ENABLED", True)
STRIPE_API_BASE = envstr("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_CONNECT_BASE = envstr("STRIPE_CONNECT_BASE", "https://connect.stripe.com")
STRIPE_SECRET_KEY = envsecret("STRIPE_SECRET_KEY")
STRIPE_CONNECT_CLIENT_ID = envstr("STRIPE_CONNECT_CLIENT_ID")
STRIPE_APP_CLIENT_ID = envstr("STRIPE_APP_CLIENT_ID")
STRIPE_APP_CLIENT_SECRET = envsecret("STRIPE_APP_CLIENT_SECRET")
STRIPE_WEBHOOK_SECRET = envsecret("STRIPE_WEBHOOK_SECRET")
# Where a Stripe Apps install link sends the user (the emulator serves one for the demo).
STRIPE_APP_AUTHORIZE_URL = envstr(
    "STRIPE_APP_AUTHORIZE_URL", "https://marketplace.stripe.com/oauth/v2/authorize"
)

# ------------------------------------------------------------------------------
# Intuit (QuickBooks Online). Production URLs are the defaults.
# ------------------------------------------------------------------------------
INTUIT_ENABLED = envbool("INTUIT_ENABLED", True)
INTUIT_CLIENT_ID = envstr("INTUIT_CLIENT_ID")
INTUIT_CLIENT_SECRET = envsecret("INTUIT_CLIENT_SECRET")
INTUIT_ENVIRONMENT = envstr("INTUIT_ENVIRONMENT", "production")
if INTUIT_ENVIRONMENT not in ("production", "sandbox"):
    raise ImproperlyConfigured("INTUIT_ENVIRONMENT must be 'production' or 'sandbox'")
# Empty = Intuit's own discovery document for INTUIT_ENVIRONMENT (intuit-oauth knows both).
INTUIT_DISCOVERY_URL = envstr("INTUIT_DISCOVERY_URL")
INTUIT_API_BASE = envstr(
    "INTUIT_API_BASE",
    "https://quickbooks.api.intuit.com"
    if INTUIT_ENVIRONMENT == "production"
    else "https://sandbox-quickbooks.api.intuit.com",
)
INTUIT_MINOR_VERSION = 75
INTUIT_WEBHOOK_VERIFIER_TOKEN = envsecret("INTUIT_WEBHOOK_VERIFIER_TOKEN")

# ------------------------------------------------------------------------------
# Outgoing webhooks to partners (partner_hooks/). Production calls only public https
# addresses; development and the tests may call a receiver on loopback.
# ------------------------------------------------------------------------------
PARTNER_HOOKS_ALLOW_PRIVATE_URLS = DEBUG

# ------------------------------------------------------------------------------
# Internationalisation. Each organisation picks its own time zone and locale; these
# are the defaults for pages outside an organisation.
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en-us", "English (US)"), ("en-gb", "English (UK)")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Static files, served by WhiteNoise (compressed, hashed names in production).
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# ------------------------------------------------------------------------------
# REST framework: the partner API at /api/v1/ (api/). Keys as `Authorization: Bearer`, the
# session for the dashboard's own calls; every error is application/problem+json.
# https://www.django-rest-framework.org/api-guide/settings/
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",  # first: its 401 carries WWW-Authenticate
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per API key (or signed-in user), e.g. "600/minute"; over it: 429 with Retry-After.
API_RATE_LIMIT = envstr("API_RATE_LIMIT", "600/minute")
if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE_LIMIT):
    raise ImproperlyConfigured("API_RATE_LIMIT must look like 600/minute (per s, m, h or d)")
# OpenAPI 3 via drf-spectacular: /api/v1/schema/ and the docs page /api/v1/docs/.
# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Tieout Partner API",
    "DESCRIPTION": (
        "Everything an accountant does in the Tieout dashboard: organisations, members, "
        "connections, mappings, syncs, documents, errors and tie-out. Authenticate with "
        "`Authorization: Bearer <key>`. Lists use cursor pagination (`next`/`previous` URLs, "
        "`limit` up to 200). Times are ISO 8601 in UTC; money is an integer amount in minor "
        "units with its currency. Errors are application/problem+json (RFC 9457). POSTs "
        "accept an `Idempotency-Key` header."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "SyncRunStatusEnum": "syncs.models.SyncRun.Status",
        "DocumentStatusEnum": "syncs.models.OutboxDocument.Status",
        "ConnectionStatusEnum": "connections.models.Connection.Status",
        "InvitationStatusEnum": "tenants.models.Invitation.Status",
    },
}

# ------------------------------------------------------------------------------
# Logging: one line per record, secrets redacted by connections' filter once it exists.
# ------------------------------------------------------------------------------
LOG_LEVEL = envstr("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# ------------------------------------------------------------------------------
# Production hardening. https://docs.djangoproject.com/en/6.1/howto/deployment/checklist/
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
    # /healthz answers over plain HTTP to the container's own health check.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]


def production_problems(settings: dict[str, Any]) -> list[str]:
    """List what makes a production configuration insecure; empty when it is fine.

    Takes the settings as a dict so that tests can check each rule without reloading modules.
    """
    problems = []
    secret_key = settings.get("SECRET_KEY", "")
    if not secret_key or secret_key == DEV_SECRET_KEY or len(secret_key) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    hosts = settings.get("ALLOWED_HOSTS") or []
    if not hosts or "*" in hosts:
        problems.append("ALLOWED_HOSTS must list the host names this site answers to")
    keys = settings.get("FIELD_ENCRYPTION_KEYS") or []
    if not keys or DEV_FIELD_ENCRYPTION_KEY in keys:
        problems.append("FIELD_ENCRYPTION_KEYS must hold at least one key of your own")
    if settings.get("ACCOUNT_EMAIL_VERIFICATION") != "mandatory":
        problems.append("ACCOUNT_EMAIL_VERIFICATION must stay 'mandatory' in production")
    mailer = settings.get("MAILERS", {}).get("default", {}).get("BACKEND", "")
    if mailer.endswith("console.EmailBackend"):
        problems.append("EMAIL_HOST must be set: sign-up needs email verification")
    return problems


if not DEBUG:
    _problems = production_problems(globals())
    if _problems:
        raise ImproperlyConfigured(
            "Refusing to start in production mode (DEBUG is off): "
            + "; ".join(_problems)
            + ". For local development set DEBUG=true."
        )
