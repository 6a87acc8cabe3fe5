from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from connections.fields import EncryptedTextField
from tenants.models import Tenant


class Provider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    QUICKBOOKS = "quickbooks", "QuickBooks Online"


def _webhook_token() -> str:
    return secrets.token_urlsafe(24)


class ConnectionQuerySet(models.QuerySet["Connection"]):
    def for_tenant(self, tenant: Tenant) -> ConnectionQuerySet:
        return self.filter(tenant=tenant)

    def active(self) -> ConnectionQuerySet:
        return self.exclude(status=Connection.Status.DISCONNECTED)


class Connection(models.Model):
    """One tenant's link to one Stripe account or one QuickBooks company.

    The provider class (connections/providers/<key>/) is the stateless descriptor; this row is
    the instance: credentials (encrypted), status and what went wrong last. An organisation may
    have several Stripe and several QuickBooks connections.
    """

    class Method(models.TextChoices):
        STRIPE_CONNECT = "stripe_connect", "Stripe Connect"
        STRIPE_APP = "stripe_app", "Stripe App"
        STRIPE_KEY = "stripe_key", "Restricted API key"
        INTUIT_OAUTH = "intuit_oauth", "Intuit OAuth"

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        DISCONNECTED = "disconnected", "Disconnected"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="connections")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    method = models.CharField(max_length=16, choices=Method.choices)
    # Stripe account id (acct_…) or QuickBooks realmId.
    external_id = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200, blank=True)
    livemode = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONNECTED)

    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    api_key = EncryptedTextField(blank=True, default="")
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    token_refreshed_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=200, blank=True)

    # Per-connection webhook endpoint: /webhooks/stripe/<webhook_token>/ with its own secret.
    webhook_token = models.CharField(max_length=40, unique=True, default=_webhook_token)
    webhook_secret = EncryptedTextField(blank=True, default="")

    # QuickBooks company facts, refreshed daily.
    home_currency = models.CharField(max_length=3, blank=True)
    multicurrency_enabled = models.BooleanField(null=True)
    custom_txn_numbers = models.BooleanField(null=True)
    books_closed_on = models.DateField(null=True, blank=True)
    company_info_refreshed_at = models.DateTimeField(null=True, blank=True)

    last_error = models.TextField(blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        constraints = [
            # Webhooks route by (account, mode): an account is live in at most one organisation.
            models.UniqueConstraint(
                fields=["provider", "external_id", "livemode"],
                condition=~models.Q(status="disconnected"),
                name="one_active_connection_per_account_and_mode",
            )
        ]
        indexes = [models.Index(fields=["tenant", "provider"])]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.display_name or self.external_id}"

    @property
    def syncs_paused(self) -> bool:
        return self.status != self.Status.CONNECTED

    @property
    def needs_reconnect(self) -> bool:
        return self.status == self.Status.NEEDS_RECONNECT

    def access_expires_within(self, margin: timedelta) -> bool:
        if self.access_expires_at is None:
            return False
        return self.access_expires_at - timezone.now() <= margin


class InboundEventQuerySet(models.QuerySet["InboundEvent"]):
    def for_tenant(self, tenant: Tenant) -> InboundEventQuerySet:
        return self.filter(tenant=tenant)


class InboundEvent(models.Model):
    """The webhook inbox. A row per event, unique per (provider, account, event id), stored
    before the 2xx answer; processing happens later in a worker."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=16, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    account = models.CharField(max_length=64, blank=True)
    livemode = models.BooleanField(null=True)
    type = models.CharField(max_length=100, blank=True)
    # No foreign-key constraints in the database (Django still cascades and nulls on delete):
    # checking both on every stored event cost PostgreSQL a sixth of its time per event, and
    # row locks on the one connection row that every concurrent insert shares (bench/webhooks).
    # An event stored just as its connection is deleted is ignored by the drain.
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_events",
        db_constraint=False,
    )
    connection = models.ForeignKey(
        Connection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_constraint=False,
    )
    # Stored compressed with lz4 on PostgreSQL (migration 0002): events are 2-3 KB, past the
    # size where PostgreSQL compresses, and lz4 costs a fraction of the default pglz.
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    note = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = InboundEventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "account", "event_id"], name="one_row_per_event"
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} ({self.status})"


class ConnectLinkQuerySet(models.QuerySet["ConnectLink"]):
    def for_tenant(self, tenant: Tenant) -> ConnectLinkQuerySet:
        return self.filter(tenant=tenant)


class ConnectLink(models.Model):
    """A link an accountant sends to a client, who connects Stripe and QuickBooks without a
    dashboard account. Only the token's hash is stored."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="connect_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ConnectLinkQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Connect link for {self.tenant}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
