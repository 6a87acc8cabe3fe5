"""Money movements. Every one creates a balance transaction (the ledger), updates its source
object, and emits the events Stripe emits. Time-driven transitions (funds becoming available,
payout schedules and arrivals, failed refunds, dispute decisions) run from `run_clock`.

Balance invariant kept by construction: for each (account, mode, currency), available + pending
equals the sum of all balance-transaction nets; an automatic payout's amount equals the sum of
the nets of the transactions it swept.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from emulators.stripe import cards, fees, shapes, webhooks
from emulators.stripe.errors import StripeError, card_declined, invalid
from emulators.stripe.store import DAY, Store, ledger_key, next_midnight, split_ledger_key

DISPUTE_DECISION_DELAY = 3600  # evidence submitted → won/lost, emulator seconds
DISPUTE_RESPONSE_WINDOW = 7 * DAY
REFUND_FAILURE_DELAY = 3600  # pm_card_refundFail: the refund fails this long after creation
PAYOUT_IN_TRANSIT_DELAY = 3600


@dataclass
class Book:
    """One (account, mode) ledger, plus the request that is acting on it."""

    store: Store
    account: str
    livemode: bool
    request_id: str | None = None
    idempotency_key: str | None = None

    @property
    def lk(self) -> str:
        return ledger_key(self.account, self.livemode)

    @property
    def acct(self) -> dict[str, Any]:
        account = self.store.account(self.account)
        assert account is not None
        return account

    @property
    def pricing(self) -> fees.Pricing:
        return self.store.pricing

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        return self.store.put(self.lk, obj)

    def get(self, object_id: str | None) -> dict[str, Any] | None:
        return self.store.get(self.lk, object_id) if object_id else None

    def emit(self, type_: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        is_platform = self.acct.get("_platform") is None
        request = {"id": self.request_id, "idempotency_key": self.idempotency_key}
        # A deep copy: the live object keeps changing, the event must not.
        snapshot = copy.deepcopy(webhooks.public(obj))
        event = shapes.event(
            self.store,
            self.livemode,
            type_,
            snapshot,
            None if is_platform else self.account,
            previous,
            request,
        )
        self.put(event)
        webhooks.enqueue(self.store, event, self.account)


def book_for(store: Store, lk: str) -> Book:
    account, livemode = split_ledger_key(lk)
    return Book(store, account, livemode)


# --- balance transactions ------------------------------------------------------------------


def add_bt(
    book: Book,
    *,
    amount: int,
    currency: str,
    type_: str,
    category: str,
    source: str | None,
    description: str | None,
    fee_details: list[dict[str, Any]] | None = None,
    available_on: int | None = None,
    exchange_rate: Decimal | None = None,
) -> dict[str, Any]:
    bt = shapes.balance_transaction(
        book.store,
        amount=amount,
        currency=currency,
        type_=type_,
        reporting_category=category,
        source=source,
        description=description,
        fee_details=fee_details or [],
        available_on=book.store.now if available_on is None else available_on,
        exchange_rate=None if exchange_rate is None else float(exchange_rate),
    )
    return book.put(bt)


def settlement(book: Book, currency: str) -> tuple[str, Decimal | None]:
    """The currency a charge in `currency` settles in, and the exchange rate when converted."""
    if currency in book.acct["_settlement_currencies"]:
        return currency, None
    target = book.acct["default_currency"]
    return target, fees.exchange_rate(currency, target)


def settle(amount: int, currency: str, target: str, rate: Decimal | None) -> int:
    return amount if rate is None else fees.convert(amount, currency, target, rate)


def availability(book: Book, card: cards.TestCard | None = None) -> int:
    if card is not None and card.bypass_pending:
        return book.store.now
    delay = book.acct["settings"]["payouts"]["schedule"]["delay_days"]
    return next_midnight(book.store.now + (delay - 1) * DAY)


def balance(book: Book) -> dict[str, Any]:
    available: dict[str, int] = {}
    pending: dict[str, int] = {}
    for bt in book.store.objects(book.lk, "balance_transaction"):
        target = available if bt["status"] == "available" else pending
        target[bt["currency"]] = target.get(bt["currency"], 0) + bt["net"]
    if not available and not pending:
        available[book.acct["default_currency"]] = 0
    return shapes.balance(book.livemode, available, pending)


def available_amount(book: Book, currency: str) -> int:
    return sum(
        bt["net"]
        for bt in book.store.objects(book.lk, "balance_transaction")
        if bt["status"] == "available" and bt["currency"] == currency
    )


# --- payment methods and charges -----------------------------------------------------------


def resolve_card(book: Book, reference: str, customer: str | None = None) -> dict[str, Any]:
    """A PaymentMethod object for `pm_card_*`, `tok_*` or an existing `pm_…` id."""
    test_id = cards.TOKENS.get(reference, reference)
    if test_id in cards.CARDS:
        pm = shapes.payment_method(
            book.store, book.livemode, test_id, cards.CARDS[test_id], customer
        )
        return book.put(pm)
    existing = book.get(reference)
    if existing is None or existing.get("object") != "payment_method":
        raise StripeError(
            404,
            f"No such PaymentMethod: '{reference}'",
            param="payment_method",
            code="resource_missing",
        )
    return existing


def card_of(pm: dict[str, Any]) -> cards.TestCard:
    return cards.CARDS[pm["_test_id"]]


def charge_card(
    book: Book,
    *,
    amount: int,
    currency: str,
    pm: dict[str, Any],
    customer: str | None,
    payment_intent: dict[str, Any] | None,
    description: str | None,
    metadata: dict[str, str],
) -> dict[str, Any]:
    """Create the charge; on a decline the charge is failed and a card error is raised."""
    card = card_of(pm)
    charge = shapes.charge(
        book.store,
        book.livemode,
        amount=amount,
        currency=currency,
        card=card,
        payment_method_id=pm["id"],
        customer_id=customer,
        payment_intent_id=payment_intent["id"] if payment_intent else None,
        description=description,
        metadata=metadata,
    )
    book.put(charge)
    if card.decline_code:
        _decline(book, charge, payment_intent, card.decline_code)
    _capture(book, charge, card)
    if card.dispute:
        open_dispute(book, charge, inquiry=card.dispute == "inquiry")
    return charge


def _decline(book: Book, charge: dict[str, Any], pi: dict[str, Any] | None, code: str) -> None:
    charge.update(
        {
            "status": "failed",
            "failure_code": "card_declined",
            "failure_message": "Your card was declined.",
        }
    )
    charge["outcome"].update(
        {
            "network_status": "declined_by_network",
            "reason": code,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
    )
    book.emit("charge.failed", charge)
    if pi is not None:
        error = card_declined(charge["id"], None, code).body()["error"]
        error["payment_method"] = webhooks.public(book.get(charge["payment_method"]) or {})
        pi.update(
            {
                "status": "requires_payment_method",
                "last_payment_error": error,
                "latest_charge": charge["id"],
                "payment_method": None,
            }
        )
        book.emit("payment_intent.payment_failed", pi)
    raise card_declined(charge["id"], webhooks.public(pi) if pi else None, code)


def _capture(book: Book, charge: dict[str, Any], card: cards.TestCard) -> None:
    currency, rate = settlement(book, charge["currency"])
    settled = settle(charge["amount"], charge["currency"], currency, rate)
    international = card.country != book.acct["country"]
    fee = fees.processing_fee(
        book.pricing, settled, currency, international=international, converted=rate is not None
    )
    bt = add_bt(
        book,
        amount=settled,
        currency=currency,
        type_="charge",
        category="charge",
        source=charge["id"],
        description=charge["description"],
        fee_details=[fees.fee_detail(fee, currency, "Stripe processing fees")],
        available_on=availability(book, card),
        exchange_rate=rate,
    )
    charge.update(
        {
            "amount_captured": charge["amount"],
            "balance_transaction": bt["id"],
            "captured": True,
            "paid": True,
            "status": "succeeded",
        }
    )
    book.emit("charge.succeeded", charge)


def confirm_payment_intent(book: Book, pi: dict[str, Any], pm_reference: str | None) -> None:
    reference = pm_reference or pi.get("payment_method")
    if not reference:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            param="payment_method",
            code="payment_intent_unexpected_state",
        )
    if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise invalid(
            f"This PaymentIntent's status is {pi['status']} and cannot be confirmed.",
            code="payment_intent_unexpected_state",
        )
    pm = resolve_card(book, reference, pi["customer"])
    pi.update({"payment_method": pm["id"], "status": "processing"})
    charge = charge_card(
        book,
        amount=pi["amount"],
        currency=pi["currency"],
        pm=pm,
        customer=pi["customer"],
        payment_intent=pi,
        description=pi["description"],
        metadata=pi["metadata"],
    )
    pi.update(
        {
            "status": "succeeded",
            "amount_received": pi["amount"],
            "latest_charge": charge["id"],
            "last_payment_error": None,
        }
    )
    book.emit("payment_intent.succeeded", pi)


# --- refunds -------------------------------------------------------------------------------


def charge_bt(book: Book, charge: dict[str, Any]) -> dict[str, Any]:
    bt = book.get(charge["balance_transaction"])
    assert bt is not None
    return bt


def settled_share(book: Book, charge: dict[str, Any], amount: int) -> tuple[int, str, Any]:
    bt = charge_bt(book, charge)
    rate = None if bt["exchange_rate"] is None else Decimal(str(bt["exchange_rate"]))
    return settle(amount, charge["currency"], bt["currency"], rate), bt["currency"], rate


def create_refund(
    book: Book, charge: dict[str, Any], amount: int | None, params: dict[str, Any]
) -> dict[str, Any]:
    if charge["status"] != "succeeded":
        raise invalid(f"Charge {charge['id']} has not succeeded.", param="charge")
    if charge["disputed"]:
        raise invalid(
            f"Charge {charge['id']} has been charged back; cannot issue a refund.",
            param="charge",
            code="charge_disputed",
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    amount = remaining if amount is None else amount
    if amount <= 0 or amount > remaining:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    refund = book.put(shapes.refund(book.store, book.livemode, charge, amount, params))
    settled, currency, rate = settled_share(book, charge, amount)
    bt = add_bt(
        book,
        amount=-settled,
        currency=currency,
        type_="refund",
        category="refund",
        source=refund["id"],
        description="REFUND FOR CHARGE",
        exchange_rate=rate,
    )
    refund["balance_transaction"] = bt["id"]
    _set_refunded(book, charge, charge["amount_refunded"] + amount)
    book.emit("refund.created", refund)
    book.emit("charge.refunded", charge)
    if card_of(book.get(charge["payment_method"]) or {"_test_id": "pm_card_visa"}).refund_fails:
        book.store.schedule(
            book.store.now + REFUND_FAILURE_DELAY, "refund_fail", book.lk, refund["id"]
        )
    return refund


def _set_refunded(book: Book, charge: dict[str, Any], refunded: int) -> None:
    charge["amount_refunded"] = refunded
    charge["refunded"] = refunded == charge["amount"]
    refunds = [r for r in book.store.objects(book.lk, "refund") if r["charge"] == charge["id"]]
    charge["refunds"]["data"] = [webhooks.public(r) for r in reversed(refunds)][:10]
    charge["refunds"]["has_more"] = len(refunds) > 10


def fail_refund(book: Book, refund: dict[str, Any]) -> None:
    if refund["status"] != "succeeded":
        return
    charge = book.get(refund["charge"])
    assert charge is not None
    settled, currency, rate = settled_share(book, charge, refund["amount"])
    bt = add_bt(
        book,
        amount=settled,
        currency=currency,
        type_="refund_failure",
        category="refund_failure",
        source=refund["id"],
        description="REFUND FAILURE",
        exchange_rate=rate,
    )
    refund.update(
        {
            "status": "failed",
            "failure_reason": "expired_or_canceled_card",
            "failure_balance_transaction": bt["id"],
        }
    )
    _set_refunded(book, charge, charge["amount_refunded"] - refund["amount"])
    book.emit("refund.failed", refund, {"status": "succeeded"})
    book.emit("refund.updated", refund, {"status": "succeeded"})
    book.emit("charge.refund.updated", refund, {"status": "succeeded"})


# --- disputes ------------------------------------------------------------------------------


def open_dispute(book: Book, charge: dict[str, Any], *, inquiry: bool) -> dict[str, Any]:
    due_by = book.store.now + DISPUTE_RESPONSE_WINDOW
    dispute = book.put(
        shapes.dispute(book.store, book.livemode, charge, inquiry=inquiry, due_by=due_by)
    )
    charge["disputed"] = True
    book.emit("charge.dispute.created", dispute)
    if not inquiry:
        _withdraw(book, dispute, charge)
    book.store.schedule(due_by, "dispute_due", book.lk, dispute["id"])
    return dispute


def _withdraw(book: Book, dispute: dict[str, Any], charge: dict[str, Any]) -> None:
    settled, currency, rate = settled_share(book, charge, dispute["amount"])
    fee = book.pricing.dispute_fee_for(currency)
    bt = add_bt(
        book,
        amount=-settled,
        currency=currency,
        type_="adjustment",
        category="dispute",
        source=dispute["id"],
        description=f"Chargeback withdrawal for {charge['id']}",
        fee_details=[fees.fee_detail(fee, currency, "Dispute fee")],
        exchange_rate=rate,
    )
    dispute["balance_transactions"] = [webhooks.public(bt)]
    book.emit("charge.dispute.funds_withdrawn", dispute)


def _reinstate(book: Book, dispute: dict[str, Any], charge: dict[str, Any]) -> None:
    withdrawal = dispute["balance_transactions"][0]
    refund_fee = book.pricing.dispute_fee_refunded_on_win
    details = (
        [fees.fee_detail(-withdrawal["fee"], withdrawal["currency"], "Dispute fee refund")]
        if refund_fee
        else []
    )
    rate = withdrawal["exchange_rate"]
    bt = add_bt(
        book,
        amount=-withdrawal["amount"],
        currency=withdrawal["currency"],
        type_="adjustment",
        category="dispute_reversal",
        source=dispute["id"],
        description=f"Chargeback reversal for {charge['id']}",
        fee_details=details,
        exchange_rate=None if rate is None else Decimal(str(rate)),
    )
    dispute["balance_transactions"].append(webhooks.public(bt))
    book.emit("charge.dispute.funds_reinstated", dispute)


def submit_evidence(
    book: Book, dispute: dict[str, Any], evidence: dict[str, Any], submit: bool
) -> None:
    if dispute["status"] in ("won", "lost", "warning_closed"):
        raise invalid("This dispute is already closed", code="dispute_already_closed")
    previous = {"status": dispute["status"]}
    for key, value in evidence.items():
        if key in dispute["evidence"]:
            dispute["evidence"][key] = value
    dispute["evidence_details"]["has_evidence"] = True
    if submit:
        dispute["evidence_details"]["submission_count"] += 1
        inquiry = dispute["status"].startswith("warning")
        dispute["status"] = "warning_under_review" if inquiry else "under_review"
        text = " ".join(str(v) for v in evidence.values())
        if (
            cards.DISPUTE_WINNING_EVIDENCE in text
            or cards.DISPUTE_LOSING_EVIDENCE in text
            or inquiry
        ):
            book.store.schedule(
                book.store.now + DISPUTE_DECISION_DELAY, "dispute_decide", book.lk, dispute["id"]
            )
    book.emit("charge.dispute.updated", dispute, previous)


def decide_dispute(book: Book, dispute: dict[str, Any]) -> None:
    if dispute["status"] not in ("under_review", "warning_under_review"):
        return
    text = " ".join(str(v) for v in dispute["evidence"].values() if v)
    close_dispute(book, dispute, won=cards.DISPUTE_WINNING_EVIDENCE in text)


def close_dispute(book: Book, dispute: dict[str, Any], *, won: bool) -> None:
    charge = book.get(dispute["charge"])
    assert charge is not None
    previous = {"status": dispute["status"]}
    if dispute["status"].startswith("warning"):
        dispute["status"] = "warning_closed"
    elif won:
        dispute["status"] = "won"
        _reinstate(book, dispute, charge)
    else:
        dispute["status"] = "lost"
    book.emit("charge.dispute.closed", dispute, previous)


def dispute_due(book: Book, dispute: dict[str, Any]) -> None:
    if dispute["status"] in ("needs_response", "warning_needs_response"):
        dispute["evidence_details"]["past_due"] = True
        close_dispute(book, dispute, won=False)


# --- payouts -------------------------------------------------------------------------------


def bank_for(book: Book, currency: str, destination: str | None) -> dict[str, Any]:
    banks = book.acct["_bank_accounts"]
    if destination:
        if destination not in banks:
            raise StripeError(
                404,
                f"No such external account: '{destination}'",
                param="destination",
                code="resource_missing",
            )
        return banks[destination]
    for bank in banks.values():
        if bank["currency"] == currency and bank["default_for_currency"]:
            return bank
    raise invalid(
        f"You do not have a default external account for currency '{currency}'.", param="currency"
    )


def arrival_for(now: int) -> int:
    # Standard payouts arrive the next day in the emulator (Stripe: 1-2 business days, US).
    return next_midnight(now)


def create_payout(
    book: Book,
    *,
    amount: int,
    currency: str,
    automatic: bool,
    destination: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    swept: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    bank = bank_for(book, currency, destination)
    payout = book.put(
        shapes.payout(
            book.store,
            book.livemode,
            amount=amount,
            currency=currency,
            automatic=automatic,
            destination=bank["id"],
            arrival_date=arrival_for(book.store.now),
            description=description,
            metadata=metadata or {},
        )
    )
    bt = add_bt(
        book,
        amount=-amount,
        currency=currency,
        type_="payout",
        category="payout",
        source=payout["id"],
        description=payout["description"],
    )
    payout["balance_transaction"] = bt["id"]
    if automatic:
        # Only automatic payouts know what they paid out (Stripe: "For automatic Stripe
        # payouts only"); a manual payout's own debit is swept by the next automatic one.
        bt["_payout"] = payout["id"]
        for item in swept or []:
            item["_payout"] = payout["id"]
    book.emit("payout.created", payout)
    book.store.schedule(
        book.store.now + PAYOUT_IN_TRANSIT_DELAY, "payout_in_transit", book.lk, payout["id"]
    )
    book.store.schedule(payout["arrival_date"], "payout_arrive", book.lk, payout["id"])
    return payout


def create_manual_payout(
    book: Book, params: dict[str, Any], amount: int, currency: str
) -> dict[str, Any]:
    if amount <= 0:
        raise invalid("Amount must be at least 1", param="amount")
    if amount > available_amount(book, currency):
        raise invalid(
            "You have insufficient funds in your Stripe account for this transfer. "
            "Your card balance is too low.",
            code="balance_insufficient",
        )
    return create_payout(
        book,
        amount=amount,
        currency=currency,
        automatic=False,
        destination=params.get("destination"),
        description=params.get("description"),
        metadata=params.get("metadata", {}),
    )


def payout_in_transit(book: Book, payout: dict[str, Any]) -> None:
    if payout["status"] == "pending":
        payout["status"] = "in_transit"
        book.emit("payout.updated", payout, {"status": "pending"})


def payout_arrive(book: Book, payout: dict[str, Any]) -> None:
    if payout["status"] not in ("pending", "in_transit"):
        return
    bank = book.acct["_bank_accounts"].get(payout["destination"], {})
    failure = cards.FAILING_ACCOUNT_NUMBERS.get(bank.get("_account_number", ""))
    if failure:
        # Stripe marks the bank account errored and holds payouts until it is replaced.
        bank["status"] = "errored"
        fail_payout(book, payout, failure)
        return
    previous = {"status": payout["status"]}
    payout["status"] = "paid"
    payout["trace_id"] = {"status": "supported", "value": f"TRACE{payout['id'][-10:].upper()}"}
    book.emit("payout.paid", payout, previous)
    if payout["automatic"]:
        payout["reconciliation_status"] = "completed"
        book.emit("payout.reconciliation_completed", payout)


def fail_payout(book: Book, payout: dict[str, Any], code: str = "could_not_process") -> None:
    """Fail a payout, also one already paid (Stripe: some payouts fail after showing paid)."""
    if payout["status"] in ("failed", "canceled"):
        raise invalid(f"Payout {payout['id']} is already {payout['status']}.")
    bt = add_bt(
        book,
        amount=payout["amount"],
        currency=payout["currency"],
        type_="payout_failure",
        category="payout_reversal",
        source=payout["id"],
        description=f"Payout failure for {payout['id']}",
    )
    previous = {"status": payout["status"]}
    payout.update(
        {
            "status": "failed",
            "failure_balance_transaction": bt["id"],
            "failure_code": code,
            "failure_message": cards.FAILURE_MESSAGES.get(code, code),
        }
    )
    book.emit("payout.failed", payout, previous)


def cancel_payout(book: Book, payout: dict[str, Any]) -> None:
    if payout["status"] != "pending" or payout["automatic"]:
        raise invalid(
            "Payouts can only be canceled while they are pending.", code="payout_not_cancelable"
        )
    bt = add_bt(
        book,
        amount=payout["amount"],
        currency=payout["currency"],
        type_="payout_cancel",
        category="payout_reversal",
        source=payout["id"],
        description=f"Payout cancellation for {payout['id']}",
    )
    payout.update({"status": "canceled", "failure_balance_transaction": bt["id"]})
    book.emit("payout.canceled", payout, {"status": "pending"})


def sweep(book: Book) -> list[dict[str, Any]]:
    """Automatic payouts: one per currency for everything available and not yet paid out."""
    by_currency: dict[str, list[dict[str, Any]]] = {}
    for bt in book.store.objects(book.lk, "balance_transaction"):
        if bt["status"] == "available" and bt["_payout"] is None:
            by_currency.setdefault(bt["currency"], []).append(bt)
    payouts = []
    for currency, items in sorted(by_currency.items()):
        total = sum(bt["net"] for bt in items)
        if total > 0 and _payable_bank(book, currency):
            payouts.append(
                create_payout(book, amount=total, currency=currency, automatic=True, swept=items)
            )
    return payouts


def _payable_bank(book: Book, currency: str) -> bool:
    return any(
        b["currency"] == currency and b["default_for_currency"] and b["status"] != "errored"
        for b in book.acct["_bank_accounts"].values()
    )


def schedule_due(account: dict[str, Any], midnight: int) -> bool:
    schedule = account["settings"]["payouts"]["schedule"]
    if schedule["interval"] == "daily":
        return True
    if schedule["interval"] == "weekly":
        weekday = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][
            (midnight // DAY + 3) % 7
        ]  # 1970-01-01 was a Thursday
        return weekday == schedule.get("weekly_anchor", "monday")
    return False


# --- top-ups, standalone fees, reserves ----------------------------------------------------


def create_topup(book: Book, params: dict[str, Any]) -> dict[str, Any]:
    available = availability(book)
    topup = book.put(shapes.topup(book.store, book.livemode, params, available))
    bt = add_bt(
        book,
        amount=topup["amount"],
        currency=topup["currency"],
        type_="topup",
        category="topup",
        source=topup["id"],
        description=topup["description"],
        available_on=available,
    )
    topup["balance_transaction"] = bt["id"]
    book.emit("topup.created", topup)
    book.store.schedule(available, "topup_succeed", book.lk, topup["id"])
    return topup


def topup_succeed(book: Book, topup: dict[str, Any]) -> None:
    if topup["status"] == "pending":
        topup["status"] = "succeeded"
        book.emit("topup.succeeded", topup, {"status": "pending"})


def stripe_fee(book: Book, amount: int, currency: str, description: str) -> dict[str, Any]:
    """A standalone Stripe fee (Billing, Radar, Tax, …): a negative `stripe_fee` transaction."""
    return add_bt(
        book,
        amount=-amount,
        currency=currency,
        type_="stripe_fee",
        category="fee",
        source=None,
        description=description,
    )


def reserve(book: Book, amount: int, currency: str, description: str) -> dict[str, Any]:
    """Hold (amount > 0) or release (amount < 0) funds in a risk reserve."""
    return add_bt(
        book,
        amount=-amount,
        currency=currency,
        type_="reserve_transaction",
        category="risk_reserved_funds",
        source=None,
        description=description,
    )


# --- the clock -----------------------------------------------------------------------------

ACTIONS = {
    "refund_fail": fail_refund,
    "dispute_decide": decide_dispute,
    "dispute_due": dispute_due,
    "payout_in_transit": payout_in_transit,
    "payout_arrive": payout_arrive,
    "topup_succeed": topup_succeed,
}


def release_pending(store: Store) -> None:
    for lk in store.ledger_keys():
        released: dict[str, int] = {}
        for bt in store.objects(lk, "balance_transaction"):
            if bt["status"] == "pending" and bt["available_on"] <= store.now:
                bt["status"] = "available"
                released[bt["currency"]] = released.get(bt["currency"], 0) + bt["net"]
        if released:
            book = book_for(store, lk)
            book.emit("balance.available", balance(book))


def run_payout_schedules(store: Store) -> None:
    for lk in store.ledger_keys():
        book = book_for(store, lk)
        if book.acct.get("payouts_enabled") and schedule_due(book.acct, store.now):
            sweep(book)


def run_tasks(store: Store, until: int) -> None:
    for task in store.pop_due_tasks(until):
        book = book_for(store, task["lk"])
        obj = book.get(task["id"])
        if obj is not None:
            ACTIONS[task["action"]](book, obj)


def advance(store: Store, until: int) -> None:
    """Move the clock to `until`, running every transition due on the way, in time order."""
    while True:
        midnight = next_midnight(store.now)
        task_at = store.next_task_time()
        step = min(midnight, task_at) if task_at is not None else midnight
        if step > until:
            break
        store.set_now(step)
        run_tasks(store, step)
        if step == midnight:
            release_pending(store)
            run_payout_schedules(store)
    store.set_now(until)
    run_tasks(store, until)
    release_pending(store)
