"""Thin tasks: they take ids, never secrets, and are safe to run twice (the claim decides)."""

from __future__ import annotations

import logging

from celery import shared_task

from partner_hooks import services

logger = logging.getLogger(__name__)


@shared_task(time_limit=90, soft_time_limit=60)
def deliver_webhook(delivery_id: int) -> None:
    """POST one delivery if it is due and nobody else holds it."""
    if services.delivery_attempt(delivery_id=delivery_id) is None:
        logger.info("webhook delivery %s is not due, done or held elsewhere", delivery_id)


@shared_task(time_limit=60, soft_time_limit=50)
def sweep_webhook_deliveries() -> None:
    """Beat: ring again for every due delivery, so a lost doorbell only delays a delivery."""
    for delivery_id in services.deliveries_due():
        deliver_webhook.delay(delivery_id)
