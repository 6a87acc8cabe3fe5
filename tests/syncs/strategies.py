"""Hypothesis strategies for balance transactions of every category (and some unknown ones)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from syncs.ledger import CustomerInfo, FeeDetail, LedgerTxn, LineItem, PayoutInfo, PayoutStatus

KNOWN_CATEGORIES = (
    "charge",
    "refund",
    "refund_failure",
    "dispute",
    "dispute_reversal",
    "fee",
    "payout",
    "payout_reversal",
    "topup",
    "topup_reversal",
    "risk_reserved_funds",
    "connect_reserved_funds",
    "transfer",
    "transfer_reversal",
    "connect_collection_transfer",
    "platform_earning",
    "platform_earning_refund",
    "other_adjustment",
    "contribution",
    "tax",
    "network_cost",
    "charge_failure",
    "partial_capture_reversal",
    "issuing_transaction",
    "climate_order_purchase",
)
PAYOUT_CATEGORIES = ("payout", "payout_reversal")
# "gbp" has no clearing account in tests.syncs.ledger_data.mappings(): a needs-action case.
CURRENCIES = ("usd", "eur", "jpy", "kwd", "gbp")
ZONES = (UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"), ZoneInfo("Pacific/Kiritimati"))

# QBO amounts have at most 10 integer digits (docs/quickbooks-api.md §8.1): stay well inside.
amounts = st.integers(min_value=-(10**9), max_value=10**9)
small = st.integers(min_value=-(10**6), max_value=10**6)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
ids = st.from_regex(r"[A-Za-z0-9]{1,24}", fullmatch=True)

fee_details = st.lists(
    st.builds(
        FeeDetail,
        type=st.sampled_from(("stripe_fee", "application_fee", "tax", "withheld_tax")),
        amount=small,
        description=texts,
        application=st.none() | st.just("ca_1"),
    ),
    max_size=3,
).map(tuple)

line_items = st.lists(
    st.builds(
        LineItem,
        description=texts,
        amount=st.integers(min_value=-1000, max_value=10**6),
        quantity=st.integers(min_value=1, max_value=5),
        product_id=st.sampled_from((None, "prod_widget", "prod_other")),
    ),
    max_size=3,
).map(tuple)

# Mostly known categories, with the usual sign; sometimes anything at all.
known = st.sampled_from(KNOWN_CATEGORIES)
categories = st.one_of(known, known, known, st.from_regex(r"[a-z][a-z_]{0,24}", fullmatch=True))
USUAL_SIGN = {
    "charge": 1,
    "refund": -1,
    "refund_failure": 1,
    "dispute": -1,
    "dispute_reversal": 1,
    "fee": -1,
    "payout": -1,
    "payout_reversal": 1,
    "topup": 1,
    "topup_reversal": -1,
    "transfer": -1,
    "transfer_reversal": 1,
    "platform_earning": 1,
}

created = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=st.sampled_from(ZONES),
)


@st.composite
def ledger_txns(
    draw: st.DrawFn, txn_id: str | None = None, currencies: tuple[str, ...] = CURRENCIES
) -> LedgerTxn:
    details = draw(fee_details)
    category = draw(categories)
    amount = draw(amounts)
    if category in USUAL_SIGN and draw(st.integers(0, 3)):
        amount = USUAL_SIGN[category] * abs(amount)
    # Mostly consistent fee_details, sometimes not (Stripe data we must still tie out).
    fee = sum(d.amount for d in details) if draw(st.booleans()) or not details else draw(small)
    presented = draw(st.none() | st.tuples(amounts, st.sampled_from(CURRENCIES)))
    return LedgerTxn(
        id=txn_id or "txn_" + draw(ids),
        type=draw(st.sampled_from(("charge", "refund", "adjustment", "payout", "stripe_fee"))),
        reporting_category=category,
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency=draw(st.sampled_from(currencies)),
        created=draw(created),
        fee_details=details,
        source_id=draw(st.none() | ids.map(lambda s: "src_" + s)),
        description=draw(texts),
        customer=draw(st.none() | st.builds(CustomerInfo, st.none() | ids, texts, texts)),
        line_items=draw(line_items),
        presentment_amount=presented[0] if presented else None,
        presentment_currency=presented[1] if presented else None,
        exchange_rate=draw(st.none() | st.decimals(Decimal("0.001"), Decimal("1000"), places=6)),
        charge_id=draw(st.none() | ids.map(lambda s: "ch_" + s)),
        tax_amount=draw(st.sampled_from((0, 0, 1, 100)) | small),
    )


@st.composite
def payouts_for(draw: st.DrawFn, txn: LedgerTxn) -> PayoutInfo | None:
    if not draw(st.integers(0, 9)):
        return None
    return PayoutInfo(
        id=txn.source_id or "po_x",
        amount=abs(txn.amount),
        currency=txn.currency,
        status=draw(st.sampled_from(list(PayoutStatus))),
        automatic=draw(st.booleans()),
        arrival_date=draw(st.dates(date(2020, 1, 1), date(2031, 1, 1))),
        was_paid=draw(st.booleans()),
    )


@st.composite
def txn_with_payout(draw: st.DrawFn) -> tuple[LedgerTxn, PayoutInfo | None]:
    txn = draw(ledger_txns())
    if txn.reporting_category not in PAYOUT_CATEGORIES:
        return txn, None
    return txn, draw(payouts_for(txn))


@st.composite
def histories(
    draw: st.DrawFn, currencies: tuple[str, ...] = CURRENCIES, max_size: int = 12
) -> list[LedgerTxn]:
    """A list of balance transactions with distinct ids, as one Stripe account would have."""
    txn_ids = draw(st.lists(ids, min_size=1, max_size=max_size, unique=True))
    return [draw(ledger_txns("txn_" + txn_id, currencies)) for txn_id in txn_ids]
