"""The ledger (Stripe balance transactions, their sources, payouts) and sync runs.

Every row belongs to a tenant and to the Stripe connection it came from; Stripe ids are
unique per connection, and every write is an upsert on them, so ingesting the same data twice
(webhook, backfill, safety-net scan) changes nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from connections.models import Connection
from tenants.models import Tenant


class TenantScoped(models.QuerySet):  # type: ignore[type-arg]
    def for_tenant(self, tenant: Tenant) -> TenantScoped:
        return self.filter(tenant=tenant)


class Payout(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="payouts")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="payouts")
    stripe_id = models.CharField(max_length=64)
    amount = models.BigIntegerField(help_text="Minor units of `currency`.")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16)
    automatic = models.BooleanField()
    method = models.CharField(max_length=16, default="standard")
    arrival_date = models.DateTimeField()
    created = models.DateTimeField()
    balance_transaction_id = models.CharField(max_length=64, blank=True)
    failure_balance_transaction_id = models.CharField(max_length=64, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    reconciliation_status = models.CharField(max_length=16, blank=True)
    # Whether the payout ever reached `paid` (a payout can fail after it was paid; only then was
    # it transferred in QuickBooks and needs reversing).
    was_paid = models.BooleanField(default=False)
    # When we stored the list of balance transactions this payout paid out (automatic only).
    linked_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScoped.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "stripe_id"], name="one_payout_row")
        ]

    def __str__(self) -> str:
        return self.stripe_id


class BalanceTransaction(models.Model):
    """One Stripe balance transaction: the unit we post from (accounting.md §1.1)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="balance_transactions"
    )
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="balance_transactions"
    )
    stripe_id = models.CharField(max_length=64)
    type = models.CharField(max_length=40)
    reporting_category = models.CharField(max_length=40)
    amount = models.BigIntegerField(help_text="Minor units of `currency`.")
    fee = models.BigIntegerField()
    net = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    exchange_rate = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    fee_details = models.JSONField(default=list)
    status = models.CharField(max_length=16)
    created = models.DateTimeField()
    available_on = models.DateTimeField()
    description = models.TextField(blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    source_type = models.CharField(max_length=40, blank=True)
    # Our own link: a balance transaction has no payout field in Stripe (stripe-api.md §4.2).
    payout = models.ForeignKey(
        Payout, on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    raw = models.JSONField()
    ingested_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScoped.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "stripe_id"], name="one_balance_transaction_row"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "created"]),
            models.Index(fields=["connection", "reporting_category"]),
        ]

    def __str__(self) -> str:
        return self.stripe_id


