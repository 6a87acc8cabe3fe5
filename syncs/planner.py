"""Per-transaction mode (docs/accounting.md §3): one balance transaction → its QBO documents.

Pure and deterministic: no database, no clock, no network; the same inputs give the same
documents, keys, request ids, DocNumbers and JSON bytes. Every document states its signed effect
on the clearing account, and for every balance transaction

    sum(document.clearing_delta) + plan.unposted == txn.net

where `unposted` is non-zero only while nothing can be posted yet (a payout not yet paid, a
missing mapping) or for a payout that failed before it was paid, whose two balance
transactions cancel in Stripe and post nothing in QBO (§1.2). That is the tie-out invariant by
construction, and the property tests check it for arbitrary input.
"""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

from mappings import resolve
from mappings.defaults import Mappings, Ref, TaxMode
from mappings.resolve import MissingMapping
from syncs.ledger import LedgerTxn, PayoutInfo, PayoutStatus
from syncs.money import Money, to_decimal, total

DOC_NUMBER_MAX = 21  # docs/quickbooks-api.md §8.3
REQUEST_ID_MAX = 36  # 50 for a single write, 36 inside a batch (§4): fit both
PRIVATE_NOTE_MAX = 4000
DESCRIPTION_MAX = 4000


class Role(StrEnum):
    """A document's job within its balance transaction: part of the outbox key (§6)."""

    SALE = "sale"
    FEE = "fee"
    REFUND = "refund"
    REFUND_FEE = "refund_fee"
    REFUND_FAILURE = "refund_failure"
    DISPUTE = "dispute"
    DISPUTE_REVERSAL = "dispute_reversal"
    STRIPE_FEE = "stripe_fee"
    PAYOUT = "payout"
    PAYOUT_FEE = "payout_fee"
    PAYOUT_FAILURE = "payout_failure"
    TOPUP = "topup"
    RESERVE = "reserve"
    TRANSFER = "transfer"
    PLATFORM_EARNING = "platform_earning"
    ADJUSTMENT = "adjustment"
    SUSPENSE = "suspense"


# The DocNumber prefix per role, so a user reading QBO sees what a document is.
ROLE_CODES: dict[Role, str] = {
    Role.SALE: "S",
    Role.FEE: "F",
    Role.REFUND: "R",
    Role.REFUND_FEE: "RF",
    Role.REFUND_FAILURE: "RX",
    Role.DISPUTE: "D",
    Role.DISPUTE_REVERSAL: "DR",
    Role.STRIPE_FEE: "SF",
    Role.PAYOUT: "P",
    Role.PAYOUT_FEE: "PF",
    Role.PAYOUT_FAILURE: "PX",
    Role.TOPUP: "T",
    Role.RESERVE: "RV",
    Role.TRANSFER: "C",
    Role.PLATFORM_EARNING: "PE",
    Role.ADJUSTMENT: "A",
    Role.SUSPENSE: "X",
}


class PlanStatus(StrEnum):
    READY = "ready"  # documents (possibly none) can be posted now
    WAITING = "waiting"  # Stripe has not settled something yet (a payout not paid yet)
    NEEDS_ACTION = "needs_action"  # a mapping is missing: the user must act, nothing is posted


class ClosedPeriodPolicy(StrEnum):
    """What to do with a document dated on or before the QBO books closing date (§7)."""

    FIRST_OPEN_DATE = "first_open_date"  # post on the day after the closing date, with a note
    HOLD = "hold"  # post nothing until someone approves (then plan again with FIRST_OPEN_DATE)


@dataclass(frozen=True, slots=True)
class ClosedBooks:
    through: date  # QBO Preferences.AccountingInfoPrefs.BookCloseDate
    policy: ClosedPeriodPolicy = ClosedPeriodPolicy.FIRST_OPEN_DATE

    @property
    def first_open_date(self) -> date:
        return self.through + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PlanWarning:
    code: str  # stable: unknown_category, unexpected_sign, fee_details_mismatch, …
    message: str


