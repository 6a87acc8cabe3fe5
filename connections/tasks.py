from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from connections import services
from connections.inbox import handlers_for
from connections.models import Connection, InboundEvent, Provider
from connections.providers.errors import AuthRevoked, ProviderError

logger = logging.getLogger(__name__)

# Refresh ahead of expiry so that posting never waits on a token (access tokens live 1 h).
PROACTIVE_WINDOW = timedelta(minutes=15)
DRAIN_CHUNK = 200


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def drain_inbox(connection_id: int) -> None:
    """Handle every received event of one connection, oldest first; safe to run twice.

    Rung at most once a second per web process and run after that second (connections/inbox.py),
    so every event stored meanwhile is found here; later events ring again.
    """
    if not Connection.objects.filter(pk=connection_id).exists():
        # Stored in the seconds between the connection's deletion and the web process noticing
        # (the inbox has no foreign-key constraint, models.py): nothing can handle them.
        InboundEvent.objects.filter(
            connection_id=connection_id, status=InboundEvent.Status.RECEIVED
        ).update(
            status=InboundEvent.Status.IGNORED, connection=None, note="its connection was deleted"
        )
        return
    while True:
        pending = list(
            InboundEvent.objects.filter(
                connection_id=connection_id, status=InboundEvent.Status.RECEIVED
            )
            .order_by("received_at", "pk")
            .values_list("pk", flat=True)[:DRAIN_CHUNK]
        )
        if not pending:
            return
        for event_id in pending:
            dispatch_inbound_event(event_id)


@shared_task(time_limit=60, soft_time_limit=50)
def sweep_inbox() -> None:
    """Beat: ring for connections whose received events nobody drained (a lost doorbell)."""
    stale = timezone.now() - timedelta(seconds=30)
    for connection_id in (
        InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED, received_at__lte=stale)
        .values_list("connection_id", flat=True)
        .distinct()
    ):
        if connection_id is not None:
            drain_inbox.delay(connection_id)


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


@shared_task(time_limit=2 * 60, soft_time_limit=90)
def refresh_expiring_tokens() -> None:
    """Beat: fan out a refresh for every connection whose access token expires soon."""
    soon = timezone.now() + PROACTIVE_WINDOW
    expiring = Connection.objects.filter(
        status=Connection.Status.CONNECTED,
        method__in=[Connection.Method.INTUIT_OAUTH, Connection.Method.STRIPE_APP],
        access_expires_at__lte=soon,
    ).values_list("pk", flat=True)
    for connection_id in expiring:
        refresh_connection_token.delay(connection_id)


@shared_task(time_limit=60, soft_time_limit=45)
def refresh_connection_token(connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id, status="connected").first()
    if connection is None:
        logger.info("connection %s is gone or not connected", connection_id)
        return
    try:
        if connection.method == Connection.Method.STRIPE_APP:
            services.stripe_app_token_refresh(connection_id=connection_id, margin=PROACTIVE_WINDOW)
        else:
            services.quickbooks_token_refresh(connection_id=connection_id, margin=PROACTIVE_WINDOW)
    except AuthRevoked:
        logger.info("connection %s needs a reconnect", connection_id)


@shared_task(time_limit=5 * 60, soft_time_limit=4 * 60)
def refresh_company_facts() -> None:
    """Beat (daily): home currency, multicurrency, numbering and closing date can change."""
    for connection_id in Connection.objects.filter(
        provider=Provider.QUICKBOOKS, status=Connection.Status.CONNECTED
    ).values_list("pk", flat=True):
        refresh_company_facts_for.delay(connection_id)


@shared_task(time_limit=60, soft_time_limit=45)
def refresh_company_facts_for(connection_id: int) -> None:
    try:
        services.quickbooks_refresh_company_facts(connection_id=connection_id)
    except ProviderError as error:
        # Transient failures wait for tomorrow's run; a revoked grant already paused syncing.
        logger.info("company facts of connection %s not refreshed: %s", connection_id, error)