class SourceObject(models.Model):
    """The object behind a balance transaction (charge, refund, dispute, payout, …), for detail."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="source_objects")
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="source_objects"
    )
    stripe_id = models.CharField(max_length=64)
    object_type = models.CharField(max_length=40)
    customer_id = models.CharField(max_length=64, blank=True)
    raw = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScoped.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "stripe_id"], name="one_source_row")
        ]

    def __str__(self) -> str:
        return self.stripe_id


class SyncRun(models.Model):
    """Every sync, whatever started it, is a row: the dashboard, the API and retries read it."""

    class Kind(models.TextChoices):
        BACKFILL = "backfill", "Backfill"
        SCAN = "scan", "Safety-net scan"
        WEBHOOK = "webhook", "Real time"
        MANUAL = "manual", "Sync now"

    class Trigger(models.TextChoices):
        USER = "user", "A person"
        SCHEDULE = "schedule", "Schedule"
        WEBHOOK = "webhook", "Stripe event"
        API = "api", "API"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sync_runs")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    range_start = models.DateTimeField(null=True, blank=True)
    range_end = models.DateTimeField(null=True, blank=True)
    # Progress of a backfill: windows of the range done / total.
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    cursor = models.DateTimeField(null=True, blank=True)
    transactions_seen = models.PositiveIntegerField(default=0)
    transactions_new = models.PositiveIntegerField(default=0)
    payouts_linked = models.PositiveIntegerField(default=0)
    documents_planned = models.PositiveIntegerField(default=0)
    documents_posted = models.PositiveIntegerField(default=0)
    documents_waiting = models.PositiveIntegerField(default=0)
    documents_needing_action = models.PositiveIntegerField(default=0)
    # What needs a person, in words (the first few; the documents page has them all).
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScoped.as_manager()

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class OutboxDocument(models.Model):
    """One planned QuickBooks document: the outbox of accounting.md §6.

    The key is unique, the requestid and DocNumber are derived from it, and the status moves
    planned → sending → posted | unknown | failed | needs_action. A row found in `sending` or
    `unknown` is resolved by a DocNumber lookup, never re-sent under a new requestid.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Waiting to post"
        SENDING = "sending", "Sending"
        POSTED = "posted", "Posted"
        UNKNOWN = "unknown", "Checking"
        FAILED = "failed", "Will retry"
        NEEDS_ACTION = "needs_action", "Needs action"
        IGNORED = "ignored", "Ignored"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="outbox")
    quickbooks = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="outbox")
    balance_transaction = models.ForeignKey(
        BalanceTransaction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    key = models.CharField(max_length=200, unique=True)
    role = models.CharField(max_length=32)
    entity = models.CharField(max_length=32)
    generation = models.PositiveIntegerField(default=0)
    request_id = models.CharField(max_length=50)
    doc_number = models.CharField(max_length=21)
    # The QBO entity exactly as planned (canonical JSON, amounts as JSON numbers) and sent
    # byte for byte: parsing it into floats anywhere would be a money bug.
    body = models.TextField()
    amount = models.BigIntegerField(help_text="Document total in minor units of `currency`.")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    batch_id = models.CharField(max_length=36, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    qbo_id = models.CharField(max_length=32, blank=True)
    # Refused because its customer was deleted or made inactive in QuickBooks after we linked
    # it: the next planning matches the customer again and rewrites this (never posted) row.
    rematch = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScoped.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["quickbooks", "status", "next_attempt_at"]),
            models.Index(fields=["tenant", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["quickbooks", "entity", "doc_number"], name="one_doc_number_per_entity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.doc_number} ({self.status})"

    @property
    def payload(self) -> dict[str, Any]:
        """The body parsed with exact decimals (never floats)."""
        parsed: dict[str, Any] = json.loads(self.body, parse_float=Decimal)
        return parsed


class CustomerLink(models.Model):
    """Our own link table (accounting.md §5): a Stripe customer, in one currency, → the QBO
    customer its receipts name. QBO fixes a customer's currency, so a Stripe customer paying in
    two currencies has two links (and two QBO customers).

    A link made by matching an email has its QBO id at once. A link to a customer we create is
    written first with no QBO id and the create's outbox row; it gets the id when that row is
    posted (or adopted after a lost answer). `names` are the DisplayNames to try, in order, when
    QuickBooks answers that a name is taken (6240).
    """

    class MatchedBy(models.TextChoices):
        CREATED = "created", "Created by Tieout"
        EMAIL = "email", "Same email"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="customer_links")
    quickbooks = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="customer_links"
    )
    stripe_customer_id = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    qbo_id = models.CharField(max_length=32, blank=True)
    qbo_name = models.CharField(max_length=500, blank=True)
    email = models.CharField(max_length=254, blank=True)
    matched_by = models.CharField(max_length=16, choices=MatchedBy.choices)
    names = models.JSONField(default=list, blank=True)
    outbox = models.ForeignKey(
        OutboxDocument, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScoped.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["quickbooks", "stripe_customer_id", "currency"],
                name="one_customer_link_per_currency",
            )
        ]
        indexes = [models.Index(fields=["quickbooks", "qbo_id"])]

    def __str__(self) -> str:
        return f"{self.stripe_customer_id} {self.currency} → {self.qbo_name or self.qbo_id}"


class PostingLease(models.Model):
    """One poster at a time per QuickBooks company, across processes and machines.

    Taken and renewed with a conditional UPDATE; no database transaction stays open while
    QuickBooks is called. A holder that dies simply lets the lease expire.
    """

    quickbooks = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="lease")
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"lease on {self.quickbooks_id} by {self.holder or 'nobody'}"


class Reconciliation(models.Model):
    """The latest tie-out of one clearing account (per currency) or one payout."""

    class Kind(models.TextChoices):
        CLEARING = "clearing", "Clearing account"
        PAYOUT = "payout", "Payout"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="reconciliations")
    stripe = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="tie_outs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=64, help_text="Currency, or the payout id.")
    currency = models.CharField(max_length=3)
    stripe_amount = models.BigIntegerField()
    quickbooks_amount = models.BigIntegerField()
    ok = models.BooleanField()
    explanation = models.TextField(blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    objects = TenantScoped.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stripe", "kind", "subject"], name="one_latest_tie_out")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: {'ok' if self.ok else 'off'}"

    @property
    def difference(self) -> int:
        return self.quickbooks_amount - self.stripe_amount
