from __future__ import annotations

import logging

from celery import shared_task

from api import idempotency

logger = logging.getLogger(__name__)


@shared_task(time_limit=600, soft_time_limit=540)
def purge_idempotency_records() -> int:
    """Daily: forget Idempotency-Key answers that no longer replay."""
    purged = idempotency.purge_expired()
    if purged:
        logger.info("Purged %d expired Idempotency-Key records", purged)
    return purged
