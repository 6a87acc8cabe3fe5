from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from connections.inbox import handlers_for
from connections.models import InboundEvent

logger = logging.getLogger(__name__)


@shared_task(time_limit=5 * 60, soft_time_limit=4 * 60)
def dispatch_inbound_event(event_id: int) -> None:
    """Run the registered handlers for one inbox row; safe to run twice."""
    event = InboundEvent.objects.filter(pk=event_id, status=InboundEvent.Status.RECEIVED).first()
    if event is None:
        logger.info("inbound event %s is gone or already handled", event_id)
        return
    InboundEvent.objects.filter(pk=event_id).update(attempts=event.attempts + 1)
    with transaction.atomic():
        for handler in handlers_for(event.provider):
            handler(event)
        # Marked in the same transaction as the handlers' effects (a failure leaves it received).
        InboundEvent.objects.filter(pk=event_id, status=InboundEvent.Status.RECEIVED).update(
            status=InboundEvent.Status.PROCESSED, processed_at=timezone.now()
        )
