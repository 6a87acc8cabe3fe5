"""Ledger + mappings → outbox rows, through the pure planner.

Rows are inserted under their unique key and never changed afterwards: planning the same
ledger twice adds nothing, and a posted document is only ever replaced by a deliberate new
generation (void and re-post), which has its own key.
"""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from mappings.defaults import CustomerPolicy, Mappings, Ref
from mappings.models import SyncProfile
from mappings.selectors import mappings_for
from syncs import adapt, customers
from syncs.ledger import CustomerInfo, LedgerTxn
from syncs.models import BalanceTransaction, CustomerLink, OutboxDocument, Payout
from syncs.planner import (
    ClosedBooks,
    ClosedPeriodPolicy,
    PlannedDocument,
    PlanStatus,
    Role,
    plan_txn,
)

PAYOUT_CATEGORIES = {"payout", "payout_reversal", "payout_failure"}
PLAN_CHUNK = 500  # balance transactions planned per database transaction


@dataclass
class PlanReport:
    planned: int = 0
    already_planned: int = 0
    waiting: list[str] = field(default_factory=list)
    needs_action: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _closed(profile: SyncProfile) -> ClosedBooks | None:
    through = profile.quickbooks.books_closed_on
    if through is None:
        return None
    return ClosedBooks(through=through, policy=ClosedPeriodPolicy(profile.closed_period))


def _payouts_by_transaction(profile: SyncProfile) -> dict[str, Payout]:
    """The payout each payout-category balance transaction belongs to."""
    found: dict[str, Payout] = {}
    for payout in Payout.objects.filter(connection=profile.stripe):
        for txn_id in (payout.balance_transaction_id, payout.failure_balance_transaction_id):
            if txn_id:
                found[txn_id] = payout
    return found


def _customer_key(txn: LedgerTxn) -> customers.Key | None:
    """The (Stripe customer, currency) a row's receipt names, if it names a matched one (§5)."""
    if txn.reporting_category not in customers.CUSTOMER_CATEGORIES:
        return None
    if txn.customer is None or not txn.customer.stripe_id:
        return None  # a guest charge: the guest customer
    return (txn.customer.stripe_id, txn.currency)


def _rematch_rows(profile: SyncProfile) -> dict[str, OutboxDocument]:
    """Receipts refused because their customer is gone from QuickBooks, by outbox key."""
    return {
        row.key: row
        for row in OutboxDocument.objects.filter(
            quickbooks=profile.quickbooks,
            status=OutboxDocument.Status.NEEDS_ACTION,
            rematch=True,
            balance_transaction__connection=profile.stripe,
        )
    }


def _sale_customers(
    profile: SyncProfile,
    mappings: Mappings,
    refunds: list[LedgerTxn],
    sources: dict[str, dict[str, Any]],
) -> dict[str, Ref]:
    """Refund txn id → the customer its sale was planned with (§3: "same customer as the
    sale"), even when the sale went to another customer than today's match (planned before the
    policy changed). A customer since gone from QuickBooks (no live link, not a guest) is not
    reused: the refund is matched afresh."""
    sale_txn = {}
    for txn in refunds:
        charge = sources.get(txn.charge_id or "") or {}
        if isinstance(charge.get("balance_transaction"), str):
            sale_txn[txn.id] = charge["balance_transaction"]
    if not sale_txn:
        return {}
    sold_to: dict[str, Ref] = {}
    for stripe_id, body in OutboxDocument.objects.filter(
        quickbooks=profile.quickbooks,
        role=Role.SALE,
        rematch=False,
        balance_transaction__connection=profile.stripe,
        balance_transaction__stripe_id__in=set(sale_txn.values()),
    ).values_list("balance_transaction__stripe_id", "body"):
        ref = json.loads(body, parse_float=Decimal).get("CustomerRef") or {}
        if ref.get("value"):
            sold_to[stripe_id] = Ref(str(ref["value"]), str(ref.get("name", "")))
    guests = {r.value for r in mappings.guest_customers.values()}
    if mappings.guest_customer is not None:
        guests.add(mappings.guest_customer.value)
    linked = set(
        CustomerLink.objects.filter(
            quickbooks=profile.quickbooks,
            qbo_id__in={r.value for r in sold_to.values()} - guests,
        ).values_list("qbo_id", flat=True)
    )
    return {
        txn_id: sold_to[sale]
        for txn_id, sale in sale_txn.items()
        if sale in sold_to and sold_to[sale].value in guests | linked
    }


