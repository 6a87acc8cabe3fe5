"""Backfill: Stripe balance transactions → ledger, idempotently, with payout links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.db.models import Sum
from django.test import override_settings

from connections.models import Connection
from emulators.stripe import store as stripe_store
from emulators.stripe import testing as stripe_testing
from emulators.stripe.testing import RunningEmulator
from syncs import services
from syncs.models import BalanceTransaction, Payout, SyncRun
from tests.conftest import World
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

START = datetime.fromtimestamp(stripe_store.DEFAULT_START, tz=UTC)


@pytest.fixture
def seeded() -> Iterator[RunningEmulator]:
    with stripe_testing.serve() as emulator:
        emulator.seed(seed=3, days=10, customers=8, currencies="usd,eur")
        with override_settings(STRIPE_API_BASE=emulator.url, STRIPE_CONNECT_BASE=emulator.url):
            yield emulator


@pytest.fixture
def stripe_connection(world: World, seeded: RunningEmulator) -> Connection:
    return ConnectionFactory(
        tenant=world.alice_tenant,
        method="stripe_key",
        external_id=stripe_store.PLATFORM_ACCOUNT,
        api_key=stripe_testing.READONLY_KEY,
    )


def _backfill(connection: Connection, seeded: RunningEmulator) -> SyncRun:
    end = datetime.fromtimestamp(seeded.store.now + 1, tz=UTC)
    run = services.sync_run_request(
        connection=connection,
        kind=SyncRun.Kind.BACKFILL,
        trigger=SyncRun.Trigger.USER,
        start=START,
        end=end,
    )
    assert services.sync_run_claim(run_id=run.pk)
    assert not services.sync_run_claim(run_id=run.pk)  # a second worker gets nothing
    services.sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_it_ingests_every_balance_transaction_once(
    stripe_connection: Connection, seeded: RunningEmulator
) -> None:
    stripe_ids = {
        txn.id
        for txn in seeded.client(stripe_testing.READONLY_KEY)
        .v1.balance_transactions.list({"limit": 100})
        .auto_paging_iter()
    }
    run = _backfill(stripe_connection, seeded)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.progress_done == run.progress_total > 0
    rows = BalanceTransaction.objects.for_tenant(stripe_connection.tenant)
    assert set(rows.values_list("stripe_id", flat=True)) == stripe_ids
    again = _backfill(stripe_connection, seeded)
    assert (again.transactions_seen, again.transactions_new) == (len(stripe_ids), 0)
    assert rows.count() == len(stripe_ids)


def test_it_links_automatic_payouts_to_what_they_paid_out(
    stripe_connection: Connection, seeded: RunningEmulator
) -> None:
    run = _backfill(stripe_connection, seeded)
    paid = Payout.objects.filter(connection=stripe_connection, automatic=True, status="paid")
    assert paid.exists() and run.payouts_linked > 0
    for payout in paid:
        # Stripe lists the payout's own (negative) balance transaction with what it paid out.
        paid_out = payout.transactions.exclude(stripe_id=payout.balance_transaction_id)
        assert paid_out.aggregate(total=Sum("net"))["total"] == payout.amount, payout.stripe_id
        assert payout.transactions.aggregate(total=Sum("net"))["total"] == 0
    manual = Payout.objects.filter(connection=stripe_connection, automatic=False)
    assert manual.exists() and not manual.filter(transactions__isnull=False).exists()


def test_it_keeps_money_as_integers_and_categories_as_stripe_says(
    stripe_connection: Connection, seeded: RunningEmulator
) -> None:
    _backfill(stripe_connection, seeded)
    categories = set(BalanceTransaction.objects.values_list("reporting_category", flat=True))
    assert {"charge", "refund", "payout", "fee"} <= categories
    for row in BalanceTransaction.objects.all():
        assert row.net == row.amount - row.fee
        assert sum(d["amount"] for d in row.fee_details) == row.fee


def test_it_refuses_a_paused_connection(world: World) -> None:
    from syncs.services import SyncRequestError

    paused = ConnectionFactory(tenant=world.alice_tenant, status="needs_reconnect")
    with pytest.raises(SyncRequestError):
        services.sync_run_request(
            connection=paused, kind=SyncRun.Kind.BACKFILL, trigger=SyncRun.Trigger.USER
        )
