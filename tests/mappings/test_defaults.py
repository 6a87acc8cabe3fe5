"""The recommended chart of accounts (docs/accounting.md §2) and the pure mapping lookups."""

from __future__ import annotations

import pytest

from mappings.defaults import (
    RECOMMENDED_ACCOUNTS,
    SALES_ITEM_NAME,
    VENDOR_NAME,
    AccountSpec,
    Purpose,
    Ref,
    account_name,
    account_payload,
    account_spec,
    sales_item_payload,
    vendor_payload,
)
from mappings.resolve import (
    MissingMapping,
    clearing_account,
    customer_display_names,
    fee_account,
    item_for,
    mapping_problems,
    payout_bank,
    refund_item,
    single_item,
    topup_bank,
)
from tests.qbo_schema import assert_valid_qbo
from tests.syncs.ledger_data import (
    APP_FEES,
    CHECKING,
    CLEARING_USD,
    FEES,
    SALES_ITEM,
    WIDGET_ITEM,
    mappings,
    txn,
    widget,
)


def test_it_recommends_the_chart_of_accounts_of_the_spec() -> None:
    table = {(s.purpose, s.name, s.account_type, s.account_sub_type) for s in RECOMMENDED_ACCOUNTS}
    assert table >= {
        (Purpose.CLEARING, "Stripe Clearing", "Bank", "Checking"),
        (Purpose.SALES_INCOME, "Stripe Sales", "Income", "SalesOfProductIncome"),
        (Purpose.REFUNDS, "Stripe Refunds", "Income", "DiscountsRefundsGiven"),
        (Purpose.FEES, "Stripe Fees", "Expense", "BankCharges"),
        (Purpose.CHARGEBACKS, "Stripe Chargebacks", "Expense", "OtherMiscellaneousServiceCost"),
        (Purpose.ADJUSTMENTS, "Stripe Adjustments", "Expense", "OtherMiscellaneousServiceCost"),
        (Purpose.RESERVE, "Stripe Reserve", "Other Current Asset", "OtherCurrentAssets"),
        (Purpose.SUSPENSE, "Stripe Suspense", "Other Current Asset", "OtherCurrentAssets"),
        (Purpose.OPENING_BALANCE, "Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
        (Purpose.SALES_TAX, "Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"),
    }
    assert len({s.purpose for s in RECOMMENDED_ACCOUNTS}) == len(RECOMMENDED_ACCOUNTS)
    assert (VENDOR_NAME, SALES_ITEM_NAME) == ("Stripe", "Stripe Sales")


def test_it_names_one_clearing_account_per_currency() -> None:
    spec = account_spec(Purpose.CLEARING)
    assert account_name(spec, "usd") == "Stripe Clearing – USD"
    assert account_payload(spec, currency="eur", multicurrency=True) == {
        "Name": "Stripe Clearing – EUR",
        "AccountType": "Bank",
        "AccountSubType": "Checking",
        "CurrencyRef": {"value": "EUR"},
    }
    assert "CurrencyRef" not in account_payload(spec, currency="usd")
    with pytest.raises(ValueError):
        account_name(spec)


@pytest.mark.parametrize("spec", RECOMMENDED_ACCOUNTS, ids=lambda s: s.purpose)
def test_it_builds_account_payloads_the_qbo_schema_accepts(spec: AccountSpec) -> None:
    payload = account_payload(spec, currency="usd", multicurrency=True)
    assert_valid_qbo("Account", payload)
    assert len(payload["Name"]) <= 100 and ":" not in payload["Name"] and '"' not in payload["Name"]


def test_it_builds_the_vendor_and_item_payloads() -> None:
    assert_valid_qbo("Vendor", vendor_payload())
    item = sales_item_payload(Ref("79", "Stripe Sales"))
    assert_valid_qbo("Item", item)
    assert item["IncomeAccountRef"] == {"value": "79", "name": "Stripe Sales"}


# ---- resolve ---------------------------------------------------------------------------------


def test_it_resolves_accounts_per_currency_or_says_what_to_map() -> None:
    m = mappings(topup_bank={})
    assert clearing_account(m, "usd") == CLEARING_USD
    assert payout_bank(m, "usd") == topup_bank(m, "usd") == CHECKING
    with pytest.raises(MissingMapping, match="GBP"):
        clearing_account(m, "gbp")
    with pytest.raises(MissingMapping, match="GBP"):
        payout_bank(m, "gbp")


def test_it_resolves_fee_types_and_products() -> None:
    m = mappings()
    assert fee_account(m, "application_fee") == APP_FEES
    assert fee_account(m, "stripe_fee") == FEES
    assert item_for(m, "prod_widget") == WIDGET_ITEM
    assert item_for(m, "prod_unknown") == item_for(m, None) == SALES_ITEM
    assert single_item(m, [widget(1), widget(2)]) == WIDGET_ITEM
    assert single_item(m, [widget(1), widget(2).__class__("x", 1, 1, None)]) == SALES_ITEM


def test_it_refunds_to_the_sale_item_unless_a_refund_item_is_mapped() -> None:
    refund = txn("refund", -100, line_items=(widget(100),))
    assert refund_item(mappings(), refund) == WIDGET_ITEM
    special = Ref("23", "Stripe Refunds")
    assert refund_item(mappings(refund_item=special), refund) == special


def test_it_proposes_unique_customer_display_names_in_spec_order() -> None:
    assert customer_display_names("Jane Doe", "jane@example.com", "cus_1") == [
        "Jane Doe",
        "Jane Doe (jane@example.com)",
        "Jane Doe (cus_1)",
    ]
    assert customer_display_names("", "", "cus_1") == ["cus_1"]
    assert customer_display_names("A: B\tC", "", None) == ["A B C"]
    long = customer_display_names("x" * 300, "", "cus_123")
    assert all(len(name) <= 100 for name in long)
    assert long[-1].endswith("(cus_123)")


def test_it_finds_no_problem_in_a_sound_mapping() -> None:
    assert mapping_problems(mappings()) == []


def test_it_flags_a_clearing_account_shared_or_reused() -> None:
    shared = mappings(
        clearing={"usd": CLEARING_USD, "eur": CLEARING_USD},
        payout_bank={"usd": CLEARING_USD},
    )
    assert mapping_problems(shared) == [
        "Clearing account 90 is used for EUR, USD",
        "The payout bank account Stripe Clearing – USD is a clearing account",
    ]
