"""Planned documents posted into the QuickBooks emulator's in-process API (no HTTP).

The emulator applies QBO's business rules (account types, positive transfers, balanced journal
entries, totals equal to lines, DocNumber limits) and keeps a ledger, so this checks what XSD
validation cannot: that QBO would accept every document, and that the clearing account ends up
holding exactly the balance the planner predicted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.quickbooks import ledger
from mappings.defaults import TaxMode
from syncs.ledger import FeeDetail, LedgerTxn, PayoutInfo, PayoutStatus
from syncs.money import Money, to_decimal
from syncs.planner import PlanStatus, plan_many
from tests.syncs.ledger_data import NEW_YORK, jane, payout, txn, when, widget
from tests.syncs.qbo_books import new_books
from tests.syncs.strategies import PAYOUT_CATEGORIES, histories, payouts_for


def realistic_history() -> tuple[list[LedgerTxn], dict[str, PayoutInfo]]:
    dispute_fee = (FeeDetail("stripe_fee", 1500, "Dispute fee"),)
    dispute_fee_back = (FeeDetail("stripe_fee", -1500, "Dispute fee refund"),)
    txns = [
        txn("charge", 10000, 320, id="txn_a", source_id="ch_a", customer=jane()),
        txn("charge", 5000, 175, id="txn_b", source_id="ch_b", created=when("2026-01-15 23:30")),
        txn("charge", 10800, 340, id="txn_t", line_items=(widget(10000),), tax_amount=800),
        txn("refund", -2500, id="txn_c", source_id="re_c", charge_id="ch_a"),
        txn("dispute", -5000, 1500, id="txn_d", type="adjustment", fee_details=dispute_fee),
        txn(
            "dispute_reversal",
            5000,
            -1500,
            id="txn_e",
            type="adjustment",
            fee_details=dispute_fee_back,
        ),
        txn("fee", -2000, id="txn_f", type="stripe_fee", description="Billing - Usage Fee"),
        txn("payout", -7000, id="txn_g", source_id="po_paid", created=when("2026-01-16 12:00")),
        txn("payout", -3000, id="txn_h", source_id="po_pending", created=when("2026-01-17 12:00")),
        txn("topup", 20000, id="txn_i", source_id="tu_i"),
        txn("risk_reserved_funds", -4000, id="txn_j", type="reserve_transaction"),
        txn("other_adjustment", -150, id="txn_k", type="adjustment"),
        txn("transfer", -1000, id="txn_l", source_id="tr_l"),
        txn("platform_earning", 250, id="txn_m", type="application_fee"),
        txn("mystery_category", 99, id="txn_n", type="mystery"),
        txn("refund_failure", 2500, id="txn_o", source_id="re_c"),
    ]
    payouts = {
        "po_paid": payout(7000, id="po_paid", arrival=date(2026, 1, 18)),
        "po_pending": payout(3000, PayoutStatus.IN_TRANSIT, id="po_pending"),
    }
    return txns, payouts


def test_it_posts_a_realistic_history_that_ties_out_in_the_emulator() -> None:
    books = new_books()
    books.mappings = replace(books.mappings, tax_mode=TaxMode.US_TOTAL_TAX)
    txns, payouts = realistic_history()
    batch = plan_many(
        txns, connection_id="conn_1", mappings=books.mappings, tz=NEW_YORK, payouts=payouts
    )
    books.post(batch)

    clearing = books.mappings.clearing["usd"]
    # The in-transit payout (txn_h) has left Stripe's balance but not the clearing account:
    # clearing = Stripe balance + payouts in transit (§1.2).
    expected = Money(sum(t.net for t in txns) + 3000, "usd")
    assert [p.txn_id for p in batch.by_status(PlanStatus.WAITING)] == ["txn_h"]
    assert batch.clearing_balances() == {"usd": expected}
    assert books.balance(clearing) == to_decimal(expected)
    assert books.balance(books.mappings.payout_bank["usd"]) == Decimal("70.00") - Decimal("200.00")
    assert books.balance(books.mappings.suspense) == Decimal("-0.99")
    assert books.balance(books.mappings.reserve) == Decimal("40.00")


@st.composite
def usd_histories(draw: st.DrawFn) -> tuple[list[LedgerTxn], dict[str, PayoutInfo]]:
    txns = draw(histories(currencies=("usd",), max_size=8))
    payouts = {}
    for t in txns:
        if t.reporting_category in PAYOUT_CATEGORIES and t.source_id:
            found = draw(payouts_for(t))
            if found is not None and t.source_id not in payouts:
                payouts[t.source_id] = found
    return txns, payouts


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(usd_histories())
def test_it_posts_any_history_the_emulator_accepts_and_balances(
    case: tuple[list[LedgerTxn], dict[str, PayoutInfo]],
) -> None:
    txns, payouts = case
    books = new_books()
    batch = plan_many(
        txns, connection_id="conn_1", mappings=books.mappings, tz=NEW_YORK, payouts=payouts
    )
    books.post(batch)

    clearing = books.mappings.clearing["usd"]
    expected = batch.clearing_balances().get("usd", Money.zero("usd"))
    assert books.balance(clearing) == to_decimal(expected)
    totals = ledger.trial_balance(books.company)["totals"]
    assert totals["Debit"] == totals["Credit"]