@dataclass(frozen=True, slots=True)
class OutboxKey:
    """The unique key of one outbox row (§6): one document per (connection, txn, role)."""

    connection_id: str
    txn_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class PlannedDocument:
    key: OutboxKey
    generation: int  # bumped only when a posted document is voided and re-posted
    entity: str  # QBO entity: SalesReceipt, RefundReceipt, Purchase, Deposit, Transfer, …
    request_id: str  # deterministic from key + generation, ≤ 36 chars
    doc_number: str  # deterministic from key + generation, ≤ 21 chars
    txn_date: date
    payload: Mapping[str, Any]  # the exact QBO create body; treat as read-only
    clearing_delta: Money  # signed effect on the clearing account of txn.currency
    total: Decimal  # the document's total as QBO computes it from the lines

    def json(self) -> str:
        return canonical_json(self.payload)


@dataclass(frozen=True, slots=True)
class Plan:
    txn_id: str
    currency: str
    status: PlanStatus
    documents: tuple[PlannedDocument, ...]
    unposted: Money  # the part of net no document moves (see the module docstring)
    warnings: tuple[PlanWarning, ...] = ()
    reason: str = ""  # why WAITING / NEEDS_ACTION, or why nothing is posted

    @property
    def clearing_delta(self) -> Money:
        return total((d.clearing_delta for d in self.documents), self.currency)


# ---- identities ------------------------------------------------------------------------------


def _digest(purpose: str, key: OutboxKey, generation: int) -> bytes:
    # \x1f cannot occur in Stripe ids or roles, so distinct keys never share a hash input.
    material = "\x1f".join((purpose, key.connection_id, key.txn_id, str(key.role), str(generation)))
    return hashlib.sha256(material.encode()).digest()


def request_id(key: OutboxKey, generation: int) -> str:
    """32 hex characters: fits the batch limit (36) and the single-write limit (50)."""
    return _digest("requestid", key, generation).hex()[:32]


def doc_number(key: OutboxKey, generation: int) -> str:
    """Role code + "-" + 16 base32 characters (80 bits): at most 19 characters."""
    code = ROLE_CODES[key.role]
    tail = base64.b32encode(_digest("docnumber", key, generation)).decode()[:16]
    return f"{code}-{tail}"


