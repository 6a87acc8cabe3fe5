"""Builders for planner tests: a mapped QBO company, balance transactions, payouts, and an
independent reading of a planned payload's effect on the clearing account.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from mappings.defaults import Mappings, Ref
from syncs.ledger import CustomerInfo, FeeDetail, LedgerTxn, LineItem, PayoutInfo, PayoutStatus
from syncs.planner import Plan, PlannedDocument, plan_txn
from tests.qbo_schema import assert_valid_qbo

CONNECTION = "conn_7"
NEW_YORK = ZoneInfo("America/New_York")

CLEARING_USD = Ref("90", "Stripe Clearing – USD")
CLEARING_EUR = Ref("91", "Stripe Clearing – EUR")
CLEARING_JPY = Ref("92", "Stripe Clearing – JPY")
CLEARING_KWD = Ref("93", "Stripe Clearing – KWD")
CHECKING = Ref("35", "Checking")
CHECKING_EUR = Ref("36", "Checking EUR")
SALES_INCOME = Ref("79", "Stripe Sales")
SALES_ITEM = Ref("21", "Stripe Sales")
REFUNDS = Ref("80", "Stripe Refunds")
FEES = Ref("77", "Stripe Fees")
APP_FEES = Ref("76", "Application Fees")
CHARGEBACKS = Ref("78", "Stripe Chargebacks")
ADJUSTMENTS = Ref("81", "Stripe Adjustments")
RESERVE = Ref("82", "Stripe Reserve")
SUSPENSE = Ref("83", "Stripe Suspense")
EQUITY = Ref("84", "Opening Balance Equity")
VENDOR = Ref("12", "Stripe")
GUEST = Ref("59", "Stripe Customer")
JANE = Ref("58", "Jane Doe")
WIDGET_ITEM = Ref("22", "Widget")
CONNECT_PAYOUTS = Ref("85", "Connected account payouts")
PLATFORM_INCOME = Ref("86", "Platform fees earned")

CLEARING_IDS = {
    r.value for r in (CLEARING_USD, CLEARING_EUR, CLEARING_JPY, CLEARING_KWD)
}  # every clearing account, for reading payloads


def mappings(**overrides: Any) -> Mappings:
    fields: dict[str, Any] = {
        "clearing": {
            "usd": CLEARING_USD,
            "eur": CLEARING_EUR,
            "jpy": CLEARING_JPY,
            "kwd": CLEARING_KWD,
        },
        "payout_bank": {"usd": CHECKING, "eur": CHECKING_EUR, "jpy": CHECKING, "kwd": CHECKING},
        "sales_income": SALES_INCOME,
        "sales_item": SALES_ITEM,
        "refunds": REFUNDS,
        "fees": FEES,
        "chargebacks": CHARGEBACKS,
        "adjustments": ADJUSTMENTS,
        "reserve": RESERVE,
        "suspense": SUSPENSE,
        "opening_balance_equity": EQUITY,
        "vendor": VENDOR,
        "fee_accounts": {"application_fee": APP_FEES},
        "product_items": {"prod_widget": WIDGET_ITEM},
        "category_accounts": {"transfer": CONNECT_PAYOUTS, "platform_earning": PLATFORM_INCOME},
        "guest_customer": GUEST,
    }
    fields.update(overrides)
    return Mappings(**fields)


def when(text: str) -> datetime:
    """An aware UTC datetime from "2026-01-15 03:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def txn(
    category: str,
    amount: int,
    fee: int = 0,
    *,
    id: str = "txn_1",
    type: str | None = None,
    currency: str = "usd",
    created: datetime | None = None,
    fee_details: tuple[FeeDetail, ...] | None = None,
    **extra: Any,
) -> LedgerTxn:
    if fee_details is None:
        fee_details = (FeeDetail("stripe_fee", fee, "Stripe processing fees"),) if fee else ()
    return LedgerTxn(
        id=id,
        type=type or category,
        reporting_category=category,
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency=currency,
        created=created or when("2026-01-15 15:00"),
        fee_details=fee_details,
        **extra,
    )


def jane() -> CustomerInfo:
    return CustomerInfo("cus_Jane", "Jane Doe", "jane@example.com")