def _customers(
    profile: SyncProfile,
    mappings: Mappings,
    rows: list[BalanceTransaction],
    txns: list[LedgerTxn],
    sources: dict[str, dict[str, Any]],
) -> customers.Resolved:
    """Match (or create) the customers of the receipts not planned yet, in one pass."""
    policy = mappings.customer_policy
    if policy == CustomerPolicy.SINGLE:
        return customers.Resolved()
    planned = set(
        OutboxDocument.objects.filter(
            quickbooks=profile.quickbooks,
            role__in=[Role.SALE, Role.REFUND],
            balance_transaction__connection=profile.stripe,
            rematch=False,
        ).values_list("balance_transaction_id", flat=True)
    )
    todo = [
        txn
        for row, txn in zip(rows, txns, strict=True)
        if row.pk not in planned and _customer_key(txn) is not None
    ]
    by_sale = _sale_customers(
        profile, mappings, [t for t in todo if t.reporting_category == "refund"], sources
    )
    wanted: dict[customers.Key, CustomerInfo] = {}
    for txn in todo:
        key = _customer_key(txn)
        if key is not None and txn.id not in by_sale and txn.customer is not None:
            wanted.setdefault(key, txn.customer)
    resolved = customers.customers_resolve(profile=profile, policy=policy, wanted=wanted)
    resolved.by_txn.update(by_sale)
    return resolved


def outbox_plan(*, profile: SyncProfile) -> PlanReport:
    report = PlanReport()
    mappings = mappings_for(profile)
    tz = zoneinfo.ZoneInfo(profile.tenant.time_zone)
    closed = _closed(profile)
    payouts = _payouts_by_transaction(profile)
    rows = list(
        BalanceTransaction.objects.filter(connection=profile.stripe).order_by("created", "pk")
    )
    sources = adapt.sources_for(rows)
    home = (profile.quickbooks.home_currency or "usd").lower()
    multicurrency = bool(profile.quickbooks.multicurrency_enabled)
    txns = [adapt.ledger_txn(row, sources) for row in rows]
    rematch = _rematch_rows(profile)
    matched = _customers(
        profile,
        mappings,
        [r for r in rows if r.currency == home or multicurrency],
        [t for r, t in zip(rows, txns, strict=True) if r.currency == home or multicurrency],
        sources,
    )
    # Re-planning is the normal case (every run plans the whole ledger): documents already in
    # the outbox are skipped here instead of failing an insert each, and new ones are written
    # in one transaction per chunk rather than one commit each.
    run = _PlanRun(
        profile=profile,
        report=report,
        mappings=mappings,
        tz=tz,
        closed=closed,
        payouts=payouts,
        home=home,
        multicurrency=multicurrency,
        matched=matched,
        rematch=rematch,
        known=_known_keys(profile),
    )
    pairs = list(zip(rows, txns, strict=True))
    for start in range(0, len(pairs), PLAN_CHUNK):
        with transaction.atomic():
            _plan_chunk(run, pairs[start : start + PLAN_CHUNK])
    return report


@dataclass(frozen=True)
class _PlanRun:
    """What one planning pass reads (and `known`/`report`, which it fills as it goes)."""

    profile: SyncProfile
    report: PlanReport
    mappings: Mappings
    tz: zoneinfo.ZoneInfo
    closed: ClosedBooks | None
    payouts: dict[str, Payout]
    home: str
    multicurrency: bool
    matched: customers.Resolved
    rematch: dict[str, OutboxDocument]
    known: set[str]


def _known_keys(profile: SyncProfile) -> set[str]:
    rows = OutboxDocument.objects.filter(balance_transaction__connection=profile.stripe)
    return set(rows.values_list("key", flat=True))


