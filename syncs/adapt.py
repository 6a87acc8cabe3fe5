"""Ledger rows (our tables) → the planner's input records.

Only balance transactions become LedgerTxns: a charge event alone never does, so a fee that is
not known yet cannot be posted as zero (accounting.md §7).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syncs.ledger import (
    CustomerInfo,
    FeeDetail,
    LedgerTxn,
    LineItem,
    PayoutInfo,
    PayoutStatus,
)
from syncs.models import BalanceTransaction, Payout, SourceObject


def _charge_of(source: dict[str, Any] | None, sources: dict[str, dict[str, Any]]) -> Any:
    if source is None:
        return None
    if source.get("object") == "charge":
        return source
    charge = source.get("charge")
    if isinstance(charge, dict):
        return charge
    return sources.get(charge) if isinstance(charge, str) else None


def _customer(charge: dict[str, Any] | None) -> CustomerInfo | None:
    if charge is None:
        return None
    billing = charge.get("billing_details") or {}
    customer = charge.get("customer")
    customer_id = customer if isinstance(customer, str) else (customer or {}).get("id")
    return CustomerInfo(customer_id, billing.get("name") or "", billing.get("email") or "")


def _id(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    return value.get("id") if isinstance(value, dict) else None


def _invoice_of(charge: Any, sources: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The invoice this charge paid: its payment intent → the stored InvoicePayment (which
    sources_for files under the payment intent's id) → the stored invoice."""
    if charge is None:
        return None
    payment = sources.get(_id(charge.get("payment_intent")) or "")
    if not payment or payment.get("object") != "invoice_payment":
        return None
    return sources.get(_id(payment.get("invoice")) or "")


def _line_items(invoice: dict[str, Any] | None, charge: Any) -> tuple[LineItem, ...]:
    """`invoice.lines` as sold lines, each after its discounts; none when the invoice is not in
    the charge's currency or has more lines than the first page carries (the sale then posts
    on one line)."""
    if invoice is None or invoice.get("currency") != charge.get("currency"):
        return ()
    lines = invoice.get("lines") or {}
    if lines.get("has_more"):
        return ()
    items = []
    for line in lines.get("data") or []:
        discounts = sum(int(d["amount"]) for d in line.get("discount_amounts") or [])
        items.append(
            LineItem(
                description=line.get("description") or "",
                amount=int(line["amount"]) - discounts,
                quantity=int(line.get("quantity") or 1),
                product_id=_product_of(line),
            )
        )
    return tuple(items)


def _product_of(line: dict[str, Any]) -> str | None:
    """`pricing.price_details.product` (API basil and later), else the older `price.product`."""
    details = (line.get("pricing") or {}).get("price_details") or {}
    product = _id(details.get("product"))
    if product is None and isinstance(line.get("price"), dict):
        product = _id(line["price"].get("product"))
    return product


def ledger_txn(row: BalanceTransaction, sources: dict[str, dict[str, Any]]) -> LedgerTxn:
    source = sources.get(row.source_id)
    charge = _charge_of(source, sources)
    invoice = _invoice_of(charge, sources)
    presented = source if source and source.get("object") in ("charge", "refund") else None
    return LedgerTxn(
        id=row.stripe_id,
        type=row.type,
        reporting_category=row.reporting_category,
        amount=row.amount,
        fee=row.fee,
        net=row.net,
        currency=row.currency,
        created=row.created,
        fee_details=tuple(
            FeeDetail(d["type"], d["amount"], d.get("description") or "", d.get("application"))
            for d in row.fee_details
        ),
        source_id=row.source_id or None,
        source_type=row.source_type or None,
        exchange_rate=Decimal(row.exchange_rate) if row.exchange_rate is not None else None,
        description=row.description,
        metadata=(source or {}).get("metadata") or {},
        customer=_customer(charge),
        presentment_amount=presented["amount"] if presented else None,
        presentment_currency=presented["currency"] if presented else None,
        charge_id=charge["id"] if charge else None,
        line_items=_line_items(invoice, charge),
        invoice_id=invoice["id"] if invoice else None,
    )


def payout_info(payout: Payout) -> PayoutInfo:
    return PayoutInfo(
        id=payout.stripe_id,
        amount=payout.amount,
        currency=payout.currency,
        status=PayoutStatus(payout.status),
        automatic=payout.automatic,
        arrival_date=payout.arrival_date.date(),
        was_paid=payout.was_paid,
        method=payout.method,
        balance_transaction_id=payout.balance_transaction_id or None,
        failure_balance_transaction_id=payout.failure_balance_transaction_id or None,
        failure_code=payout.failure_code or None,
        reconciliation_status=payout.reconciliation_status or "not_applicable",
    )


def sources_for(rows: list[BalanceTransaction]) -> dict[str, dict[str, Any]]:
    """The source objects of these rows, and the charges their refunds and disputes point at."""
    if not rows:
        return {}
    connection_id = rows[0].connection_id
    wanted = {row.source_id for row in rows if row.source_id}
    found = {
        s.stripe_id: s.raw
        for s in SourceObject.objects.filter(connection_id=connection_id, stripe_id__in=wanted)
    }
    charges = {
        raw["charge"]
        for raw in found.values()
        if isinstance(raw.get("charge"), str) and raw["charge"] not in found
    }
    for s in SourceObject.objects.filter(connection_id=connection_id, stripe_id__in=charges):
        found[s.stripe_id] = s.raw
    _add_invoices(connection_id, found)
    return found


def _add_invoices(connection_id: int, found: dict[str, dict[str, Any]]) -> None:
    """The stored InvoicePayments of these charges' payment intents (filed under the payment
    intent's id, which is no source id) and the invoices they paid."""
    intents = {
        intent
        for raw in found.values()
        if raw.get("object") == "charge" and (intent := _id(raw.get("payment_intent")))
    }
    if not intents:
        return
    payments = SourceObject.objects.filter(
        connection_id=connection_id,
        object_type="invoice_payment",
        raw__payment__payment_intent__in=sorted(intents),
    )
    invoice_ids = set()
    for s in payments:
        if s.raw.get("status") == "paid":
            found[s.raw["payment"]["payment_intent"]] = s.raw
            invoice_ids.add(s.raw["invoice"])
    for s in SourceObject.objects.filter(
        connection_id=connection_id, object_type="invoice", stripe_id__in=invoice_ids
    ):
        found[s.stripe_id] = s.raw
