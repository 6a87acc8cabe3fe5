"""Test settings: the real settings module plus speed-ups.

DATABASE_URL and REDIS_URL still decide PostgreSQL/Redis (CI) or SQLite/local (default).
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "true")

from config.settings import *  # noqa: E402,F403
from config.settings import BASE_DIR, DATABASES, REDIS_URL, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_RATE_LIMITS = False
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # One file per test process: two suites running side by side must not share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TEST_ARTIFACTS_DIR = BASE_DIR / "test-artifacts"

# Nothing in the suite may reach the internet: provider URLs point at a closed loopback port
# unless a test points them at an emulator it started.
DEAD_END = "http://127.0.0.1:9"
STRIPE_API_BASE = DEAD_END
STRIPE_CONNECT_BASE = DEAD_END
STRIPE_APP_AUTHORIZE_URL = DEAD_END + "/oauth/authorize"
INTUIT_DISCOVERY_URL = DEAD_END + "/.well-known/openid_configuration"
INTUIT_API_BASE = DEAD_END
