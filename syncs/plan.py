"""Ledger + mappings → outbox rows, through the pure planner.

Rows are inserted under their unique key and never changed afterwards: planning the same
ledger twice adds nothing, and a posted document is only ever replaced by a deliberate new
generation (void and re-post), which has its own key.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from mappings.models import SyncProfile
from mappings.selectors import mappings_for
from syncs import adapt
from syncs.models import BalanceTransaction, OutboxDocument, Payout
from syncs.planner import (
    ClosedBooks,
    ClosedPeriodPolicy,
    PlannedDocument,
    PlanStatus,
    plan_txn,
)

PAYOUT_CATEGORIES = {"payout", "payout_reversal", "payout_failure"}


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
    for row in rows:
        if row.currency != home and not multicurrency:
            report.needs_action.append(
                f"{row.stripe_id}: settled in {row.currency.upper()}; turn on multicurrency in "
                "QuickBooks and run the account setup again."
            )
            continue
        payout = payouts.get(row.stripe_id)
        plan = plan_txn(
            adapt.ledger_txn(row, sources),
            connection_id=str(profile.stripe_id),
            mappings=mappings,
            tz=tz,
            payout=adapt.payout_info(payout) if payout else None,
            closed=closed,
        )
        report.warnings.extend(f"{row.stripe_id}: {w.message}" for w in plan.warnings)
        if plan.status == PlanStatus.WAITING:
            report.waiting.append(f"{row.stripe_id}: {plan.reason}")
        elif plan.status == PlanStatus.NEEDS_ACTION:
            report.needs_action.append(f"{row.stripe_id}: {plan.reason}")
        for document in plan.documents:
            created = _insert(profile, row, document)
            report.planned += created
            report.already_planned += not created
    return report


def _insert(profile: SyncProfile, row: BalanceTransaction, document: PlannedDocument) -> bool:
    key = document.key
    outbox_key = f"{key.connection_id}:{key.txn_id}:{key.role}:{document.generation}"
    try:
        with transaction.atomic():
            OutboxDocument.objects.create(
                tenant_id=profile.tenant_id,
                quickbooks=profile.quickbooks,
                balance_transaction=row,
                key=outbox_key,
                role=str(key.role),
                entity=document.entity,
                generation=document.generation,
                request_id=document.request_id,
                doc_number=document.doc_number,
                body=document.json(),
                amount=abs(document.clearing_delta.amount),
                currency=row.currency,
            )
    except IntegrityError:
        return False
    return True