def widget(amount: int, quantity: int = 1) -> LineItem:
    return LineItem("Widget", amount, quantity, "prod_widget")


def payout(
    amount: int,
    status: PayoutStatus = PayoutStatus.PAID,
    *,
    id: str = "po_1",
    currency: str = "usd",
    arrival: date = date(2026, 1, 17),
    was_paid: bool = False,
    **extra: Any,
) -> PayoutInfo:
    return PayoutInfo(
        id=id,
        amount=amount,
        currency=currency,
        status=status,
        automatic=True,
        arrival_date=arrival,
        was_paid=was_paid,
        **extra,
    )


def plan(t: LedgerTxn, **kwargs: Any) -> Plan:
    """Plan with the defaults above, and check every emitted payload against the XSD."""
    kwargs.setdefault("connection_id", CONNECTION)
    kwargs.setdefault("mappings", mappings())
    kwargs.setdefault("tz", NEW_YORK)
    result = plan_txn(t, **kwargs)
    for doc in result.documents:
        assert_valid_qbo(doc.entity, doc.payload)
    return result


def only(result: Plan) -> PlannedDocument:
    assert len(result.documents) == 1, result.documents
    return result.documents[0]


def ref(value: Mapping[str, Any]) -> str:
    return str(value["value"])


# ---- reading payloads back, independently of the planner's own bookkeeping -------------------


def line_amounts(doc: PlannedDocument) -> list[Decimal]:
    return [line["Amount"] for line in doc.payload.get("Line", [])]


def lines_total(doc: PlannedDocument) -> Decimal:
    """What QBO would compute as the document's total from its lines."""
    if doc.entity == "Transfer":
        return doc.payload["Amount"]
    if doc.entity == "JournalEntry":
        return sum(
            (
                line["Amount"]
                for line in doc.payload["Line"]
                if line["JournalEntryLineDetail"]["PostingType"] == "Debit"
            ),
            Decimal(0),
        )
    tax = doc.payload.get("TxnTaxDetail", {}).get("TotalTax", Decimal(0))
    return sum(line_amounts(doc), Decimal(0)) + tax


def journal_sides(doc: PlannedDocument) -> tuple[Decimal, Decimal]:
    debits = credits = Decimal(0)
    for line in doc.payload["Line"]:
        if line["JournalEntryLineDetail"]["PostingType"] == "Debit":
            debits += line["Amount"]
        else:
            credits += line["Amount"]
    return debits, credits


def clearing_effect(doc: PlannedDocument) -> Decimal:
    """The document's effect on any clearing account, read from the payload alone."""
    p = doc.payload
    if doc.entity == "SalesReceipt":
        return lines_total(doc) if ref(p["DepositToAccountRef"]) in CLEARING_IDS else Decimal(0)
    if doc.entity == "RefundReceipt":
        return -lines_total(doc) if ref(p["DepositToAccountRef"]) in CLEARING_IDS else Decimal(0)
    if doc.entity == "Deposit":
        return lines_total(doc) if ref(p["DepositToAccountRef"]) in CLEARING_IDS else Decimal(0)
    if doc.entity == "Purchase":
        return -lines_total(doc) if ref(p["AccountRef"]) in CLEARING_IDS else Decimal(0)
    if doc.entity == "Transfer":
        effect = Decimal(0)
        if ref(p["ToAccountRef"]) in CLEARING_IDS:
            effect += p["Amount"]
        if ref(p["FromAccountRef"]) in CLEARING_IDS:
            effect -= p["Amount"]
        return effect
    if doc.entity == "JournalEntry":
        effect = Decimal(0)
        for line in p["Line"]:
            detail = line["JournalEntryLineDetail"]
            if ref(detail["AccountRef"]) in CLEARING_IDS:
                sign = 1 if detail["PostingType"] == "Debit" else -1
                effect += sign * line["Amount"]
        return effect
    raise AssertionError(f"unexpected entity {doc.entity}")


def accounts_of(doc: PlannedDocument) -> list[str]:
    """The account (or item) each line posts to, by name, in line order."""
    names = []
    for line in doc.payload.get("Line", []):
        detail = line[line["DetailType"]]
        target = detail.get("AccountRef") or detail.get("ItemRef")
        names.append(target["name"])
    return names
