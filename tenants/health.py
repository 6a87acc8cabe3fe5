"""Reachability of what the web process depends on, for /healthz."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tenants.models import Heartbeat

WORKER_STALE_AFTER = timedelta(minutes=3)


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "unreachable" for a health check
        return False


def check_broker() -> bool:
    if not settings.REDIS_URL:
        # The filesystem transport is reachable when its folder can be written.
        folder = settings.CELERY_QUEUE_DIR / "out"
        folder.mkdir(parents=True, exist_ok=True)
        return folder.is_dir()
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def worker_last_seen() -> datetime | None:
    beat = Heartbeat.objects.filter(name="worker").first()
    return beat.seen_at if beat else None


def check_all() -> dict[str, Any]:
    database = check_database()
    broker = check_broker()
    seen = worker_last_seen() if database else None
    worker_ok = seen is not None and timezone.now() - seen < WORKER_STALE_AFTER
    return {
        "ok": database and broker,
        "database": {"ok": database, "vendor": connection.vendor},
        "broker": {"ok": broker, "transport": "redis" if settings.REDIS_URL else "filesystem"},
        # Informational: a stopped worker delays syncs but does not make the web unhealthy.
        "worker": {"ok": worker_ok, "last_seen": seen.isoformat() if seen else None},
    }
