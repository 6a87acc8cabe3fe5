"""Disputes, failed refunds, payouts and their balance transactions, over the emulator clock."""

from __future__ import annotations

import pytest
import stripe

from emulators.stripe.testing import RunningEmulator
from tests.emulators.stripe.conftest import pay


def bts(client: stripe.StripeClient, **params: object) -> list[stripe.BalanceTransaction]:
    return list(client.v1.balance_transactions.list({"limit": 100, **params}).auto_paging_iter())


def test_it_opens_a_dispute_for_pm_card_create_dispute_and_wins_it(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    charge = pay(client, 10000, card="pm_card_createDispute")
    assert charge.status == "succeeded" and charge.disputed
    dispute = client.v1.disputes.list({"charge": charge.id}).data[0]
    assert dispute.id.startswith("dp_") and dispute.status == "needs_response"
    withdrawal = dispute.balance_transactions[0]
    assert (withdrawal.type, withdrawal.reporting_category) == ("adjustment", "dispute")
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-10000, 1500, -11500)
    assert [(d.description, d.amount) for d in withdrawal.fee_details] == [("Dispute fee", 1500)]

    dispute = client.v1.disputes.update(
        dispute.id, {"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    assert dispute.status == "under_review"
    emu.advance(seconds=3600)
    dispute = client.v1.disputes.retrieve(dispute.id)
    assert dispute.status == "won"
    reversal = dispute.balance_transactions[1]
    assert reversal.reporting_category == "dispute_reversal"
    assert (reversal.amount, reversal.fee, reversal.net) == (10000, -1500, 11500)


def test_it_loses_a_dispute_with_losing_evidence_or_when_accepted(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    first = pay(client, 4000, card="pm_card_createDispute")
    second = pay(client, 4000, card="pm_card_createDispute")
    losing = client.v1.disputes.list({"charge": first.id}).data[0]
    accepted = client.v1.disputes.list({"charge": second.id}).data[0]
    client.v1.disputes.update(losing.id, {"evidence": {"uncategorized_text": "losing_evidence"}})
    assert client.v1.disputes.close(accepted.id).status == "lost"
    emu.advance(seconds=3600)
    losing = client.v1.disputes.retrieve(losing.id)
    assert losing.status == "lost" and len(losing.balance_transactions) == 1
    closed = client.v1.events.list({"type": "charge.dispute.closed"}).data
    assert {e.data.object.id for e in closed} == {losing.id, accepted.id}


def test_it_moves_no_money_for_an_inquiry(client: stripe.StripeClient) -> None:
    charge = pay(client, 4000, card="pm_card_createDisputeInquiry")
    dispute = client.v1.disputes.list({"charge": charge.id}).data[0]
    assert dispute.status == "warning_needs_response" and dispute.balance_transactions == []


def test_it_fails_a_refund_of_pm_card_refund_fail_later(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    charge = pay(client, 2000, card="pm_card_refundFail")
    refund = client.v1.refunds.create({"charge": charge.id})
    assert refund.status == "succeeded"
    emu.advance(seconds=3600)
    refund = client.v1.refunds.retrieve(refund.id, {"expand": ["failure_balance_transaction"]})
    assert refund.status == "failed" and refund.failure_reason == "expired_or_canceled_card"
    failure = refund.failure_balance_transaction
    assert (failure.type, failure.reporting_category, failure.amount) == (
        "refund_failure",
        "refund_failure",
        2000,
    )
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 0
    assert client.v1.events.list({"type": "refund.failed"}).data[0].data.object.id == refund.id


def test_it_pays_out_automatically_and_lists_the_payouts_transactions(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    first, second = pay(client, 10000), pay(client, 5000)
    client.v1.refunds.create({"charge": second.id, "amount": 1000})
    assert client.v1.payouts.list().data == []
    emu.advance(days=2)
    payout = client.v1.payouts.list().data[0]
    assert payout.automatic and payout.reconciliation_status == "in_progress"
    included = bts(client, payout=payout.id)
    assert {b.type for b in included} == {"charge", "refund", "payout"}
    others = [b for b in included if b.type != "payout"]
    assert sum(b.net for b in others) == payout.amount
    assert first.balance_transaction.id in {b.id for b in others}
    own = client.v1.balance_transactions.retrieve(payout.balance_transaction)
    assert (own.amount, own.reporting_category) == (-payout.amount, "payout")
    emu.advance(days=1)
    payout = client.v1.payouts.retrieve(payout.id)
    assert payout.status == "paid" and payout.reconciliation_status == "completed"
    types = [e.type for e in client.v1.events.list({"type": "payout.*"}).data]
    assert types[:2] == ["payout.reconciliation_completed", "payout.paid"]
    assert [(a.currency, a.amount) for a in client.v1.balance.retrieve().available] == [("usd", 0)]


def test_it_refuses_the_payout_filter_for_a_manual_payout(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    pay(client, 10000, card="pm_card_bypassPending")
    payout = client.v1.payouts.create({"amount": 5000, "currency": "usd"})
    assert not payout.automatic and payout.reconciliation_status == "not_applicable"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.balance_transactions.list({"payout": payout.id})
    assert raised.value.param == "payout"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payouts.create({"amount": 999999, "currency": "usd"})
    assert raised.value.code == "balance_insufficient"


def test_it_fails_a_payout_to_stripes_failing_test_bank_account(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    account = client.v1.accounts.create(
        {
            "type": "custom",
            "country": "US",
            "external_account": {
                "object": "bank_account",
                "country": "US",
                "currency": "usd",
                "routing_number": "110000000",
                "account_number": "000111111116",
            },
        }
    )
    as_account = {"stripe_account": account.id}
    pay(client, 10000, options=as_account)
    emu.advance(days=3)
    payouts = client.v1.payouts.list(None, as_account).data
    assert len(payouts) == 1  # payouts stop until the errored bank account is replaced
    payout = payouts[0]
    assert payout.status == "failed" and payout.failure_code == "no_account"
    failure = client.v1.balance_transactions.retrieve(
        payout.failure_balance_transaction, None, as_account
    )
    assert (failure.type, failure.reporting_category, failure.amount) == (
        "payout_failure",
        "payout_reversal",
        payout.amount,
    )
    available = client.v1.balance.retrieve(None, as_account).available
    assert available[0].amount == payout.amount  # the funds came back


def test_it_fails_a_payout_after_it_was_paid(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    pay(client, 10000)
    emu.advance(days=3)
    payout = client.v1.payouts.list().data[0]
    assert payout.status == "paid"
    emu.admin("POST", f"payouts/{payout.id}/fail", failure_code="account_closed")
    payout = client.v1.payouts.retrieve(payout.id)
    assert payout.status == "failed" and payout.failure_balance_transaction
    assert client.v1.events.list({"type": "payout.failed"}).data[0].data.object.id == payout.id


def test_it_cancels_a_pending_manual_payout(client: stripe.StripeClient) -> None:
    pay(client, 10000, card="pm_card_bypassPending")
    payout = client.v1.payouts.create({"amount": 3000, "currency": "usd"})
    canceled = client.v1.payouts.cancel(payout.id)
    assert canceled.status == "canceled"
    assert client.v1.balance.retrieve().available[0].amount == 10000 - 320


def test_it_records_standalone_fees_and_reserves(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    emu.admin("POST", "fees", amount=1250, currency="usd", description="Billing - Usage Fee")
    emu.admin("POST", "reserves", amount=5000, currency="usd", description="Reserve hold")
    emu.admin("POST", "reserves", amount=-2000, currency="usd", description="Reserve release")
    found = [(b.type, b.reporting_category, b.net) for b in bts(client)]
    assert found == [
        ("reserve_transaction", "risk_reserved_funds", 2000),
        ("reserve_transaction", "risk_reserved_funds", -5000),
        ("stripe_fee", "fee", -1250),
    ]


def test_it_filters_balance_transactions(emu: RunningEmulator, client: stripe.StripeClient) -> None:
    charge = pay(client, 1000)
    emu.advance(days=1)
    later = pay(client, 2000)
    refund = client.v1.refunds.create({"charge": later.id, "amount": 500})
    assert [b.id for b in bts(client, type="refund")] == [refund.balance_transaction]
    assert [b.id for b in bts(client, source=charge.id)] == [charge.balance_transaction.id]
    created = {"gte": later.created}
    assert {b.type for b in bts(client, created=created)} == {"charge", "refund"}
    assert bts(client, currency="eur") == []
    assert len(bts(client, currency="usd")) == 3


def test_it_keeps_event_snapshots_as_they_were(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    charge = pay(client, 3000)
    client.v1.refunds.create({"charge": charge.id, "amount": 1000})
    client.v1.refunds.create({"charge": charge.id, "amount": 500})
    refunded = client.v1.events.list({"type": "charge.refunded"}).data
    assert [e.data.object.amount_refunded for e in refunded] == [1500, 1000]
    assert [len(e.data.object.refunds.data) for e in refunded] == [2, 1]


def test_it_expands_a_payouts_bank_account(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    pay(client, 3000, card="pm_card_bypassPending")
    payout = client.v1.payouts.create({"amount": 1000, "currency": "usd"})
    expanded = client.v1.payouts.retrieve(payout.id, {"expand": ["destination"]})
    assert expanded.destination.object == "bank_account"
    assert expanded.destination.last4 == "6789"


def test_it_expands_the_source_of_every_balance_transaction(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    charge = pay(client, 3000, card="pm_card_createDispute")
    refundable = pay(client, 2000)
    client.v1.refunds.create({"charge": refundable.id, "amount": 500})
    client.v1.topups.create({"amount": 1000, "currency": "usd"})
    emu.advance(days=2)
    listed = bts(client, expand=["data.source"])
    sources = {b.type: b.source.object for b in listed}
    assert sources == {
        "charge": "charge",
        "refund": "refund",
        "adjustment": "dispute",
        "topup": "topup",
        "payout": "payout",
    }
    assert any(b.source.id == charge.id for b in listed if b.type == "charge")


def test_it_follows_each_accounts_payout_schedule(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    manual = client.v1.accounts.create(
        {"type": "custom", "settings": {"payouts": {"schedule": {"interval": "manual"}}}}
    )
    daily = client.v1.accounts.create({"type": "custom"})
    assert [a.id for a in client.v1.accounts.list().data] == [daily.id, manual.id]
    assert client.v1.accounts.retrieve(manual.id).settings.payouts.schedule.interval == "manual"
    for account in (manual, daily):
        pay(client, 5000, options={"stripe_account": account.id})
    emu.advance(days=3)
    assert client.v1.payouts.list(None, {"stripe_account": manual.id}).data == []
    assert len(client.v1.payouts.list(None, {"stripe_account": daily.id}).data) == 1
    client.v1.accounts.update(
        manual.id, {"settings": {"payouts": {"schedule": {"interval": "daily"}}}}
    )
    emu.advance(days=1)
    assert len(client.v1.payouts.list(None, {"stripe_account": manual.id}).data) == 1
