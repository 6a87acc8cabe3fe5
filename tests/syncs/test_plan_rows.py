"""One test (or a few) per row of docs/accounting.md §3, with realistic Stripe amounts.

Every payload is checked against Intuit's XSD by `ledger_data.plan`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mappings.defaults import TaxMode
from syncs.ledger import FeeDetail, PayoutStatus
from syncs.money import Money
from syncs.planner import (
    ClosedBooks,
    ClosedPeriodPolicy,
    OutboxKey,
    PlanStatus,
    Role,
    doc_number,
    is_known_category,
    request_id,
)
from tests.syncs.ledger_data import (
    APP_FEES,
    CHARGEBACKS,
    CHECKING,
    CLEARING_EUR,
    CLEARING_USD,
    CONNECT_PAYOUTS,
    GUEST,
    JANE,
    PLATFORM_INCOME,
    RESERVE,
    SUSPENSE,
    accounts_of,
    clearing_effect,
    jane,
    journal_sides,
    line_amounts,
    mappings,
    only,
    payout,
    plan,
    ref,
    txn,
    when,
    widget,
)


def usd(amount: int) -> Money:
    return Money(amount, "usd")


# ---- charge ----------------------------------------------------------------------------------


def test_it_posts_a_charge_as_a_sales_receipt_and_a_fee_purchase() -> None:
    fees = (
        FeeDetail("stripe_fee", 290, "Stripe processing fees"),
        FeeDetail("application_fee", 30, "Platform fee", "ca_123"),
    )
    t = txn(
        "charge",
        10000,
        320,
        fee_details=fees,
        source_id="ch_3Ox",
        source_type="charge",
        customer=jane(),
        created=when("2026-01-15 03:00"),
    )
    result = plan(t, customer=JANE)

    assert result.status == PlanStatus.READY
    sale, fee = result.documents
    assert (sale.entity, sale.key.role) == ("SalesReceipt", Role.SALE)
    assert sale.payload["CustomerRef"] == {"value": "58", "name": "Jane Doe"}
    assert ref(sale.payload["DepositToAccountRef"]) == CLEARING_USD.value
    assert line_amounts(sale) == [Decimal("100.00")]
    assert accounts_of(sale) == ["Stripe Sales"]
    assert sale.clearing_delta == usd(10000)

    assert (fee.entity, fee.key.role) == ("Purchase", Role.FEE)
    assert fee.payload["PaymentType"] == "Cash"
    assert ref(fee.payload["AccountRef"]) == CLEARING_USD.value
    assert fee.payload["EntityRef"] == {"value": "12", "name": "Stripe", "type": "Vendor"}
    assert line_amounts(fee) == [Decimal("2.90"), Decimal("0.30")]
    assert accounts_of(fee) == ["Stripe Fees", APP_FEES.name]
    assert fee.payload["TotalAmt"] == Decimal("3.20")
    assert fee.clearing_delta == usd(-320)
    assert result.clearing_delta == usd(9680)


def test_it_dates_documents_in_the_tenant_time_zone_and_notes_the_utc_day() -> None:
    t = txn("charge", 10000, 320, created=when("2026-01-15 03:00"), source_id="ch_1")

    new_york = plan(t, tz=ZoneInfo("America/New_York"))
    tokyo = plan(t, tz=ZoneInfo("Asia/Tokyo"))

    assert {d.payload["TxnDate"] for d in new_york.documents} == {"2026-01-14"}
    assert "Stripe (UTC) date 2026-01-15" in new_york.documents[0].payload["PrivateNote"]
    assert {d.payload["TxnDate"] for d in tokyo.documents} == {"2026-01-15"}
    assert "UTC" not in tokyo.documents[0].payload["PrivateNote"]


def test_it_carries_the_stripe_ids_and_a_lookup_tag_in_the_private_note() -> None:
    t = txn("charge", 5000, 175, source_id="ch_9", customer=jane(), invoice_id="in_4")
    sale = plan(t).documents[0]

    note = sale.payload["PrivateNote"]
    for part in ("txn_1", "ch_9", "in_4", "cus_Jane", f"tieout:{sale.doc_number}"):
        assert part in note


def test_it_makes_deterministic_short_identities_per_role() -> None:
    t = txn("charge", 10000, 320)
    first, again = plan(t), plan(t)

    assert [d.json() for d in first.documents] == [d.json() for d in again.documents]
    sale, fee = first.documents
    assert sale.key == OutboxKey("conn_7", "txn_1", Role.SALE)
    assert sale.doc_number.startswith("S-") and fee.doc_number.startswith("F-")
    assert sale.doc_number != fee.doc_number and sale.request_id != fee.request_id
    assert len(sale.doc_number) <= 21 and len(sale.request_id) <= 36
    assert sale.payload["DocNumber"] == sale.doc_number
    other_connection = plan(t, connection_id="conn_8").documents[0]
    assert other_connection.doc_number != sale.doc_number


def test_it_gives_a_reposted_generation_new_identities() -> None:
    t = txn("charge", 10000, 320)
    reposted = plan(t, generations={Role.SALE: 2})
    sale, fee = reposted.documents

    key = OutboxKey("conn_7", "txn_1", Role.SALE)
    assert sale.generation == 2
    assert sale.request_id == request_id(key, 2) != request_id(key, 1)
    assert sale.doc_number == doc_number(key, 2) != doc_number(key, 1)
    assert fee.generation == 1


def test_it_posts_invoice_lines_through_the_product_mapping() -> None:
    lines = (widget(6000, 2), widget(4000).__class__("Consulting", 4000, 1, "prod_unmapped"))
    t = txn("charge", 10000, 320, line_items=lines)
    sale = plan(t).documents[0]

    assert accounts_of(sale) == ["Widget", "Stripe Sales"]
    assert line_amounts(sale) == [Decimal("60.00"), Decimal("40.00")]
    assert [line["Description"] for line in sale.payload["Line"]] == ["Widget", "Consulting"]


def test_it_falls_back_to_one_line_when_invoice_lines_do_not_add_up() -> None:
    t = txn("charge", 10000, 320, line_items=(widget(9000),))
    result = plan(t)

    assert accounts_of(result.documents[0]) == ["Widget"]
    assert line_amounts(result.documents[0]) == [Decimal("100.00")]
    assert [w.code for w in result.warnings] == ["line_items_mismatch"]


def test_it_posts_a_guest_charge_to_the_guest_customer() -> None:
    sale = plan(txn("charge", 2000, 88)).documents[0]
    assert sale.payload["CustomerRef"] == GUEST.qbo()


def test_it_posts_a_foreign_charge_in_the_settlement_currency_with_the_rate_in_the_memo() -> None:
    t = txn(
        "charge",
        1234,
        66,
        presentment_amount=1000,
        presentment_currency="eur",
        exchange_rate=Decimal("1.234"),
        line_items=(widget(1000),),
    )
    sale, fee = plan(t).documents

    assert sale.payload["TotalAmt"] == Decimal("12.34")
    assert "presented 10.00 EUR at 1.234, settled 12.34 USD" in sale.payload["PrivateNote"]
    assert "CurrencyRef" not in sale.payload  # USD is the home currency
    assert fee.payload["TotalAmt"] == Decimal("0.66")


def test_it_posts_a_second_settlement_currency_into_its_own_clearing_account() -> None:
    t = txn("charge", 5000, 170, currency="eur")
    sale, fee = plan(t).documents

    assert ref(sale.payload["DepositToAccountRef"]) == CLEARING_EUR.value
    assert ref(fee.payload["AccountRef"]) == CLEARING_EUR.value
    assert sale.payload["CurrencyRef"] == {"value": "EUR"}
    assert sale.clearing_delta == Money(5000, "eur")


def test_it_waits_for_action_when_a_currency_has_no_clearing_account() -> None:
    t = txn("charge", 5000, 170, currency="gbp")
    result = plan(t)

    assert result.status == PlanStatus.NEEDS_ACTION
    assert result.documents == ()
    assert "GBP" in result.reason
    assert result.unposted == Money(4830, "gbp")


def test_it_uses_each_currency_exponent() -> None:
    yen = plan(txn("charge", 1500, 54, currency="jpy")).documents[0]
    dinar = plan(txn("charge", 12345, 400, currency="kwd")).documents[0]

    assert yen.json().count('"Amount":1500,') == 1
    assert yen.payload["TotalAmt"] == Decimal("1500")
    assert dinar.payload["TotalAmt"] == Decimal("12.345")
    assert '"TotalAmt":12.345' in dinar.json()


def test_it_posts_nothing_for_a_fully_discounted_charge() -> None:
    result = plan(txn("charge", 0, 0, line_items=(widget(0),)))

    assert result.status == PlanStatus.READY
    assert result.documents == ()
    assert result.unposted == usd(0)


def test_it_itemises_a_fee_without_fee_details_on_stripe_fees() -> None:
    result = plan(txn("charge", 10000, 320, fee_details=()))
    fee = result.documents[1]

    assert accounts_of(fee) == ["Stripe Fees"]
    assert line_amounts(fee) == [Decimal("3.20")]
    assert result.warnings == ()


def test_it_warns_when_fee_details_do_not_add_up_to_the_fee() -> None:
    result = plan(txn("charge", 10000, 320, fee_details=(FeeDetail("stripe_fee", 300),)))
    fee = result.documents[1]

    assert line_amounts(fee) == [Decimal("3.00"), Decimal("0.20")]
    assert fee.clearing_delta == usd(-320)
    assert [w.code for w in result.warnings] == ["fee_details_mismatch"]


def test_it_sends_a_charge_with_a_negative_amount_to_suspense() -> None:
    result = plan(txn("charge", -500))
    doc = only(result)

    assert (doc.entity, doc.key.role) == ("JournalEntry", Role.SUSPENSE)
    assert [w.code for w in result.warnings] == ["unexpected_sign"]
    assert doc.clearing_delta == usd(-500)


# ---- refunds ---------------------------------------------------------------------------------


def test_it_posts_a_partial_refund_as_a_refund_receipt_for_the_same_customer_and_item() -> None:
    t = txn(
        "refund",
        -2500,
        source_id="re_1",
        source_type="refund",
        charge_id="ch_9",
        line_items=(widget(10000),),
        customer=jane(),
    )
    doc = only(plan(t, customer=JANE))

    assert (doc.entity, doc.key.role) == ("RefundReceipt", Role.REFUND)
    assert doc.payload["CustomerRef"] == JANE.qbo()
    assert ref(doc.payload["DepositToAccountRef"]) == CLEARING_USD.value
    assert accounts_of(doc) == ["Widget"]
    assert doc.payload["TotalAmt"] == Decimal("25.00")
    assert doc.clearing_delta == usd(-2500)
    assert "ch_9" in doc.payload["Line"][0]["Description"]
    assert doc.doc_number.startswith("R-")


def test_it_credits_the_mapped_refund_item_when_there_is_one() -> None:
    refund_item = JANE.__class__("23", "Stripe Refunds")
    doc = only(
        plan(
            txn("refund", -2500, line_items=(widget(10000),)),
            mappings=mappings(refund_item=refund_item),
        )
    )
    assert accounts_of(doc) == ["Stripe Refunds"]


def test_it_posts_a_refunded_fee_on_a_refund_as_a_deposit() -> None:
    fees = (FeeDetail("stripe_fee", -30, "Stripe processing fees refund"),)
    result = plan(txn("refund", -1000, -30, fee_details=fees))
    refund, fee = result.documents

    assert (fee.entity, fee.key.role) == ("Deposit", Role.REFUND_FEE)
    assert accounts_of(fee) == ["Stripe Fees"]
    assert line_amounts(fee) == [Decimal("0.30")]
    assert refund.clearing_delta + fee.clearing_delta == usd(-970)


def test_it_posts_a_fee_charged_on_a_refund_as_a_purchase() -> None:
    refund, fee = plan(txn("refund", -1000, 50)).documents
    assert (fee.entity, fee.key.role, fee.clearing_delta) == ("Purchase", Role.REFUND_FEE, usd(-50))


def test_it_posts_a_failed_refund_as_a_deposit_to_refunds() -> None:
    doc = only(plan(txn("refund_failure", 2500, source_id="re_1")))

    assert (doc.entity, doc.key.role) == ("Deposit", Role.REFUND_FAILURE)
    assert ref(doc.payload["DepositToAccountRef"]) == CLEARING_USD.value
    assert accounts_of(doc) == ["Stripe Refunds"]
    assert doc.clearing_delta == usd(2500)


# ---- disputes --------------------------------------------------------------------------------


def test_it_posts_a_dispute_as_one_purchase_with_a_chargeback_and_a_fee_line() -> None:
    fees = (FeeDetail("stripe_fee", 1500, "Dispute fee"),)
    t = txn("dispute", -1000, 1500, type="adjustment", fee_details=fees, source_id="dp_1")
    doc = only(plan(t))

    assert (doc.entity, doc.key.role) == ("Purchase", Role.DISPUTE)
    assert accounts_of(doc) == [CHARGEBACKS.name, "Stripe Fees"]
    assert line_amounts(doc) == [Decimal("10.00"), Decimal("15.00")]
    assert doc.payload["TotalAmt"] == Decimal("25.00")
    assert doc.clearing_delta == usd(-2500)


def test_it_posts_a_won_dispute_as_a_deposit_returning_amount_and_fee() -> None:
    fees = (FeeDetail("stripe_fee", -1500, "Dispute fee refund"),)
    t = txn("dispute_reversal", 1000, -1500, type="adjustment", fee_details=fees)
    doc = only(plan(t))

    assert (doc.entity, doc.key.role) == ("Deposit", Role.DISPUTE_REVERSAL)
    assert accounts_of(doc) == [CHARGEBACKS.name, "Stripe Fees"]
    assert line_amounts(doc) == [Decimal("10.00"), Decimal("15.00")]
    assert doc.clearing_delta == usd(2500)


def test_it_posts_a_won_dispute_without_a_fee_refund_as_one_line() -> None:
    doc = only(plan(txn("dispute_reversal", 1000, type="adjustment")))
    assert line_amounts(doc) == [Decimal("10.00")]


# ---- standalone fees -------------------------------------------------------------------------


def test_it_posts_a_standalone_stripe_fee_as_a_purchase() -> None:
    t = txn("fee", -2000, type="stripe_fee", description="Billing - Usage Fee (2026-01-01)")
    doc = only(plan(t))

    assert (doc.entity, doc.key.role) == ("Purchase", Role.STRIPE_FEE)
    assert accounts_of(doc) == ["Stripe Fees"]
    assert doc.payload["Line"][0]["Description"].startswith("Billing - Usage Fee")
    assert doc.clearing_delta == usd(-2000)


def test_it_posts_a_standalone_fee_to_its_fee_type_mapping() -> None:
    doc = only(plan(txn("fee", -300, type="application_fee")))
    assert accounts_of(doc) == [APP_FEES.name]


def test_it_posts_a_fee_credit_as_a_deposit() -> None:
    doc = only(plan(txn("fee", 450, type="stripe_fee")))
    assert (doc.entity, doc.clearing_delta) == ("Deposit", usd(450))


# ---- payouts ---------------------------------------------------------------------------------


def test_it_posts_a_paid_payout_as_a_transfer_dated_on_arrival() -> None:
    t = txn(
        "payout", -9680, source_id="po_1", source_type="payout", created=when("2026-01-15 20:00")
    )
    doc = only(plan(t, payout=payout(9680)))

    assert (doc.entity, doc.key.role) == ("Transfer", Role.PAYOUT)
    assert ref(doc.payload["FromAccountRef"]) == CLEARING_USD.value
    assert ref(doc.payload["ToAccountRef"]) == CHECKING.value
    assert doc.payload["Amount"] == Decimal("96.80")
    assert doc.payload["TxnDate"] == "2026-01-17"
    assert doc.txn_date == date(2026, 1, 17)
    assert "payout po_1 arriving 2026-01-17" in doc.payload["PrivateNote"]
    assert doc.clearing_delta == usd(-9680)


def test_it_waits_for_a_payout_in_transit() -> None:
    t = txn("payout", -9680, source_id="po_1")
    result = plan(t, payout=payout(9680, PayoutStatus.IN_TRANSIT))

    assert result.status == PlanStatus.WAITING
    assert result.documents == ()
    assert result.unposted == usd(-9680)


def test_it_waits_when_the_payout_is_unknown() -> None:
    assert plan(txn("payout", -9680, source_id="po_1")).status == PlanStatus.WAITING


def test_it_posts_an_instant_payout_fee_as_a_purchase() -> None:
    t = txn("payout", -10000, 150, source_id="po_1")
    transfer, fee = plan(t, payout=payout(10000, method="instant")).documents

    assert transfer.payload["Amount"] == Decimal("100.00")
    assert (fee.entity, fee.key.role, fee.clearing_delta) == (
        "Purchase",
        Role.PAYOUT_FEE,
        usd(-150),
    )


def test_it_reverses_a_payout_that_failed_after_it_was_paid() -> None:
    failed = payout(9680, PayoutStatus.FAILED, was_paid=True, failure_code="account_closed")
    out = only(plan(txn("payout", -9680, id="txn_po", source_id="po_1"), payout=failed))
    back = only(
        plan(
            txn(
                "payout_reversal",
                9680,
                id="txn_pof",
                type="payout_failure",
                source_id="po_1",
                created=when("2026-01-20 14:00"),
            ),
            payout=failed,
        )
    )

    assert out.entity == back.entity == "Transfer"
    assert back.key.role == Role.PAYOUT_FAILURE
    assert ref(back.payload["FromAccountRef"]) == CHECKING.value
    assert ref(back.payload["ToAccountRef"]) == CLEARING_USD.value
    assert back.payload["TxnDate"] == "2026-01-20"
    assert out.clearing_delta + back.clearing_delta == usd(0)


def test_it_posts_nothing_for_a_payout_that_failed_before_it_was_paid() -> None:
    failed = payout(9680, PayoutStatus.FAILED)
    out = plan(txn("payout", -9680, id="txn_po", source_id="po_1"), payout=failed)
    back = plan(txn("payout_reversal", 9680, id="txn_pof", source_id="po_1"), payout=failed)

    assert out.status == back.status == PlanStatus.READY
    assert out.documents == back.documents == ()
    # Stripe's two balance transactions cancel out, and so does what we left unposted.
    assert out.unposted + back.unposted == usd(0)


def test_it_needs_a_bank_account_for_payouts_in_a_currency() -> None:
    result = plan(
        txn("payout", -5000, source_id="po_1", currency="jpy"),
        payout=payout(5000, currency="jpy"),
        mappings=mappings(payout_bank={"usd": CHECKING}),
    )
    assert result.status == PlanStatus.NEEDS_ACTION
    assert "JPY" in result.reason


# ---- top-ups, reserves -----------------------------------------------------------------------


def test_it_posts_a_topup_as_a_transfer_from_the_bank() -> None:
    doc = only(plan(txn("topup", 50000, source_id="tu_1")))

    assert (doc.entity, doc.key.role) == ("Transfer", Role.TOPUP)
    assert ref(doc.payload["FromAccountRef"]) == CHECKING.value
    assert ref(doc.payload["ToAccountRef"]) == CLEARING_USD.value
    assert doc.clearing_delta == usd(50000)


def test_it_posts_a_topup_reversal_as_a_transfer_back_to_the_bank() -> None:
    doc = only(plan(txn("topup_reversal", -50000, source_id="tu_1")))
    assert ref(doc.payload["FromAccountRef"]) == CLEARING_USD.value
    assert ref(doc.payload["ToAccountRef"]) == CHECKING.value
    assert doc.payload["Amount"] == Decimal("500.00")


def test_it_moves_reserved_funds_to_the_reserve_and_back() -> None:
    held = only(plan(txn("risk_reserved_funds", -12000, type="reserve_transaction")))
    released = only(plan(txn("risk_reserved_funds", 12000, id="txn_2", type="reserve_transaction")))

    assert ref(held.payload["ToAccountRef"]) == RESERVE.value
    assert ref(released.payload["FromAccountRef"]) == RESERVE.value
    assert held.clearing_delta + released.clearing_delta == usd(0)
    assert held.key.role == Role.RESERVE


# ---- Connect ---------------------------------------------------------------------------------


def test_it_posts_a_connect_transfer_and_its_reversal_against_the_mapped_account() -> None:
    out = only(plan(txn("transfer", -7000, source_id="tr_1")))
    back = only(plan(txn("transfer_reversal", 2000, id="txn_2", source_id="trr_1")))

    assert (out.entity, out.key.role) == ("Purchase", Role.TRANSFER)
    assert accounts_of(out) == [CONNECT_PAYOUTS.name]
    assert (back.entity, accounts_of(back)) == ("Deposit", [CONNECT_PAYOUTS.name])


def test_it_posts_platform_earnings_as_a_deposit() -> None:
    doc = only(plan(txn("platform_earning", 300, type="application_fee", source_id="fee_1")))
    assert (doc.entity, doc.key.role, accounts_of(doc)) == (
        "Deposit",
        Role.PLATFORM_EARNING,
        [PLATFORM_INCOME.name],
    )


def test_it_needs_a_mapping_for_connect_rows() -> None:
    result = plan(txn("transfer", -7000), mappings=mappings(category_accounts={}))
    assert result.status == PlanStatus.NEEDS_ACTION
    assert result.documents == ()


# ---- adjustments and the unknown -------------------------------------------------------------


def test_it_posts_an_adjustment_as_a_balanced_journal_entry() -> None:
    doc = only(plan(txn("other_adjustment", -1234, type="adjustment")))

    assert (doc.entity, doc.key.role) == ("JournalEntry", Role.ADJUSTMENT)
    assert accounts_of(doc) == [CLEARING_USD.name, "Stripe Adjustments"]
    sides = [line["JournalEntryLineDetail"]["PostingType"] for line in doc.payload["Line"]]
    assert sides == ["Credit", "Debit"]
    assert journal_sides(doc) == (Decimal("12.34"), Decimal("12.34"))
    assert clearing_effect(doc) == Decimal("-12.34")


def test_it_splits_an_adjustment_fee_in_the_journal_entry() -> None:
    doc = only(plan(txn("contribution", -500, 25, type="climate_order_purchase")))

    assert accounts_of(doc) == [CLEARING_USD.name, "Stripe Adjustments", "Stripe Fees"]
    assert journal_sides(doc) == (Decimal("5.25"), Decimal("5.25"))
    assert doc.clearing_delta == usd(-525)


def test_it_lets_a_category_mapping_override_the_adjustments_account() -> None:
    m = mappings(category_accounts={"tax": SUSPENSE})
    doc = only(plan(txn("tax", -800), mappings=m))
    assert accounts_of(doc)[1] == SUSPENSE.name


def test_it_parks_an_unknown_category_in_suspense_with_a_warning() -> None:
    result = plan(txn("brand_new_category", 4200, 100, type="mystery"))
    doc = only(result)

    assert (doc.entity, doc.key.role) == ("JournalEntry", Role.SUSPENSE)
    assert accounts_of(doc) == [CLEARING_USD.name, SUSPENSE.name]
    assert doc.clearing_delta == usd(4100)
    assert [w.code for w in result.warnings] == ["unknown_category"]
    assert "brand_new_category" in result.warnings[0].message


def test_it_leaves_clearing_out_of_a_journal_entry_that_does_not_move_it() -> None:
    doc = only(plan(txn("other_adjustment", 500, 500, type="adjustment")))

    assert accounts_of(doc) == ["Stripe Adjustments", "Stripe Fees"]
    assert journal_sides(doc) == (Decimal("5.00"), Decimal("5.00"))
    assert doc.clearing_delta == usd(0)


# ---- closed periods (§7) ---------------------------------------------------------------------


def test_it_posts_a_late_refund_in_a_closed_period_on_the_first_open_date() -> None:
    closed = ClosedBooks(date(2026, 1, 31))
    result = plan(txn("refund", -2500, created=when("2026-01-20 15:00")), closed=closed)
    doc = only(result)

    assert doc.payload["TxnDate"] == "2026-02-01"
    assert (
        "dated 2026-01-20 in Stripe; books closed through 2026-01-31" in doc.payload["PrivateNote"]
    )
    assert [w.code for w in result.warnings] == ["closed_period"]


def test_it_holds_a_closed_period_document_for_approval_when_asked_to() -> None:
    closed = ClosedBooks(date(2026, 1, 31), ClosedPeriodPolicy.HOLD)
    held = plan(txn("refund", -2500, created=when("2026-01-20 15:00")), closed=closed)
    open_day = plan(txn("refund", -2500, created=when("2026-02-02 15:00")), closed=closed)

    assert held.status == PlanStatus.NEEDS_ACTION
    assert held.documents == ()
    assert "approve posting it on 2026-02-01" in held.reason
    assert open_day.status == PlanStatus.READY
    assert only(open_day).payload["TxnDate"] == "2026-02-02"


# ---- sales tax (§5) --------------------------------------------------------------------------


def test_it_sends_the_explicit_tax_amount_for_us_companies() -> None:
    m = mappings(tax_mode=TaxMode.US_TOTAL_TAX)
    t = txn("charge", 10800, 343, line_items=(widget(6000), widget(4000)), tax_amount=800)
    sale = plan(t, mappings=m).documents[0]

    assert line_amounts(sale) == [Decimal("60.00"), Decimal("40.00")]
    assert sale.payload["TxnTaxDetail"] == {"TotalTax": Decimal("8.00")}
    assert sale.payload["TotalAmt"] == Decimal("108.00")
    assert {
        line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in sale.payload["Line"]
    } == {"TAX"}
    assert sale.clearing_delta == usd(10800)


def test_it_waits_for_tax_code_mappings_outside_the_us() -> None:
    m = mappings(tax_mode=TaxMode.TAX_CODES)
    result = plan(txn("charge", 12000, 380, tax_amount=2000), mappings=m)

    assert result.status == PlanStatus.NEEDS_ACTION
    assert "tax codes" in result.reason


def test_it_warns_when_tax_is_left_in_income() -> None:
    result = plan(txn("charge", 10800, 343, tax_amount=800))

    assert line_amounts(result.documents[0]) == [Decimal("108.00")]
    assert "TxnTaxDetail" not in result.documents[0].payload
    assert [w.code for w in result.warnings] == ["tax_in_income"]


# ---- the table as a whole --------------------------------------------------------------------

SPEC_TABLE = [
    ("charge", 10000, 320, [("SalesReceipt", Role.SALE), ("Purchase", Role.FEE)]),
    ("refund", -2500, 0, [("RefundReceipt", Role.REFUND)]),
    ("refund", -2500, -30, [("RefundReceipt", Role.REFUND), ("Deposit", Role.REFUND_FEE)]),
    ("refund_failure", 2500, 0, [("Deposit", Role.REFUND_FAILURE)]),
    ("dispute", -1000, 1500, [("Purchase", Role.DISPUTE)]),
    ("dispute_reversal", 1000, -1500, [("Deposit", Role.DISPUTE_REVERSAL)]),
    ("fee", -2000, 0, [("Purchase", Role.STRIPE_FEE)]),
    ("payout", -9680, 0, [("Transfer", Role.PAYOUT)]),
    ("payout_reversal", 9680, 0, [("Transfer", Role.PAYOUT_FAILURE)]),
    ("topup", 50000, 0, [("Transfer", Role.TOPUP)]),
    ("topup_reversal", -50000, 0, [("Transfer", Role.TOPUP)]),
    ("risk_reserved_funds", -12000, 0, [("Transfer", Role.RESERVE)]),
    ("connect_reserved_funds", 12000, 0, [("Transfer", Role.RESERVE)]),
    ("transfer", -7000, 0, [("Purchase", Role.TRANSFER)]),
    ("transfer_reversal", 7000, 0, [("Deposit", Role.TRANSFER)]),
    ("connect_collection_transfer", 700, 0, [("Deposit", Role.TRANSFER)]),
    ("platform_earning", 300, 0, [("Deposit", Role.PLATFORM_EARNING)]),
    ("platform_earning_refund", -300, 0, [("Purchase", Role.PLATFORM_EARNING)]),
    ("other_adjustment", -1234, 0, [("JournalEntry", Role.ADJUSTMENT)]),
    ("contribution", -500, 0, [("JournalEntry", Role.ADJUSTMENT)]),
    ("charge_failure", -10000, 0, [("JournalEntry", Role.ADJUSTMENT)]),
    ("issuing_authorization_hold", -900, 0, [("JournalEntry", Role.ADJUSTMENT)]),
    ("not_a_category", 100, 0, [("JournalEntry", Role.SUSPENSE)]),
]


@pytest.mark.parametrize(("category", "amount", "fee", "expected"), SPEC_TABLE)
def test_it_follows_the_spec_table_and_moves_clearing_by_net(
    category: str, amount: int, fee: int, expected: list[tuple[str, Role]]
) -> None:
    paid = payout(abs(amount), was_paid=True)
    result = plan(txn(category, amount, fee, source_id="po_1"), payout=paid)

    assert result.status == PlanStatus.READY
    assert [(d.entity, d.key.role) for d in result.documents] == expected
    assert result.clearing_delta == usd(amount - fee)
    assert sum(clearing_effect(d) for d in result.documents) == Decimal(amount - fee) / 100
    assert is_known_category(category) == (category != "not_a_category")
