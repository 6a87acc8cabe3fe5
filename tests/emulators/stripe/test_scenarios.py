"""Seeded histories: what they contain, that they are deterministic, and (hypothesis) that the
ledger always adds up, read back through the stripe library."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.stripe.testing import RunningEmulator, serve


@pytest.fixture(scope="module")
def shared_emu() -> Iterator[RunningEmulator]:
    with serve() as running:
        yield running


def all_of(listing: Any) -> list[Any]:
    return list(listing.auto_paging_iter())


def seeded(emu: RunningEmulator, **options: Any) -> stripe.StripeClient:
    emu.admin("POST", "reset")
    emu.seed(**options)
    return emu.client()


def test_it_generates_every_kind_of_history(shared_emu: RunningEmulator) -> None:
    client = seeded(shared_emu, seed=7, days=14, customers=5, currencies="usd,eur")
    bts = all_of(client.v1.balance_transactions.list({"limit": 100}))
    categories = Counter(b.reporting_category for b in bts)
    for category in (
        "charge",
        "refund",
        "dispute",
        "dispute_reversal",
        "refund_failure",
        "payout",
        "payout_reversal",
        "topup",
        "fee",
        "risk_reserved_funds",
    ):
        assert categories[category] > 0, category
    disputes = {d.status for d in all_of(client.v1.disputes.list({"limit": 100}))}
    assert {"won", "lost"} <= disputes
    payouts = all_of(client.v1.payouts.list({"limit": 100}))
    assert any(not p.automatic for p in payouts)
    assert any(p.status == "failed" for p in payouts)
    assert {b.currency for b in bts} == {"usd", "eur"}
    assert any(b.exchange_rate for b in bts)  # converted sales (e.g. gbp presentment)
    assert client.v1.invoices.list().data and client.v1.events.list().data


def snapshot(client: stripe.StripeClient) -> list[tuple[Any, ...]]:
    bts = all_of(client.v1.balance_transactions.list({"limit": 100}))
    return [(b.id, b.created, b.amount, b.fee, b.type, b.source) for b in bts]


def test_it_is_deterministic_for_a_seed(shared_emu: RunningEmulator) -> None:
    first = snapshot(seeded(shared_emu, seed=11, days=6, customers=3))
    again = snapshot(seeded(shared_emu, seed=11, days=6, customers=3))
    other = snapshot(seeded(shared_emu, seed=12, days=6, customers=3))
    assert first == again
    assert first != other


def check_ledger(client: stripe.StripeClient) -> None:
    bts = all_of(client.v1.balance_transactions.list({"limit": 100}))
    totals: Counter[str] = Counter()
    for bt in bts:
        assert bt.fee == sum(d.amount for d in bt.fee_details), bt.id
        assert bt.net == bt.amount - bt.fee, bt.id
        totals[bt.currency] += bt.net
    balance = client.v1.balance.retrieve()
    held: Counter[str] = Counter()
    for entry in [*balance.available, *balance.pending]:
        held[entry.currency] += entry.amount
    assert {c: v for c, v in held.items() if v} == {c: v for c, v in totals.items() if v}
    for payout in all_of(client.v1.payouts.list({"limit": 100})):
        if not payout.automatic:
            continue
        paid_out = all_of(client.v1.balance_transactions.list({"payout": payout.id, "limit": 100}))
        own = [b for b in paid_out if b.id == payout.balance_transaction]
        assert len(own) == 1 and own[0].amount == -payout.amount
        swept = sum(b.net for b in paid_out if b.id != payout.balance_transaction)
        assert swept == payout.amount, payout.id


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    days=st.integers(2, 16),
    customers=st.integers(1, 6),
    currencies=st.sampled_from(["usd", "usd,eur", "usd,gbp,eur"]),
)
def test_it_keeps_the_ledger_consistent_for_any_seeded_history(
    shared_emu: RunningEmulator, seed: int, days: int, customers: int, currencies: str
) -> None:
    client = seeded(shared_emu, seed=seed, days=days, customers=customers, currencies=currencies)
    check_ledger(client)