# ---- canonical JSON --------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """JSON with Decimals written as numbers (never via float) and insertion-ordered keys."""
    if isinstance(value, Mapping):
        items = ",".join(f"{canonical_json(str(k))}:{canonical_json(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    raise TypeError(f"not JSON-serialisable here: {type(value).__name__}")


# ---- internal drafts -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Leg:
    """One line of a cash document or journal entry: `delta` is what it adds to clearing."""

    account: Ref
    delta: Money
    description: str


@dataclass(frozen=True, slots=True)
class _Draft:
    role: Role
    entity: str
    body: dict[str, Any]
    delta: Money
    total: Decimal
    txn_date: date | None = None  # None: the balance transaction's date


@dataclass
class _Ctx:
    txn: LedgerTxn
    connection_id: str
    mappings: Mappings
    tz: tzinfo
    customer: Ref | None
    payout: PayoutInfo | None
    clearing: Ref
    closed: ClosedBooks | None = None
    warnings: list[PlanWarning] = field(default_factory=list)

    def money(self, amount: int) -> Money:
        return Money(amount, self.txn.currency)

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(PlanWarning(code, message))


class _Wait(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _NothingToPost(Exception):
    """The row is settled and moves nothing in QBO (a payout that failed before it was paid)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---- the entry point -------------------------------------------------------------------------


def plan_txn(
    txn: LedgerTxn,
    *,
    connection_id: str,
    mappings: Mappings,
    tz: tzinfo,
    customer: Ref | None = None,
    payout: PayoutInfo | None = None,
    generations: Mapping[Role, int] | None = None,
    closed: ClosedBooks | None = None,
) -> Plan:
    """The QBO documents for one balance transaction, per docs/accounting.md §3.

    `customer` is the already matched QBO customer (§5; None → the guest customer, if mapped);
    `payout` is the payout a payout-category row belongs to; `tz` is the tenant's time zone;
    `generations` the outbox generation per role (default 1); `closed` the books closing date.
    """
    try:
        clearing = resolve.clearing_account(mappings, txn.currency)
    except MissingMapping as exc:
        return _not_posted(txn, PlanStatus.NEEDS_ACTION, exc.action)
    ctx = _Ctx(
        txn,
        connection_id,
        mappings,
        tz,
        customer or resolve.guest_customer(mappings, txn.currency),
        payout,
        clearing,
        closed,
    )
    try:
        drafts = _drafts(ctx)
    except MissingMapping as exc:
        return _not_posted(txn, PlanStatus.NEEDS_ACTION, exc.action, ctx.warnings)
    except _Wait as exc:
        return _not_posted(txn, PlanStatus.WAITING, exc.reason, ctx.warnings)
    except _NothingToPost as exc:
        return _not_posted(txn, PlanStatus.READY, exc.reason, ctx.warnings)
    held = _held(ctx, drafts)
    if held:
        return _not_posted(txn, PlanStatus.NEEDS_ACTION, held, ctx.warnings)
    documents = tuple(
        _finish(ctx, draft, (generations or {}).get(draft.role, 1)) for draft in drafts
    )
    moved = total((d.clearing_delta for d in documents), txn.currency)
    return Plan(
        txn_id=txn.id,
        currency=txn.currency,
        status=PlanStatus.READY,
        documents=documents,
        unposted=txn.net_money - moved,
        warnings=tuple(ctx.warnings),
        reason="" if documents else "nothing moved: zero amounts",
    )


def _held(ctx: _Ctx, drafts: Sequence[_Draft]) -> str:
    closed = ctx.closed
    if closed is None or closed.policy != ClosedPeriodPolicy.HOLD:
        return ""
    dates = sorted(_stripe_date(ctx, draft) for draft in drafts)
    if not dates or dates[0] > closed.through:
        return ""
    return (
        f"{ctx.txn.id} is dated {dates[0].isoformat()}, in the closed period (books closed"
        f" through {closed.through.isoformat()}): approve posting it on"
        f" {closed.first_open_date.isoformat()}"
    )


def _stripe_date(ctx: _Ctx, draft: _Draft) -> date:
    return draft.txn_date or local_date(ctx.txn, ctx.tz)


def _not_posted(
    txn: LedgerTxn, status: PlanStatus, reason: str, warnings: Sequence[PlanWarning] = ()
) -> Plan:
    return Plan(txn.id, txn.currency, status, (), txn.net_money, tuple(warnings), reason)


# ---- classification --------------------------------------------------------------------------

TRANSFER_CATEGORIES = frozenset({"transfer", "transfer_reversal", "connect_collection_transfer"})
PLATFORM_CATEGORIES = frozenset({"platform_earning", "platform_earning_refund"})
RESERVE_CATEGORIES = frozenset({"risk_reserved_funds", "connect_reserved_funds"})
TOPUP_CATEGORIES = frozenset({"topup", "topup_reversal"})
# Known categories that are "anything else" in §3: a journal entry against adjustments.
ADJUSTMENT_CATEGORIES = frozenset(
    {
        "other_adjustment",
        "contribution",
        "tax",
        "network_cost",
        "unreconciled_customer_funds",
        "advance",
        "advance_funding",
        "anticipation_repayment",
        "charge_failure",
        "partial_capture_reversal",
    }
)
ADJUSTMENT_PREFIXES = ("climate_order_", "financing_", "issuing_")


def is_known_category(category: str) -> bool:
    return (
        category in _ROWS
        or category in ADJUSTMENT_CATEGORIES
        or category.startswith(ADJUSTMENT_PREFIXES)
    )


def _drafts(ctx: _Ctx) -> list[_Draft]:
    category = ctx.txn.reporting_category
    row = _ROWS.get(category)
    if row is not None:
        return row(ctx)
    if category in ADJUSTMENT_CATEGORIES or category.startswith(ADJUSTMENT_PREFIXES):
        return _adjustment(ctx)
    ctx.warn(
        "unknown_category",
        f"{ctx.txn.id}: unknown reporting_category {category!r} (type {ctx.txn.type!r})"
        " posted to Stripe Suspense",
    )
    return _to_suspense(ctx)


# ---- rows of §3 ------------------------------------------------------------------------------


def _charge(ctx: _Ctx) -> list[_Draft]:
    txn = ctx.txn
    if txn.amount < 0:
        return _unexpected_sign(ctx)
    drafts = []
    if txn.amount > 0:
        drafts.append(_sales_receipt(ctx))
    drafts += _cash(ctx, Role.FEE, _fee_legs(ctx))
    return drafts


def _refund(ctx: _Ctx) -> list[_Draft]:
    txn = ctx.txn
    if txn.amount > 0:
        return _unexpected_sign(ctx)
    drafts = []
    if txn.amount < 0:
        drafts.append(_refund_receipt(ctx))
    # Stripe no longer returns fees on refunds, but older accounts still get a negative fee.
    drafts += _cash(ctx, Role.REFUND_FEE, _fee_legs(ctx))
    return drafts


def _refund_failure(ctx: _Ctx) -> list[_Draft]:
    legs = [_Leg(ctx.mappings.refunds, ctx.money(ctx.txn.amount), _describe(ctx, "Refund failed"))]
    return _cash(ctx, Role.REFUND_FAILURE, legs + _fee_legs(ctx))


def _dispute(ctx: _Ctx) -> list[_Draft]:
    what = "Dispute" if ctx.txn.reporting_category == "dispute" else "Dispute won"
    role = Role.DISPUTE if ctx.txn.reporting_category == "dispute" else Role.DISPUTE_REVERSAL
    account = resolve.category_account(ctx.mappings, "dispute", ctx.mappings.chargebacks)
    legs = [_Leg(account, ctx.money(ctx.txn.amount), _describe(ctx, what))]
    return _cash(ctx, role, legs + _fee_legs(ctx))


def _standalone_fee(ctx: _Ctx) -> list[_Draft]:
    txn = ctx.txn
    account = resolve.fee_account(ctx.mappings, txn.type)
    legs = [_Leg(account, ctx.money(txn.amount), _describe(ctx, "Stripe fee"))]
    return _cash(ctx, Role.STRIPE_FEE, legs + _fee_legs(ctx))


def _payout(ctx: _Ctx) -> list[_Draft]:
    txn, payout = ctx.txn, _payout_of(ctx)
    if txn.amount > 0:
        return _unexpected_sign(ctx)
    if not payout.transferred:
        if payout.status in (PayoutStatus.FAILED, PayoutStatus.CANCELED):
            raise _NothingToPost(
                f"payout {payout.id} {payout.status} before it was paid: nothing was transferred"
            )
        raise _Wait(f"payout {payout.id} is {payout.status}: it posts when paid")
    bank = resolve.payout_bank(ctx.mappings, txn.currency)
    drafts = _transfer(ctx, Role.PAYOUT, ctx.money(txn.amount), bank, payout.arrival_date)
    # Instant payouts carry their fee on the payout's own balance transaction.
    return drafts + _cash(ctx, Role.PAYOUT_FEE, _fee_legs(ctx))


def _payout_reversal(ctx: _Ctx) -> list[_Draft]:
    txn, payout = ctx.txn, _payout_of(ctx)
    if txn.amount < 0:
        return _unexpected_sign(ctx)
    if not payout.transferred:
        raise _NothingToPost(
            f"payout {payout.id} failed before it was paid: its payout and failure cancel out"
        )
    bank = resolve.payout_bank(ctx.mappings, txn.currency)
    drafts = _transfer(ctx, Role.PAYOUT_FAILURE, ctx.money(txn.amount), bank)
    return drafts + _cash(ctx, Role.PAYOUT_FEE, _fee_legs(ctx))


def _payout_of(ctx: _Ctx) -> PayoutInfo:
    payout = ctx.payout
    if payout is None:
        raise _Wait(f"{ctx.txn.id}: its payout ({ctx.txn.source_id}) has not been fetched yet")
    if payout.currency != ctx.txn.currency:
        raise ValueError(
            f"{ctx.txn.id} is in {ctx.txn.currency}, payout {payout.id} in {payout.currency}"
        )
    return payout


def _topup(ctx: _Ctx) -> list[_Draft]:
    bank = resolve.topup_bank(ctx.mappings, ctx.txn.currency)
    drafts = _transfer(ctx, Role.TOPUP, ctx.money(ctx.txn.amount), bank)
    return drafts + _cash(ctx, Role.FEE, _fee_legs(ctx))


def _reserve(ctx: _Ctx) -> list[_Draft]:
    reserve = resolve.category_account(
        ctx.mappings, ctx.txn.reporting_category, ctx.mappings.reserve
    )
    drafts = _transfer(ctx, Role.RESERVE, ctx.money(ctx.txn.amount), reserve)
    return drafts + _cash(ctx, Role.FEE, _fee_legs(ctx))


def _connect(ctx: _Ctx) -> list[_Draft]:
    category = ctx.txn.reporting_category
    if category in PLATFORM_CATEGORIES:
        role, group, what = Role.PLATFORM_EARNING, "platform_earning", "Platform earning"
    else:
        role, group, what = Role.TRANSFER, "transfer", "Connect transfer"
    account = ctx.mappings.category_accounts.get(category) or ctx.mappings.category_accounts.get(
        group
    )
    if account is None:
        raise MissingMapping(
            f"Map an account for Stripe Connect {category} rows (Settings → Accounts)"
        )
    legs = [_Leg(account, ctx.money(ctx.txn.amount), _describe(ctx, what))]
    return _cash(ctx, role, legs + _fee_legs(ctx))


def _adjustment(ctx: _Ctx) -> list[_Draft]:
    txn = ctx.txn
    account = resolve.category_account(
        ctx.mappings, txn.reporting_category, ctx.mappings.adjustments
    )
    legs = [_Leg(account, ctx.money(txn.amount), _describe(ctx, "Stripe adjustment"))]
    return _journal(ctx, Role.ADJUSTMENT, legs + _fee_legs(ctx))


def _to_suspense(ctx: _Ctx) -> list[_Draft]:
    legs = [_Leg(ctx.mappings.suspense, ctx.txn.net_money, _describe(ctx, "Unclassified"))]
    return _journal(ctx, Role.SUSPENSE, legs)


def _unexpected_sign(ctx: _Ctx) -> list[_Draft]:
    txn = ctx.txn
    ctx.warn(
        "unexpected_sign",
        f"{txn.id}: {txn.reporting_category} with amount {txn.amount} has an unexpected sign;"
        " posted to Stripe Suspense for review",
    )
    return _to_suspense(ctx)


_ROWS: dict[str, Callable[[_Ctx], list[_Draft]]] = {
    "charge": _charge,
    "refund": _refund,
    "refund_failure": _refund_failure,
    "dispute": _dispute,
    "dispute_reversal": _dispute,
    "fee": _standalone_fee,
    "payout": _payout,
    "payout_reversal": _payout_reversal,
    "payout_failure": _payout_reversal,
    **dict.fromkeys(TOPUP_CATEGORIES, _topup),
    **dict.fromkeys(RESERVE_CATEGORIES, _reserve),
    **dict.fromkeys(TRANSFER_CATEGORIES | PLATFORM_CATEGORIES, _connect),
}


# ---- legs ------------------------------------------------------------------------------------


def _fee_legs(ctx: _Ctx) -> list[_Leg]:
    """One leg per `fee_details` entry (each fee type to its account); fees leave clearing."""
    txn = ctx.txn
    legs = [
        _Leg(
            resolve.fee_account(ctx.mappings, detail.type),
            ctx.money(-detail.amount),
            clean_text(detail.description, DESCRIPTION_MAX) or detail.type,
        )
        for detail in txn.fee_details
        if detail.amount != 0
    ]
    itemised = sum(detail.amount for detail in txn.fee_details)
    if itemised != txn.fee:
        if txn.fee_details:
            ctx.warn(
                "fee_details_mismatch",
                f"{txn.id}: fee_details add up to {itemised}, fee is {txn.fee};"
                " the difference is posted to Stripe Fees",
            )
        legs.append(_Leg(ctx.mappings.fees, ctx.money(itemised - txn.fee), "Stripe fee"))
    return legs


def _describe(ctx: _Ctx, what: str) -> str:
    txn = ctx.txn
    text = txn.description or what
    if txn.source_id:
        text = f"{text} ({txn.source_id})"
    return clean_text(text, DESCRIPTION_MAX)


def clean_text(text: str, limit: int) -> str:
    """Stripe text made safe for QBO: no control characters (XML cannot carry most of them),
    single spaces, and at most `limit` characters."""
    printable = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text)
    return " ".join(printable.split())[:limit]


# ---- document builders -----------------------------------------------------------------------


def _sales_receipt(ctx: _Ctx) -> _Draft:
    tax = _separate_tax(ctx)
    taxed = "TAX" if tax.amount else None
    lines = [
        _sales_line(item, amount, description, taxed)
        for item, amount, description in _sale_lines(ctx, ctx.money(ctx.txn.amount) - tax)
    ]
    amount = ctx.money(ctx.txn.amount)
    body: dict[str, Any] = {}
    if ctx.customer is not None:
        body["CustomerRef"] = ctx.customer.qbo()
    body["DepositToAccountRef"] = ctx.clearing.qbo()
    body["Line"] = lines
    if tax.amount:
        body["TxnTaxDetail"] = {"TotalTax": to_decimal(tax)}
    body["TotalAmt"] = to_decimal(amount)
    return _Draft(Role.SALE, "SalesReceipt", body, amount, to_decimal(amount))


def _separate_tax(ctx: _Ctx) -> Money:
    """The sales tax to post apart from income under the tenant's tax mode (§5)."""
    txn, mode = ctx.txn, ctx.mappings.tax_mode
    if txn.tax_amount == 0:
        return ctx.money(0)
    if not 0 < txn.tax_amount < txn.amount:
        ctx.warn("tax_ignored", f"{txn.id}: tax {txn.tax_amount} does not fit the amount")
        return ctx.money(0)
    if mode == TaxMode.US_TOTAL_TAX:
        return ctx.money(txn.tax_amount)
    if mode == TaxMode.TAX_CODES:
        raise MissingMapping(
            f"Map Stripe tax rates to QBO tax codes to post {txn.id}, which collected tax"
        )
    ctx.warn(
        "tax_in_income",
        f"{txn.id}: sales tax {txn.tax_amount} is included in income; choose a tax setting",
    )
    return ctx.money(0)


def _sale_lines(ctx: _Ctx, target: Money) -> list[tuple[Ref, Money, str]]:
    """Invoice lines when they are in the settlement currency and add up to `target` (the
    amount before separately posted tax); else one line."""
    txn = ctx.txn
    items = txn.line_items
    same_currency = txn.presentment_currency in (None, txn.currency)
    if (
        items
        and same_currency
        and all(item.amount >= 0 for item in items)
        and sum(item.amount for item in items) == target.amount
    ):
        return [
            (
                resolve.item_for(ctx.mappings, item.product_id),
                ctx.money(item.amount),
                clean_text(item.description, DESCRIPTION_MAX) or _describe(ctx, "Stripe sale"),
            )
            for item in items
            if item.amount > 0
        ]
    if items and same_currency:
        ctx.warn(
            "line_items_mismatch",
            f"{txn.id}: the invoice lines do not add up to {target.amount} (charge"
            f" {txn.amount}); posted as one line",
        )
    item = resolve.single_item(ctx.mappings, items)
    return [(item, target, _describe(ctx, "Stripe sale"))]


def _sales_line(
    item: Ref, amount: Money, description: str, tax_code: str | None = None
) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": item.qbo()}
    if tax_code is not None:
        detail["TaxCodeRef"] = {"value": tax_code}
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": to_decimal(amount),
        "Description": description,
        "SalesItemLineDetail": detail,
    }


def _refund_receipt(ctx: _Ctx) -> _Draft:
    refunded = ctx.money(-ctx.txn.amount)
    item = resolve.refund_item(ctx.mappings, ctx.txn)
    description = _describe(ctx, "Refund")
    if ctx.txn.charge_id:
        description = f"{description} of {ctx.txn.charge_id}"
    body: dict[str, Any] = {}
    if ctx.customer is not None:
        body["CustomerRef"] = ctx.customer.qbo()
    # For a RefundReceipt this is the account the refund is paid *from* (§8.1): clearing.
    body["DepositToAccountRef"] = ctx.clearing.qbo()
    body["Line"] = [_sales_line(item, refunded, description)]
    body["TotalAmt"] = to_decimal(refunded)
    return _Draft(Role.REFUND, "RefundReceipt", body, -refunded, to_decimal(refunded))


def _cash(ctx: _Ctx, role: Role, legs: list[_Leg]) -> list[_Draft]:
    """A Purchase from clearing when money leaves it, a Deposit into it when money arrives.

    Either way every line amount is the leg's effect seen from the document's own side, so the
    lines add up to the total and the total (signed) is the clearing delta.
    """
    legs = [leg for leg in legs if not leg.delta.is_zero()]
    if not legs:
        return []
    delta = total((leg.delta for leg in legs), ctx.txn.currency)
    if delta.amount > 0:
        lines = [_deposit_line(leg.account, leg.delta, leg.description) for leg in legs]
        body: dict[str, Any] = {"DepositToAccountRef": ctx.clearing.qbo(), "Line": lines}
        body["TotalAmt"] = to_decimal(delta)
        return [_Draft(role, "Deposit", body, delta, to_decimal(delta))]
    lines = [_expense_line(leg.account, -leg.delta, leg.description) for leg in legs]
    body = {
        "PaymentType": "Cash",
        "AccountRef": ctx.clearing.qbo(),
        "EntityRef": resolve.vendor(ctx.mappings, ctx.txn.currency).qbo("Vendor"),
        "Line": lines,
        "TotalAmt": to_decimal(-delta),
    }
    return [_Draft(role, "Purchase", body, delta, to_decimal(-delta))]


def _deposit_line(account: Ref, amount: Money, description: str) -> dict[str, Any]:
    return {
        "DetailType": "DepositLineDetail",
        "Amount": to_decimal(amount),
        "Description": description,
        "DepositLineDetail": {"AccountRef": account.qbo()},
    }


def _expense_line(account: Ref, amount: Money, description: str) -> dict[str, Any]:
    return {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": to_decimal(amount),
        "Description": description,
        "AccountBasedExpenseLineDetail": {"AccountRef": account.qbo()},
    }


def _transfer(
    ctx: _Ctx, role: Role, delta: Money, other: Ref, txn_date: date | None = None
) -> list[_Draft]:
    """A Transfer between clearing and another balance-sheet account; `delta` > 0 into clearing."""
    if delta.is_zero():
        return []
    source, target = (other, ctx.clearing) if delta.amount > 0 else (ctx.clearing, other)
    amount = to_decimal(abs(delta))
    body = {"FromAccountRef": source.qbo(), "ToAccountRef": target.qbo(), "Amount": amount}
    return [_Draft(role, "Transfer", body, delta, amount, txn_date)]


def _journal(ctx: _Ctx, role: Role, legs: list[_Leg]) -> list[_Draft]:
    """Clearing ↔ counter accounts; each leg's delta is credited to its account (debited
    when negative) and the net is debited to clearing, so debits equal credits by construction.
    """
    legs = [leg for leg in legs if not leg.delta.is_zero()]
    if not legs:
        return []
    delta = total((leg.delta for leg in legs), ctx.txn.currency)
    lines = []
    if not delta.is_zero():
        lines.append(_journal_line(ctx.clearing, delta, _describe(ctx, "Stripe balance")))
    lines += [_journal_line(leg.account, -leg.delta, leg.description) for leg in legs]
    body = {"Line": lines}
    debits = sum(
        (
            line["Amount"]
            for line in lines
            if line["JournalEntryLineDetail"]["PostingType"] == "Debit"
        ),
        Decimal(0),
    )
    return [_Draft(role, "JournalEntry", body, delta, debits)]


def _journal_line(account: Ref, debit: Money, description: str) -> dict[str, Any]:
    """A line debiting `debit` (crediting its absolute value when negative)."""
    posting = "Debit" if debit.amount > 0 else "Credit"
    return {
        "DetailType": "JournalEntryLineDetail",
        "Amount": to_decimal(abs(debit)),
        "Description": description,
        "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": account.qbo()},
    }


