"""Outgoing webhooks: partner endpoints, the events we announce, and the delivery log.

An event is written with one `Delivery` row per subscribed endpoint in the same transaction as
the change it announces; the rows, not the queue, say what is left to send (the Celery message
is only a doorbell, and a sweeper rings again for anything due).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import models
from django.utils import timezone

from connections.fields import EncryptedTextField
from tenants.models import Tenant


class EventType(models.TextChoices):
    SYNC_FINISHED = "sync.finished", "A sync finished"
    ERROR_RAISED = "error.raised", "A document needs attention"
    TIE_OUT_BROKEN = "tie_out.broken", "A tie-out stopped holding"
    # Sent only by "Send a test event", only to the endpoint it was asked for.
    PING = "ping", "Test event"


SUBSCRIBABLE = [t for t in EventType if t != EventType.PING]


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def new_signing_secret() -> str:
    # whsec_ + hex: the log redaction already recognises this shape (connections/redaction.py).
    return "whsec_" + secrets.token_hex(24)


class EndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def for_tenant(self, tenant: Tenant) -> EndpointQuerySet:
        return self.filter(tenant=tenant)

    def active(self) -> EndpointQuerySet:
        return self.filter(active=True)


class WebhookEndpoint(models.Model):
    """A partner's URL that receives our events, signed with its own secret."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Event type names; empty means every type.
    event_types = models.JSONField(default=list, blank=True)
    # Shown once, at creation and when rolled; never again, never logged.
    secret = EncryptedTextField(default=new_signing_secret)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(default=timezone.now)
    secret_rolled_at = models.DateTimeField(null=True, blank=True)
    # When the owners and admins were last emailed that a delivery gave up (at most daily).
    give_up_emailed_at = models.DateTimeField(null=True, blank=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["tenant", "active"])]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class EventQuerySet(models.QuerySet["WebhookEvent"]):
    def for_tenant(self, tenant: Tenant) -> EventQuerySet:
        return self.filter(tenant=tenant)


class WebhookEvent(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_events")
    event_id = models.CharField(max_length=40, unique=True, default=new_event_id)
    type = models.CharField(max_length=40, choices=EventType.choices)
    # The `data` object of the body; ids, counts and integer minor units, never secrets.
    payload = models.JSONField(default=dict)
    # Announcing the same fact twice (a task run twice) is a no-op: unique per tenant.
    dedupe_key = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="one_event_per_fact",
            )
        ]
        indexes = [models.Index(fields=["tenant", "-created"])]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def for_tenant(self, tenant: Tenant) -> DeliveryQuerySet:
        return self.filter(tenant=tenant)

    def due(self, now: datetime | None = None) -> DeliveryQuerySet:
        """Pending, due, and not held by a live lease (a worker that died lets it lapse)."""
        now = now or timezone.now()
        waiting = [Delivery.State.PENDING, Delivery.State.FAILED]
        return self.filter(state__in=waiting, next_attempt_at__lte=now).filter(
            models.Q(lease_until__isnull=True) | models.Q(lease_until__lte=now)
        )


class Delivery(models.Model):
    """One event to one endpoint: its state, attempts and last answer. The delivery log."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed, will retry"
        GIVEN_UP = "given_up", "Gave up"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The claim: one worker holds a delivery while it calls the endpoint (no transaction open).
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_holder = models.CharField(max_length=32, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_response = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_endpoint")
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["tenant", "-created"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.state})"