def _plan_chunk(run: _PlanRun, pairs: list[tuple[BalanceTransaction, LedgerTxn]]) -> None:
    profile, report, mappings, matched = run.profile, run.report, run.mappings, run.matched
    new: list[tuple[BalanceTransaction, PlannedDocument]] = []
    for row, txn in pairs:
        if row.currency != run.home and not run.multicurrency:
            report.needs_action.append(
                f"{row.stripe_id}: settled in {row.currency.upper()}; turn on multicurrency in "
                "QuickBooks and run the account setup again."
            )
            continue
        customer: Ref | None = None
        key = _customer_key(txn) if mappings.customer_policy != CustomerPolicy.SINGLE else None
        if txn.id in matched.by_txn:
            customer = matched.by_txn[txn.id]
        elif key is not None:
            customer = matched.refs.get(key)
            if key in matched.needs_action:
                report.needs_action.append(f"{row.stripe_id}: {matched.needs_action[key]}")
                continue
            if key in matched.waiting:
                report.waiting.append(f"{row.stripe_id}: {matched.waiting[key]}")
                continue
        payout = run.payouts.get(row.stripe_id)
        plan = plan_txn(
            txn,
            connection_id=str(profile.stripe_id),
            mappings=mappings,
            tz=run.tz,
            customer=customer,
            payout=adapt.payout_info(payout) if payout else None,
            closed=run.closed,
        )
        report.warnings.extend(f"{row.stripe_id}: {w.message}" for w in plan.warnings)
        if plan.status == PlanStatus.WAITING:
            report.waiting.append(f"{row.stripe_id}: {plan.reason}")
        elif plan.status == PlanStatus.NEEDS_ACTION:
            report.needs_action.append(f"{row.stripe_id}: {plan.reason}")
        for document in plan.documents:
            outbox_key = _outbox_key(document)
            again = run.rematch.get(outbox_key)
            if again is not None:
                report.planned += _rewrite(again, document)
                continue
            if outbox_key in run.known:
                report.already_planned += 1
                continue
            run.known.add(outbox_key)
            new.append((row, document))
    created = _insert_many(profile, new)
    report.planned += created
    report.already_planned += len(new) - created


def _outbox_key(document: PlannedDocument) -> str:
    key = document.key
    return f"{key.connection_id}:{key.txn_id}:{key.role}:{document.generation}"


def _rewrite(row: OutboxDocument, document: PlannedDocument) -> bool:
    """A receipt QuickBooks refused for its (now gone) customer, planned again with the new
    match. It never reached QuickBooks, so its body may change; the requestid changes with the
    body so QuickBooks cannot replay the refusal."""
    body = document.json()
    request_id = hashlib.sha256(f"{document.request_id}\x1f{body}".encode()).hexdigest()[:32]
    return bool(
        OutboxDocument.objects.filter(
            pk=row.pk, status=OutboxDocument.Status.NEEDS_ACTION, rematch=True
        ).update(
            body=body,
            request_id=request_id,
            status=OutboxDocument.Status.PLANNED,
            rematch=False,
            last_error="",
            next_attempt_at=timezone.now(),
        )
    )


def _insert_many(
    profile: SyncProfile, new: list[tuple[BalanceTransaction, PlannedDocument]]
) -> int:
    """Insert the documents in one statement; when another planner got there first (a unique
    key or DocNumber already taken), fall back to one insert each. Returns how many were new."""
    rows = [_outbox_row(profile, row, document) for row, document in new]
    try:
        with transaction.atomic():
            OutboxDocument.objects.bulk_create(rows)
    except IntegrityError:
        return sum(_insert(row) for row in rows)
    return len(rows)


def _outbox_row(
    profile: SyncProfile, row: BalanceTransaction, document: PlannedDocument
) -> OutboxDocument:
    return OutboxDocument(
        tenant_id=profile.tenant_id,
        quickbooks_id=profile.quickbooks_id,
        balance_transaction=row,
        key=_outbox_key(document),
        role=str(document.key.role),
        entity=document.entity,
        generation=document.generation,
        request_id=document.request_id,
        doc_number=document.doc_number,
        body=document.json(),
        amount=abs(document.clearing_delta.amount),
        currency=row.currency,
    )


def _insert(outbox_row: OutboxDocument) -> bool:
    try:
        with transaction.atomic():
            outbox_row.save(force_insert=True)
    except IntegrityError:
        return False
    return True
