"""Writes for outgoing webhooks: endpoints, emitting events, and attempting deliveries.

The HTML views, the partner API and the Celery tasks all call these functions.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from partner_hooks import events, signing, transport
from partner_hooks.models import (
    SUBSCRIBABLE,
    Delivery,
    EventType,
    WebhookEndpoint,
    WebhookEvent,
    new_signing_secret,
)
from partner_hooks.urls_allowed import UnsafeUrl, check_url
from tenants.models import Tenant
from tenants.services import email_admins_on_commit

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, … failed attempt; after the last one the delivery is given up
# (about three days in all, the span Stripe retries its own webhooks for).
RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1  # ±10 %, so endpoints that failed together are not retried in lockstep
# A claimed delivery is held this long; far above the HTTP timeouts and the task's time limit,
# so a lease only lapses when its worker is dead.
LEASE = timedelta(minutes=5)
USER_AGENT = "Tieout-Webhooks/1.0"
GIVE_UP_EMAIL_INTERVAL = timedelta(hours=24)


class EndpointInvalid(ValueError):
    """The endpoint cannot be saved; the message says why, `field` says about which input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


# --- Endpoints ----------------------------------------------------------------------------


def _clean_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = sorted(set(event_types))
    unknown = [t for t in chosen if t not in SUBSCRIBABLE]
    if unknown:
        raise EndpointInvalid(f"Unknown event type: {', '.join(unknown)}.", field="event_types")
    return chosen


def endpoint_create(
    *, tenant: Tenant, url: str, description: str = "", event_types: Iterable[str] = ()
) -> WebhookEndpoint:
    """Create an endpoint. Its `secret` is readable on the returned object: show it once."""
    try:
        check_url(url)
    except UnsafeUrl as error:
        raise EndpointInvalid(str(error), field="url") from None
    return WebhookEndpoint.objects.create(
        tenant=tenant,
        url=url.strip(),
        description=description.strip(),
        event_types=_clean_event_types(event_types),
    )


def endpoint_roll_secret(*, endpoint: WebhookEndpoint) -> str:
    """A new signing secret, effective for the next attempt; returned once, to show."""
    secret = new_signing_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        secret=secret, secret_rolled_at=timezone.now()
    )
    return secret


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    active: bool | None = None,
    description: str | None = None,
    event_types: Iterable[str] | None = None,
) -> None:
    """Change what is given (None: left as is). The URL is not changeable: a new URL is a new
    endpoint, with its own checks and secret.

    Turned off, an endpoint gets no deliveries for new events, and a delivery still waiting
    gives up at its next attempt ("The endpoint is turned off"), so nothing piles up to flood
    the receiver when it is turned back on; "Retry now" resends any one of them.
    """
    changes: dict[str, Any] = {}
    if active is not None:
        changes["active"] = active
    if description is not None:
        changes["description"] = description.strip()
    if event_types is not None:
        changes["event_types"] = _clean_event_types(event_types)
    if changes:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**changes)
        for field, value in changes.items():
            setattr(endpoint, field, value)


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its delivery log; nothing more is sent to it."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def endpoint_send_test(*, endpoint: WebhookEndpoint) -> Delivery:
    """A `ping` event to this endpoint only, sent at once (and retried like any other)."""
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            tenant_id=endpoint.tenant_id,
            type=EventType.PING,
            payload={"message": "A test event from Tieout. Your endpoint is reachable."},
        )
        delivery = Delivery.objects.create(
            tenant_id=endpoint.tenant_id, endpoint=endpoint, event=event
        )
        transaction.on_commit(lambda: ring([delivery.pk]))
    return delivery


# --- Events -------------------------------------------------------------------------------


def endpoints_wanting(*, tenant_id: int, type: str) -> list[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.filter(tenant_id=tenant_id).active()
    return [endpoint for endpoint in endpoints if endpoint.wants(type)]


def event_emit(
    *, tenant_id: int, type: str, data: dict[str, Any], dedupe_key: str = ""
) -> WebhookEvent | None:
    """Record an event and one delivery per subscribed endpoint of the same organisation.

    Runs in the caller's transaction (so the event commits with the change it announces, or not
    at all) and rings the workers after commit. Returns None when no endpoint wants the event,
    or when `dedupe_key` was announced before.
    """
    endpoints = endpoints_wanting(tenant_id=tenant_id, type=type)
    if not endpoints:
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    tenant_id=tenant_id, type=type, payload=data, dedupe_key=dedupe_key
                )
        except IntegrityError:
            return None  # the same fact, announced twice
        deliveries = Delivery.objects.bulk_create(
            Delivery(tenant_id=tenant_id, endpoint=endpoint, event=event) for endpoint in endpoints
        )
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: ring(ids))
    return event


def ring(delivery_ids: list[int]) -> None:
    """Best effort: the rows are committed, and the sweeper finds whatever no doorbell rang."""
    from partner_hooks import tasks

    for delivery_id in delivery_ids:
        try:
            tasks.deliver_webhook.delay(delivery_id)
        except (OperationalError, OSError) as error:
            logger.warning(
                "webhook delivery %s not enqueued (%s); the sweeper will send it",
                delivery_id,
                type(error).__name__,
            )
            return


# --- Deliveries ---------------------------------------------------------------------------


def deliveries_for(
    *, tenant: Tenant, endpoint: WebhookEndpoint | None = None
) -> QuerySet[Delivery]:
    """The delivery log, newest first."""
    found = Delivery.objects.for_tenant(tenant).select_related("event", "endpoint")
    if endpoint is not None:
        found = found.filter(endpoint=endpoint)
    return found.order_by("-created", "-pk")


