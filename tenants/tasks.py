from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from tenants.models import Heartbeat

logger = logging.getLogger(__name__)


@shared_task(time_limit=30, soft_time_limit=20)
def heartbeat() -> None:
    """Stamp the worker's liveness; /healthz reports it."""
    Heartbeat.objects.update_or_create(name="worker", defaults={"seen_at": timezone.now()})
