"""Stripe → ledger: one idempotent upsert fed by backfills, scans and webhook events.

Upserts are keyed on (connection, Stripe id), so the same balance transaction arriving from a
webhook, a backfill and a safety-net scan leaves one row. Payout links come from Stripe's
`balance_transactions?payout=` list, stored on our side (a balance transaction has no payout
field).

A charge's invoice (for the invoice lines the planner posts one line each) is read once, when
the charge is first stored: since API 2025-03-31.basil a charge no longer names its invoice, so
one `invoice_payments?payment[payment_intent]=` read (invoice expanded, lines included) per new
charge that has a payment intent. The InvoicePayment and the invoice are stored as source rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.db import transaction
from django.utils import timezone

from connections.models import Connection
from connections.providers.errors import MissingPermissions
from connections.providers.stripe import client as stripe_client
from connections.providers.stripe.types import StripeBalanceTransaction, StripePayout
from syncs.models import BalanceTransaction, Payout, SourceObject


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@dataclass
class UpsertResult:
    seen: int = 0
    new: int = 0
    payouts_linked: int = 0
    invoice_reads: int = 0


def ledger_upsert(
    *,
    connection: Connection,
    transactions: Iterable[StripeBalanceTransaction],
    client: stripe.StripeClient | None = None,
) -> UpsertResult:
    """Store these balance transactions and their sources (and a new charge's invoice).

    `client` reads the invoices; without one, a client for the connection is made on the first
    charge that needs it."""
    result = UpsertResult()
    invoices = _InvoiceReader(connection, client)
    for txn in transactions:
        # The Stripe read happens before the row's DB transaction opens.
        linked = invoices.paid_by(txn.source)
        with transaction.atomic():
            created = _upsert_transaction(connection, txn)
            if txn.source:
                _upsert_source(connection, txn.source)
                if linked is not None:
                    _upsert_invoice_payment(connection, linked)
                if txn.source.get("object") == "payout":
                    payout_upsert(
                        connection=connection, payout=stripe_client.payout_from(txn.source)
                    )
        result.seen += 1
        result.new += created
    result.invoice_reads = invoices.reads
    return result


@dataclass
class _InvoiceReader:
    """Reads the invoice a new charge paid, once per charge; stops reading for the rest of the
    run when the key may not read invoices (the sale then posts on one line, as before)."""

    connection: Connection
    client: stripe.StripeClient | None
    reads: int = 0
    refused: bool = False

    def paid_by(self, source: dict[str, Any] | None) -> dict[str, Any] | None:
        if self.refused or not source or source.get("object") != "charge":
            return None
        payment_intent = _id_of(source.get("payment_intent"))
        if not payment_intent:
            return None
        known = SourceObject.objects.filter(
            connection=self.connection, stripe_id=str(source["id"])
        ).exists()
        if known:
            return None
        try:
            self.reads += 1
            return stripe_client.invoice_payment_of(self._client(), payment_intent)
        except MissingPermissions:
            self.refused = True
            return None

    def _client(self) -> stripe.StripeClient:
        if self.client is None:
            from connections import services as connection_services

            self.client = connection_services.stripe_client_for(self.connection)
        return self.client


def _id_of(value: object) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _upsert_invoice_payment(connection: Connection, payment: dict[str, Any]) -> None:
    """The InvoicePayment (its `invoice` as an id), the invoice it paid and the invoice's
    customer (which customer matching then need not read), as source rows."""
    invoice = payment["invoice"]
    customer = invoice.get("customer")
    if isinstance(customer, dict):
        _upsert_source(connection, customer)
        invoice = {**invoice, "customer": customer["id"]}
    _upsert_source(connection, invoice)
    _upsert_source(connection, {**payment, "invoice": invoice["id"]})


def _upsert_transaction(connection: Connection, txn: StripeBalanceTransaction) -> bool:
    _, created = BalanceTransaction.objects.update_or_create(
        connection=connection,
        stripe_id=txn.id,
        defaults={
            "tenant_id": connection.tenant_id,
            "type": txn.type,
            "reporting_category": txn.reporting_category,
            "amount": txn.amount,
            "fee": txn.fee,
            "net": txn.net,
            "currency": txn.currency,
            "exchange_rate": txn.exchange_rate,
            "fee_details": [detail.model_dump() for detail in txn.fee_details],
            "status": txn.status,
            "created": _at(txn.created),
            "available_on": _at(txn.available_on),
            "description": txn.description or "",
            "source_id": txn.source_id,
            "source_type": txn.source_type,
            "raw": {k: v for k, v in txn.raw.items() if k != "source"} | {"source": txn.source_id},
        },
    )
    return created


def _upsert_source(connection: Connection, source: dict[str, object]) -> None:
    customer = source["id"] if source.get("object") == "customer" else source.get("customer")
    SourceObject.objects.update_or_create(
        connection=connection,
        stripe_id=str(source["id"]),
        defaults={
            "tenant_id": connection.tenant_id,
            "object_type": str(source.get("object", "")),
            "customer_id": customer if isinstance(customer, str) else "",
            "raw": source,
        },
    )


def payout_upsert(*, connection: Connection, payout: StripePayout) -> Payout:
    row, _ = Payout.objects.update_or_create(
        connection=connection,
        stripe_id=payout.id,
        defaults={
            "tenant_id": connection.tenant_id,
            "amount": payout.amount,
            "currency": payout.currency,
            "status": payout.status,
            "automatic": payout.automatic,
            "method": payout.method,
            "arrival_date": _at(payout.arrival_date),
            "created": _at(payout.created),
            "balance_transaction_id": payout.balance_transaction or "",
            "failure_balance_transaction_id": payout.failure_balance_transaction or "",
            "failure_code": payout.failure_code or "",
            "reconciliation_status": payout.reconciliation_status or "",
            "raw": payout.raw,
        },
    )
    if payout.status == "paid" and not row.was_paid:
        Payout.objects.filter(pk=row.pk).update(was_paid=True)
        row.was_paid = True
    return row


def payout_link_transactions(
    *, connection: Connection, client: stripe.StripeClient, payout: Payout
) -> int:
    """Store which balance transactions a paid automatic payout paid out.

    Manual payouts cannot be itemised by Stripe (accounting.md §4), so they are skipped.
    """
    if not payout.automatic or payout.status != "paid":
        return 0
    ids = stripe_client.payout_balance_transaction_ids(client, payout.stripe_id)
    with transaction.atomic():
        linked = BalanceTransaction.objects.filter(connection=connection, stripe_id__in=ids).update(
            payout=payout
        )
        Payout.objects.filter(pk=payout.pk).update(linked_at=timezone.now())
    return linked
