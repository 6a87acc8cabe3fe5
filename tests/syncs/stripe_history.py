"""Read a Stripe emulator ledger as the planner's input records.

A test-side stand-in for ingest: Stripe balance transaction, source, customer and payout
dicts (as the emulator stores them, shaped like the API's) → LedgerTxn and PayoutInfo.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from emulators.stripe.ledger import Book, balance
from emulators.stripe.store import Store
from syncs.ledger import CustomerInfo, FeeDetail, LedgerTxn, PayoutInfo, PayoutStatus

IN_TRANSIT = ("pending", "in_transit")


def _when(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _charge_of(store: Store, lk: str, source: dict[str, Any] | None) -> dict[str, Any] | None:
    if source is None:
        return None
    if source["object"] == "charge":
        return source
    charge_id = source.get("charge")
    return store.get(lk, charge_id) if isinstance(charge_id, str) else None


def _customer(store: Store, lk: str, charge: dict[str, Any] | None) -> CustomerInfo | None:
    if charge is None:
        return None
    if charge.get("customer"):
        customer = store.get(lk, charge["customer"]) or {}
        return CustomerInfo(
            charge["customer"], customer.get("name") or "", customer.get("email") or ""
        )
    billing = charge.get("billing_details") or {}
    return CustomerInfo(None, billing.get("name") or "", billing.get("email") or "")


def ledger_txn(store: Store, lk: str, bt: dict[str, Any]) -> LedgerTxn:
    source = store.get(lk, bt["source"]) if bt.get("source") else None
    charge = _charge_of(store, lk, source)
    presented = source if source is not None and source["object"] in ("charge", "refund") else None
    rate = bt.get("exchange_rate")
    return LedgerTxn(
        id=bt["id"],
        type=bt["type"],
        reporting_category=bt["reporting_category"],
        amount=bt["amount"],
        fee=bt["fee"],
        net=bt["net"],
        currency=bt["currency"],
        created=_when(bt["created"]),
        fee_details=tuple(
            FeeDetail(d["type"], d["amount"], d.get("description") or "", d.get("application"))
            for d in bt["fee_details"]
        ),
        source_id=bt.get("source"),
        source_type=source["object"] if source is not None else None,
        exchange_rate=None if rate is None else Decimal(str(rate)),
        description=bt.get("description") or "",
        metadata=(source or {}).get("metadata") or {},
        customer=_customer(store, lk, charge),
        presentment_amount=presented["amount"] if presented else None,
        presentment_currency=presented["currency"] if presented else None,
        charge_id=charge["id"] if charge is not None else None,
    )


def payout_info(store: Store, lk: str, payout: dict[str, Any]) -> PayoutInfo:
    paid_events = [
        event
        for event in store.objects(lk, "event")
        if event["type"] == "payout.paid" and event["data"]["object"]["id"] == payout["id"]
    ]
    return PayoutInfo(
        id=payout["id"],
        amount=payout["amount"],
        currency=payout["currency"],
        status=PayoutStatus(payout["status"]),
        automatic=payout["automatic"],
        arrival_date=_when(payout["arrival_date"]).date(),
        was_paid=bool(paid_events),
        method=payout.get("method") or "standard",
        balance_transaction_id=payout.get("balance_transaction"),
        failure_balance_transaction_id=payout.get("failure_balance_transaction"),
        failure_code=payout.get("failure_code"),
        failure_message=payout.get("failure_message"),
        reconciliation_status=payout.get("reconciliation_status") or "not_applicable",
        destination=payout.get("destination"),
    )


def read_history(store: Store, lk: str) -> tuple[list[LedgerTxn], dict[str, PayoutInfo]]:
    txns = [ledger_txn(store, lk, bt) for bt in store.objects(lk, "balance_transaction")]
    payouts = {p["id"]: payout_info(store, lk, p) for p in store.objects(lk, "payout")}
    return txns, payouts


def payouts_as_of(store: Store, lk: str, moment: int) -> dict[str, dict[str, Any]]:
    """Each payout created by `moment` as its last event before then showed it, plus whether a
    `payout.paid` event had arrived: what ingest would have known at that time."""
    seen: dict[str, dict[str, Any]] = {}
    for event in store.objects(lk, "event"):
        if not event["type"].startswith("payout.") or event["created"] > moment:
            continue
        snapshot = dict(event["data"]["object"])
        snapshot["_paid"] = seen.get(snapshot["id"], {}).get("_paid", False)
        snapshot["_paid"] = snapshot["_paid"] or event["type"] == "payout.paid"
        seen[snapshot["id"]] = snapshot
    return seen


def history_as_of(
    store: Store, lk: str, moment: int
) -> tuple[list[LedgerTxn], dict[str, PayoutInfo], dict[str, int]]:
    """The planner's input as ingest would have had it at `moment`, and the Stripe side of the
    tie-out (balance + payouts in transit, per currency) at that moment."""
    bts = [bt for bt in store.objects(lk, "balance_transaction") if bt["created"] <= moment]
    snapshots = payouts_as_of(store, lk, moment)
    payouts = {}
    for payout_id, snapshot in snapshots.items():
        info = payout_info(store, lk, snapshot)
        payouts[payout_id] = replace(info, was_paid=snapshot["_paid"])
    totals: dict[str, int] = {}
    for bt in bts:
        totals[bt["currency"]] = totals.get(bt["currency"], 0) + bt["net"]
    for snapshot in snapshots.values():
        if snapshot["status"] in IN_TRANSIT:
            currency = snapshot["currency"]
            totals[currency] = totals.get(currency, 0) + snapshot["amount"]
    txns = [ledger_txn(store, lk, bt) for bt in bts]
    return txns, payouts, dict(sorted(totals.items()))


def stripe_side(store: Store, account: str) -> dict[str, int]:
    """Per currency: Stripe balance (available + pending) + payouts in transit (§1.2)."""
    book = Book(store, account, livemode=False)
    totals: dict[str, int] = {}
    reported = balance(book)
    for entry in reported["available"] + reported["pending"]:
        totals[entry["currency"]] = totals.get(entry["currency"], 0) + entry["amount"]
    for payout in store.objects(book.lk, "payout"):
        if payout["status"] in IN_TRANSIT:
            totals[payout["currency"]] = totals.get(payout["currency"], 0) + payout["amount"]
    return dict(sorted(totals.items()))
