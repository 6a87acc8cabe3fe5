"""The tie-out invariant end to end (docs/accounting.md §1.2): a simulated Stripe account
(the Stripe emulator's seeded scenario: sales, FX, refunds, a failed refund, disputes won and
lost, fees, a reserve, a top-up, automatic and manual payouts, a payout failed before and one
failed after it was paid), planned and posted into the QuickBooks emulator.

    QBO clearing balance (c) == Stripe balance (available + pending, c) + payouts in transit (c)
"""

from __future__ import annotations

import pytest

from emulators.stripe.scenarios import Options, generate
from emulators.stripe.store import PLATFORM_ACCOUNT, Store, ledger_key
from syncs.money import Money, to_decimal
from syncs.planner import PlanStatus, plan_many
from tests.syncs.ledger_data import NEW_YORK
from tests.syncs.qbo_books import new_books
from tests.syncs.stripe_history import history_as_of, read_history, stripe_side


@pytest.mark.parametrize(
    ("seed", "currencies"),
    [(1, ("usd",)), (2, ("usd",)), (3, ("usd", "eur"))],
)
def test_it_ties_out_a_simulated_stripe_account_in_quickbooks(
    seed: int, currencies: tuple[str, ...]
) -> None:
    store = Store(seed=seed)
    generate(store, Options(seed=seed, days=10, currencies=list(currencies)))
    txns, payouts = read_history(store, ledger_key(PLATFORM_ACCOUNT, False))
    books = new_books(currencies)

    batch = plan_many(
        txns, connection_id="conn_1", mappings=books.mappings, tz=NEW_YORK, payouts=payouts
    )
    books.post(batch)

    assert batch.by_status(PlanStatus.NEEDS_ACTION) == ()
    assert {w.code for w in batch.warnings} <= {"tax_in_income"}
    expected = stripe_side(store, PLATFORM_ACCOUNT)
    assert set(expected) == set(currencies)
    assert {c: m.amount for c, m in batch.clearing_balances().items()} == expected
    for currency, amount in expected.items():
        clearing = books.mappings.clearing[currency]
        assert books.balance(clearing) == to_decimal(Money(amount, currency))
        # The bank got every payout that is still paid, and paid for every top-up.
        landed = sum(
            p.amount for p in payouts.values() if p.currency == currency and p.status == "paid"
        )
        topped = sum(t.amount for t in txns if t.currency == currency and t.type == "topup")
        bank = books.mappings.payout_bank[currency]
        assert books.balance(bank) == to_decimal(Money(landed - topped, currency))


@pytest.mark.parametrize("seed", [1, 4])
def test_it_ties_out_at_every_moment_of_the_simulated_history(seed: int) -> None:
    store = Store(seed=seed)
    generate(store, Options(seed=seed, days=8, currencies=["usd", "eur"]))
    lk = ledger_key(PLATFORM_ACCOUNT, False)
    moments = sorted({bt["created"] for bt in store.objects(lk, "balance_transaction")})
    books = new_books(("usd", "eur"))
    in_transit_seen = 0

    for moment in moments[::3] + moments[-1:]:
        txns, payouts, expected = history_as_of(store, lk, moment)
        batch = plan_many(
            txns, connection_id="conn_1", mappings=books.mappings, tz=NEW_YORK, payouts=payouts
        )
        assert {c: m.amount for c, m in batch.clearing_balances().items() if m.amount} == {
            c: amount for c, amount in expected.items() if amount
        }, moment
        in_transit_seen += len(batch.by_status(PlanStatus.WAITING))

    assert in_transit_seen > 0  # the check did run while payouts were in transit