def deliveries_due(*, limit: int = 1000) -> list[int]:
    return list(
        Delivery.objects.due().order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def delivery_retry_now(*, delivery: Delivery) -> bool:
    """Send a failed or given-up delivery again now. A given-up one gets one more attempt."""
    updated = Delivery.objects.filter(
        pk=delivery.pk, state__in=[Delivery.State.FAILED, Delivery.State.GIVEN_UP]
    ).update(state=Delivery.State.PENDING, next_attempt_at=timezone.now())
    if updated:
        transaction.on_commit(lambda: ring([delivery.pk]))
    return updated == 1


def retry_delay(attempts: int, *, rand: float | None = None) -> timedelta:
    """How long to wait after `attempts` failed attempts (1-based), with jitter."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    spread = (random.random() if rand is None else rand) * 2 - 1  # -1 … 1
    return base * (1 + JITTER * spread)


def _claim(delivery_id: int, holder: str) -> bool:
    # A conditional UPDATE: of any number of workers given the same id, exactly one wins, and
    # nobody holds a transaction open while the endpoint is called.
    now = timezone.now()
    claimed = (
        Delivery.objects.due(now)
        .filter(pk=delivery_id)
        .update(
            lease_until=now + LEASE,
            lease_holder=holder,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    )
    return claimed == 1


def body_for(event: WebhookEvent) -> bytes:
    envelope = {
        "id": event.event_id,
        "type": event.type,
        "created": int(event.created.timestamp()),
        "organisation": event.tenant.slug,
        "data": event.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def _headers(delivery: Delivery, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": f"{USER_AGENT} (+{settings.SITE_URL})",
        "Tieout-Event-Id": delivery.event.event_id,
        "Tieout-Event-Type": delivery.event.type,
        "Tieout-Delivery-Attempt": str(delivery.attempts),
        signing.HEADER: signing.header_value(
            secret=delivery.endpoint.secret, body=body, timestamp=timestamp
        ),
    }


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """Claim the delivery if it is due, POST it once, and record the answer.

    Returns None when it is not due, already delivered or held by another worker.
    """
    holder = uuid.uuid4().hex
    if not _claim(delivery_id, holder):
        return None
    found = Delivery.objects.select_related("endpoint", "event__tenant").filter(pk=delivery_id)
    delivery = found.first()
    if delivery is None:
        return None  # its endpoint was deleted a moment ago
    if not delivery.endpoint.active:
        answer = transport.Answer(None, "", "The endpoint is turned off.", 0)
        _record(delivery, holder, answer, give_up=True)
        delivery.refresh_from_db()
        return delivery
    body = body_for(delivery.event)
    answer = transport.post(delivery.endpoint.url, body=body, headers=_headers(delivery, body))
    _record(delivery, holder, answer)
    logger.info(
        "webhook delivery %s (event %s, attempt %s) -> %s",
        delivery.pk,
        delivery.event.event_id,
        delivery.attempts,
        answer.status or answer.error,
    )
    delivery.refresh_from_db()
    return delivery


def _record(
    delivery: Delivery, holder: str, answer: transport.Answer, *, give_up: bool = False
) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {
        "lease_until": None,
        "lease_holder": "",
        "last_status": answer.status,
        "last_response": answer.excerpt[:500],
        "last_error": answer.error[:500],
        "last_duration_ms": answer.duration_ms,
    }
    if answer.ok:
        fields.update(state=Delivery.State.SUCCEEDED, delivered_at=now)
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        fields.update(state=Delivery.State.GIVEN_UP)
    else:
        fields.update(
            state=Delivery.State.FAILED, next_attempt_at=now + retry_delay(delivery.attempts)
        )
    # Only the holder records: a worker whose lease lapsed cannot overwrite a newer attempt.
    recorded = Delivery.objects.filter(pk=delivery.pk, lease_holder=holder).update(**fields)
    # `give_up` means the endpoint is turned off, the owner's own choice: no email for that.
    if recorded and fields.get("state") == Delivery.State.GIVEN_UP and not give_up:
        _tell_admins_of_give_up(delivery.endpoint, now)


def _tell_admins_of_give_up(endpoint: WebhookEndpoint, now: datetime) -> None:
    """Email the organisation's owners and admins that deliveries to `endpoint` gave up, at
    most once a day per endpoint (the banner on the webhooks page says it too)."""
    claimed = (
        WebhookEndpoint.objects.filter(pk=endpoint.pk)
        .filter(
            Q(give_up_emailed_at__isnull=True)
            | Q(give_up_emailed_at__lt=now - GIVE_UP_EMAIL_INTERVAL)
        )
        .update(give_up_emailed_at=now)
    )
    if not claimed:
        return
    tenant = Tenant.objects.get(pk=endpoint.tenant_id)
    # Scheme, host and path only: a query string may carry the receiver's own token.
    address = urlsplit(endpoint.url)._replace(query="", fragment="").geturl()
    page = events.dashboard_url("partner_hooks:webhooks", tenant.slug)
    message = (
        f"Tieout could not deliver an event to {address} for {tenant.name}: the endpoint did "
        "not answer with a 2xx status through about three days of retries, so that delivery "
        "was given up.\n\n"
        'Check that the endpoint is up and answers 2xx, then use "Retry now" in the '
        f"delivery log:\n{page}\n\n"
        "You get this email at most once a day per endpoint.\n"
    )
    email_admins_on_commit(
        tenant_id=endpoint.tenant_id,
        subject=f"Tieout: webhook deliveries to {address} gave up",
        message=message,
    )
