"""Tie-out (accounting.md §1.2): per clearing account and per paid payout.

Clearing, per currency:  QBO clearing balance == Stripe balance (available + pending)
                                                 + payouts in transit.
Payout:                  the nets of what it paid out == its amount, and its Transfer is posted.
A difference is explained by what is still waiting in the outbox, when that accounts for it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from connections import services as connection_services
from connections.providers.quickbooks import client as qbo
from connections.providers.stripe import client as stripe_client
from mappings.defaults import Purpose
from mappings.models import QboRef, SyncProfile
from syncs import signals
from syncs.models import BalanceTransaction, OutboxDocument, Payout, Reconciliation
from syncs.money import Money, from_decimal

IN_TRANSIT = ("pending", "in_transit")


def _stripe_balance(profile: SyncProfile) -> dict[str, int]:
    return stripe_client.balance_totals(connection_services.stripe_client_for(profile.stripe))


def _in_transit(profile: SyncProfile, currency: str) -> int:
    found = Payout.objects.filter(
        connection=profile.stripe, currency=currency, status__in=IN_TRANSIT
    ).aggregate(total=Sum("amount"))["total"]
    return int(found or 0)


def _qbo_balance(profile: SyncProfile, account_id: str, currency: str) -> int:
    statement = f"SELECT * FROM Account WHERE Id = {qbo.quoted(account_id)}"  # noqa: S608
    found = connection_services.quickbooks_call(
        connection_id=profile.quickbooks_id, call=lambda t, r: qbo.query(t, r, statement)
    )
    balance = Decimal(str(found[0].get("CurrentBalance", "0"))) if found else Decimal(0)
    return from_decimal(balance, currency).amount


def tie_out(*, profile: SyncProfile) -> list[Reconciliation]:
    results = []
    stripe_totals = _stripe_balance(profile)
    for ref in QboRef.objects.filter(profile=profile, purpose=Purpose.CLEARING):
        currency = ref.currency
        stripe_side = stripe_totals.get(currency, 0) + _in_transit(profile, currency)
        qbo_side = _qbo_balance(profile, ref.qbo_id, currency)
        results.append(_record_clearing(profile, currency, stripe_side, qbo_side))
    results.extend(_payouts(profile))
    return results


def _record_clearing(
    profile: SyncProfile, currency: str, stripe_side: int, qbo_side: int
) -> Reconciliation:
    unposted = OutboxDocument.objects.filter(
        balance_transaction__connection=profile.stripe, currency=currency
    ).exclude(status=OutboxDocument.Status.POSTED)
    ok = stripe_side == qbo_side
    if ok:
        explanation = ""
    elif unposted.exists():
        explanation = f"{unposted.count()} documents are not in QuickBooks yet."
    else:
        explanation = (
            "Everything is posted, yet the balances differ: look for entries made by hand in "
            "the clearing account, or an opening balance not posted at the start date."
        )
    return _save(
        profile,
        Reconciliation.Kind.CLEARING,
        currency,
        {
            "tenant_id": profile.tenant_id,
            "currency": currency,
            "stripe_amount": stripe_side,
            "quickbooks_amount": qbo_side,
            "ok": ok,
            "explanation": explanation,
            "checked_at": timezone.now(),
        },
    )


def _payouts(profile: SyncProfile) -> list[Reconciliation]:
    results = []
    for payout in Payout.objects.filter(connection=profile.stripe, automatic=True, status="paid"):
        paid_out = BalanceTransaction.objects.filter(payout=payout).exclude(
            stripe_id=payout.balance_transaction_id
        )
        nets = int(paid_out.aggregate(total=Sum("net"))["total"] or 0)
        transfer = OutboxDocument.objects.filter(
            balance_transaction__stripe_id=payout.balance_transaction_id,
            balance_transaction__connection=profile.stripe,
            entity="Transfer",
            status=OutboxDocument.Status.POSTED,
        ).exists()
        ok = nets == payout.amount and transfer
        problems = []
        if nets != payout.amount:
            problems.append(
                f"its transactions add up to {Money(nets, payout.currency)}, not "
                f"{Money(payout.amount, payout.currency)}"
            )
        if not transfer:
            problems.append("its transfer to the bank is not in QuickBooks yet")
        row = _save(
            profile,
            Reconciliation.Kind.PAYOUT,
            payout.stripe_id,
            {
                "tenant_id": profile.tenant_id,
                "currency": payout.currency,
                "stripe_amount": payout.amount,
                "quickbooks_amount": nets if transfer else 0,
                "ok": ok,
                "explanation": _sentence("; ".join(problems)),
                "checked_at": timezone.now(),
            },
        )
        results.append(row)
    return results


def _save(
    profile: SyncProfile, kind: str, subject: str, values: dict[str, object]
) -> Reconciliation:
    """Store the latest result; a tie-out that held last time and no longer does is announced
    (once, on the transition, in the same transaction)."""
    with transaction.atomic():
        before = Reconciliation.objects.select_for_update().filter(
            stripe=profile.stripe, kind=kind, subject=subject
        )
        held = before.values_list("ok", flat=True).first()
        row, _ = Reconciliation.objects.update_or_create(
            stripe=profile.stripe, kind=kind, subject=subject, defaults=values
        )
        if held and not row.ok:
            signals.tie_out_broken.send(sender=Reconciliation, reconciliation_id=row.pk)
    return row


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("." if text else "")