# ---- common fields ---------------------------------------------------------------------------


def _finish(ctx: _Ctx, draft: _Draft, generation: int) -> PlannedDocument:
    key = OutboxKey(ctx.connection_id, ctx.txn.id, draft.role)
    number = doc_number(key, generation)
    txn_date = _stripe_date(ctx, draft)
    moved = ""
    if ctx.closed is not None and txn_date <= ctx.closed.through:
        moved = (
            f"dated {txn_date.isoformat()} in Stripe; books closed through"
            f" {ctx.closed.through.isoformat()}, so posted on the first open date"
        )
        ctx.warn("closed_period", f"{ctx.txn.id} ({draft.role}): {moved}")
        txn_date = ctx.closed.first_open_date
    payload: dict[str, Any] = {"TxnDate": txn_date.isoformat(), "DocNumber": number}
    if ctx.txn.currency != ctx.mappings.home_currency:
        payload["CurrencyRef"] = {"value": ctx.txn.currency.upper()}
    payload["PrivateNote"] = private_note(ctx.txn, ctx.payout, number, ctx.tz, moved)
    payload.update(draft.body)
    return PlannedDocument(
        key=key,
        generation=generation,
        entity=draft.entity,
        request_id=request_id(key, generation),
        doc_number=number,
        txn_date=txn_date,
        payload=payload,
        clearing_delta=draft.delta,
        total=draft.total,
    )


