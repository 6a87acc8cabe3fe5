"""Planned documents posted into the QuickBooks emulator's in-process API (no HTTP).

The emulator applies QBO's business rules (account types, positive transfers, balanced journal
entries, totals equal to lines, DocNumber limits) and keeps a ledger, so this checks what XSD
validation cannot: that QBO would accept every document, and that the clearing account ends up
holding exactly the balance the planner predicted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.quickbooks import jsonio, ledger
from emulators.quickbooks.clock import ManualClock
from emulators.quickbooks.entities import Api
from emulators.quickbooks.store import Company, Store
from mappings.defaults import (
    GUEST_CUSTOMER_NAME,
    RECOMMENDED_ACCOUNTS,
    Mappings,
    Purpose,
    Ref,
    TaxMode,
    account_name,
    account_payload,
    sales_item_payload,
    vendor_payload,
)
from syncs.ledger import FeeDetail, LedgerTxn, PayoutInfo, PayoutStatus
from syncs.money import Money, to_decimal
from syncs.planner import Batch, PlanStatus, plan_many
from tests.syncs.ledger_data import NEW_YORK, jane, payout, txn, when, widget
from tests.syncs.strategies import PAYOUT_CATEGORIES, histories, payouts_for


@dataclass
class Books:
    api: Api
    company: Company
    mappings: Mappings

    def post(self, batch: Batch) -> None:
        for doc in batch.documents:
            # Through the wire format, as the poster will send it.
            self.api.post(self.company, doc.entity, jsonio.loads(doc.json()), {})

    def balance(self, ref: Ref) -> Decimal:
        return ledger.balances(self.company)[ref.value]["balance"]


def _create(api: Api, company: Company, entity: str, payload: dict[str, Any]) -> Ref:
    created = api.post(company, entity, payload, {})
    return Ref(created["Id"], created.get("Name") or created.get("DisplayName", ""))


def new_books() -> Books:
    """A fresh sandbox company set up the way mapping autosetup will do it (§2)."""
    store = Store(ManualClock(datetime(2031, 6, 1, tzinfo=UTC)))
    company = store.create_company()
    api = Api(store)
    existing = {a["Name"]: Ref(a["Id"], a["Name"]) for a in company.all("Account")}
    refs: dict[Purpose, Ref] = {}
    for spec in RECOMMENDED_ACCOUNTS:
        name = account_name(spec, "usd")
        if name in existing:
            refs[spec.purpose] = existing[name]
        else:
            refs[spec.purpose] = _create(
                api, company, "Account", account_payload(spec, currency="usd")
            )
    connect = _create(
        api, company, "Account", {"Name": "Connect payouts", "AccountType": "Expense"}
    )
    platform = _create(api, company, "Account", {"Name": "Platform fees", "AccountType": "Income"})
    item = _create(api, company, "Item", sales_item_payload(refs[Purpose.SALES_INCOME]))
    mappings = Mappings(
        clearing={"usd": refs[Purpose.CLEARING]},
        payout_bank={"usd": refs[Purpose.PAYOUT_BANK]},
        sales_income=refs[Purpose.SALES_INCOME],
        sales_item=item,
        refunds=refs[Purpose.REFUNDS],
        fees=refs[Purpose.FEES],
        chargebacks=refs[Purpose.CHARGEBACKS],
        adjustments=refs[Purpose.ADJUSTMENTS],
        reserve=refs[Purpose.RESERVE],
        suspense=refs[Purpose.SUSPENSE],
        opening_balance_equity=refs[Purpose.OPENING_BALANCE],
        vendor=_create(api, company, "Vendor", vendor_payload()),
        category_accounts={"transfer": connect, "platform_earning": platform},
        guest_customer=_create(api, company, "Customer", {"DisplayName": GUEST_CUSTOMER_NAME}),
    )
    return Books(api, company, mappings)


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