def local_date(txn: LedgerTxn, tz: tzinfo) -> date:
    """The balance transaction's `created` as a calendar date in the tenant's time zone (§3)."""
    return txn.created.astimezone(tz).date()


def private_note(
    txn: LedgerTxn, payout: PayoutInfo | None, number: str, tz: tzinfo, extra: str = ""
) -> str:
    """The Stripe ids and facts an auditor needs to find the row in Stripe (§1.5)."""
    parts = [f"Stripe {txn.id}", f"{txn.reporting_category}/{txn.type}"]
    if txn.source_id:
        parts.append(f"source {txn.source_id}")
    if txn.charge_id and txn.charge_id != txn.source_id:
        parts.append(f"charge {txn.charge_id}")
    if txn.invoice_id:
        parts.append(f"invoice {txn.invoice_id}")
    if payout is not None:
        parts.append(f"payout {payout.id} arriving {payout.arrival_date.isoformat()}")
    if txn.customer is not None and txn.customer.stripe_id:
        parts.append(f"customer {txn.customer.stripe_id}")
    presented = txn.presentment
    if presented is not None and presented.currency != txn.currency:
        rate = f" at {format(txn.exchange_rate, 'f')}" if txn.exchange_rate is not None else ""
        parts.append(f"presented {presented}{rate}, settled {txn.gross}")
    utc_day = txn.created.astimezone(UTC).date()
    if utc_day != local_date(txn, tz):
        parts.append(f"Stripe (UTC) date {utc_day.isoformat()}")
    if extra:
        parts.append(extra)
    parts.append(f"tieout:{number}")
    return clean_text(" | ".join(parts), PRIVATE_NOTE_MAX)


# ---- many transactions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Batch:
    plans: tuple[Plan, ...]

    @property
    def documents(self) -> tuple[PlannedDocument, ...]:
        return tuple(doc for plan in self.plans for doc in plan.documents)

    @property
    def warnings(self) -> tuple[PlanWarning, ...]:
        return tuple(w for plan in self.plans for w in plan.warnings)

    def by_status(self, status: PlanStatus) -> tuple[Plan, ...]:
        return tuple(plan for plan in self.plans if plan.status == status)

    def clearing_balances(self) -> dict[str, Money]:
        return expected_clearing_balance(self.documents)


def plan_many(
    txns: Iterable[LedgerTxn],
    *,
    connection_id: str,
    mappings: Mappings,
    tz: tzinfo,
    payouts: Mapping[str, PayoutInfo] | None = None,
    customer_for: Callable[[LedgerTxn], Ref | None] | None = None,
    generations: Mapping[tuple[str, Role], int] | None = None,
    closed: ClosedBooks | None = None,
) -> Batch:
    """Plan every transaction, in (created, id) order so input order never changes the output.

    `payouts` is keyed by payout id and looked up through each row's `source_id`;
    `customer_for` returns a row's matched QBO customer (default: the guest customer).
    """
    plans = []
    for txn in sorted(txns, key=lambda t: (t.created, t.id)):
        payout = (payouts or {}).get(txn.source_id or "")
        own = {role: gen for (txn_id, role), gen in (generations or {}).items() if txn_id == txn.id}
        plans.append(
            plan_txn(
                txn,
                connection_id=connection_id,
                mappings=mappings,
                tz=tz,
                customer=customer_for(txn) if customer_for else None,
                payout=payout,
                generations=own,
                closed=closed,
            )
        )
    return Batch(tuple(plans))


def expected_clearing_balance(
    documents: Iterable[PlannedDocument], opening: Mapping[str, Money] | None = None
) -> dict[str, Money]:
    """What each currency's clearing account should hold once `documents` are posted."""
    balances = dict(opening or {})
    for doc in documents:
        currency = doc.clearing_delta.currency
        balances[currency] = balances.get(currency, Money.zero(currency)) + doc.clearing_delta
    return dict(sorted(balances.items()))
