"""Seeded Stripe history → backfill → auto-setup → plan → post → tie-out, on both emulators."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from django.test import override_settings

from connections.models import Connection
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.stripe import testing as stripe_testing
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from mappings.models import SyncProfile
from syncs import setup
from syncs.models import OutboxDocument, Reconciliation, SyncRun
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks
from tests.syncs.emulated import backfill_everything, emulated_profile

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def stripe_history() -> Iterator[StripeEmulator]:
    with stripe_testing.serve() as emulator:
        emulator.seed(seed=7, days=20, customers=10, currencies="usd")
        # A sale whose funds are still pending, so the Stripe balance is not zero.
        emulator.client().v1.payment_intents.create(
            {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        )
        with override_settings(STRIPE_API_BASE=emulator.url, STRIPE_CONNECT_BASE=emulator.url):
            yield emulator


@pytest.fixture
def profile(world: World, qbo: QboEmulator, stripe_history: StripeEmulator) -> SyncProfile:
    client = world.client_for(world.alice)
    assert client.get(connect_quickbooks(client, world.alice_tenant.slug)).status_code == 302
    company = Connection.objects.filter(provider="quickbooks", tenant=world.alice_tenant).latest(
        "pk"
    )
    return emulated_profile(world.alice_tenant, company)


def test_it_posts_a_seeded_history_that_ties_out(
    profile: SyncProfile, qbo: QboEmulator, stripe_history: StripeEmulator
) -> None:
    # The ledger first (setup needs its currencies), then the chart of accounts.
    backfill_everything(profile, stripe_history)
    report = setup.profile_autosetup(profile=profile)
    assert not report.problems, report.problems
    assert "Stripe Clearing – USD" in report.created

    run = backfill_everything(profile, stripe_history)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.documents_posted > 50 and run.documents_needing_action == 0, run
    outbox = OutboxDocument.objects.exclude(role="setup")
    assert set(outbox.values_list("status", flat=True)) == {"posted"}

    # Exactly once: every planned DocNumber is in QuickBooks once.
    company = qbo.company(profile.quickbooks.external_id)
    in_qbo: Counter[str] = Counter(
        doc.get("DocNumber")
        for entity in (
            "SalesReceipt",
            "Purchase",
            "Deposit",
            "Transfer",
            "RefundReceipt",
            "JournalEntry",
        )
        for doc in company.entities.get(entity, {}).values()
    )
    assert all(in_qbo[n] == 1 for n in outbox.values_list("doc_number", flat=True))

    # The tie-out holds for the clearing account and every paid automatic payout.
    results = Reconciliation.objects.filter(stripe=profile.stripe)
    assert results.filter(kind="clearing").count() == 1
    assert results.filter(kind="payout").count() > 3
    off = [
        (r.subject, r.stripe_amount, r.quickbooks_amount, r.explanation)
        for r in results
        if not r.ok
    ]
    assert off == []

    # Running it all again changes nothing in QuickBooks.
    before = sum(in_qbo.values())
    again = backfill_everything(profile, stripe_history)
    assert again.documents_planned == 0 and again.documents_posted == 0
    after = sum(
        1
        for entity in (
            "SalesReceipt",
            "Purchase",
            "Deposit",
            "Transfer",
            "RefundReceipt",
            "JournalEntry",
        )
        for _ in company.entities.get(entity, {}).values()
    )
    assert after == before


def test_it_reports_a_difference_it_cannot_explain(
    profile: SyncProfile, qbo: QboEmulator, stripe_history: StripeEmulator
) -> None:
    backfill_everything(profile, stripe_history)
    setup.profile_autosetup(profile=profile)
    backfill_everything(profile, stripe_history)
    clearing = Reconciliation.objects.get(stripe=profile.stripe, kind="clearing")
    assert clearing.ok and clearing.stripe_amount != 0
    # Someone moves money out of the clearing account by hand in QuickBooks.
    from connections.providers.quickbooks import client as qbo_client
    from connections.services import quickbooks_call
    from mappings.models import QboRef
    from syncs import reconcile

    refs = {r.purpose: r.qbo_id for r in QboRef.objects.filter(profile=profile)}

    def line(posting: str, account: str) -> dict[str, object]:
        return {
            "Amount": 12.34,
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": {"value": account}},
        }

    entry = json.dumps(
        {"Line": [line("Credit", refs["clearing"]), line("Debit", refs["adjustments"])]}
    )
    quickbooks_call(
        connection_id=profile.quickbooks_id,
        call=lambda t, r: qbo_client.batch(
            t,
            r,
            request_id="by-hand",
            items=[qbo_client.BatchCreate(bid="1", entity="JournalEntry", body=entry)],
        ),
    )
    reconcile.tie_out(profile=profile)
    clearing.refresh_from_db()
    assert not clearing.ok
    assert clearing.difference == -1234
    assert "entries made by hand" in clearing.explanation


def test_it_turns_a_stripe_event_into_one_short_re_read(profile: SyncProfile) -> None:
    from connections.inbox import Incoming, Route, inbox_store
    from connections.models import InboundEvent
    from connections.tasks import dispatch_inbound_event

    def deliver(event_id: str, type_: str) -> None:
        incoming = Incoming(
            provider="stripe",
            event_id=event_id,
            account=profile.stripe.external_id,
            livemode=False,
            type=type_,
            payload={"id": event_id, "type": type_, "created": 1_791_000_000},
        )
        inbox_store(incoming=incoming, route=Route(profile.stripe_id, profile.tenant_id))
        # What the worker does when the doorbell rings (the test transaction never commits).
        dispatch_inbound_event(InboundEvent.objects.get(event_id=event_id).pk)

    deliver("evt_a", "charge.succeeded")
    deliver("evt_b", "payout.paid")  # the burst shares the queued run
    deliver("evt_c", "customer.updated")  # not about money
    runs = SyncRun.objects.filter(connection=profile.stripe, kind="webhook")
    assert runs.count() == 1
    assert runs.get().status == "queued"
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_it_sweeps_companies_with_due_or_unresolved_documents(profile: SyncProfile) -> None:
    from syncs.services import companies_with_work

    assert companies_with_work() == []
    OutboxDocument.objects.create(
        tenant=profile.tenant,
        quickbooks=profile.quickbooks,
        key="k",
        role="sale",
        entity="SalesReceipt",
        request_id="r",
        doc_number="d",
        body="{}",
        amount=1,
        currency="usd",
        status="unknown",
    )
    assert companies_with_work() == [profile.quickbooks_id]


def test_it_runs_the_demo_path_through_the_pages(
    world: World,
    qbo: QboEmulator,
    stripe_history: StripeEmulator,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from django.urls import reverse

    slug = world.alice_tenant.slug
    client = world.client_for(world.alice)
    # Connect both (the restricted key is the Stripe emulator's read-only platform key).
    assert client.get(connect_quickbooks(client, slug)).status_code == 302
    response = client.post(
        reverse("connections:stripe_key", args=[slug]), {"api_key": stripe_testing.READONLY_KEY}
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    stripe = Connection.objects.get(method="stripe_key")
    company = Connection.objects.filter(provider="quickbooks", tenant=world.alice_tenant).latest(
        "pk"
    )
    # Link them and let Tieout create the accounts.
    client.post(
        reverse("syncs:profile_create", args=[slug]),
        {"stripe": stripe.pk, "quickbooks": company.pk},
    )
    profile = SyncProfile.objects.get(stripe=stripe)
    setup_done = client.post(reverse("syncs:autosetup", args=[slug, profile.pk]), follow=True)
    assert "Created in QuickBooks" in setup_done.content.decode()
    # Backfill the seeded history from the Syncs page.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("syncs:run_start", args=[slug]),
            {"connection": stripe.pk, "start": "2026-10-01", "end": "2026-10-25"},
        )
    run = SyncRun.objects.filter(connection=stripe).latest("created")
    assert run.status == "succeeded" and run.documents_posted > 50, run.error
    documents = client.get(reverse("syncs:documents", args=[slug]) + "?status=posted")
    assert documents.content.decode().count('class="badge posted"') == 50  # first page
    assert "✓ ties out" in client.get(reverse("syncs:tie_out", args=[slug])).content.decode()
    sale = OutboxDocument.objects.filter(role="sale", status="posted").first()
    assert sale is not None
    detail = client.get(reverse("syncs:document_detail", args=[slug, sale.pk])).content.decode()
    txn = sale.balance_transaction
    assert f"https://dashboard.stripe.com/test/balance/{txn.stripe_id}" in detail
    assert f"txnId={sale.qbo_id}" in detail and txn.source_id in detail
    home = client.get(reverse("tenants:dashboard", args=[slug])).content.decode()
    assert "✓ Ties out" in home


@pytest.fixture
def two_currency_history() -> Iterator[StripeEmulator]:
    with stripe_testing.serve() as emulator:
        emulator.seed(seed=11, days=20, customers=10, currencies="usd,eur")
        with override_settings(STRIPE_API_BASE=emulator.url, STRIPE_CONNECT_BASE=emulator.url):
            yield emulator


def _two_currency_profile(world: World, qbo: QboEmulator, multicurrency: bool) -> SyncProfile:
    from connections.services import quickbooks_refresh_company_facts

    client = world.client_for(world.alice)
    assert client.get(connect_quickbooks(client, world.alice_tenant.slug)).status_code == 302
    company = Connection.objects.filter(provider="quickbooks").latest("pk")
    prefs = qbo.company(company.external_id).preferences
    prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] = multicurrency
    quickbooks_refresh_company_facts(connection_id=company.pk)
    company.refresh_from_db()
    assert company.multicurrency_enabled is multicurrency
    return emulated_profile(world.alice_tenant, company)


def test_it_ties_out_two_currencies_with_multicurrency_on(
    world: World, qbo: QboEmulator, two_currency_history: StripeEmulator
) -> None:
    profile = _two_currency_profile(world, qbo, multicurrency=True)
    report = setup.profile_autosetup(profile=profile)
    assert {"Stripe Clearing – USD", "Stripe Clearing – EUR"} <= set(report.created), report
    run = backfill_everything(profile, two_currency_history)
    stuck = list(
        OutboxDocument.objects.exclude(status="posted").values_list("entity", "last_error")[:2]
    )
    assert run.status == "succeeded" and run.documents_needing_action == 0, (run.problems, stuck)
    clearing = Reconciliation.objects.filter(stripe=profile.stripe, kind="clearing")
    assert set(clearing.values_list("currency", flat=True)) == {"usd", "eur"}
    off = [
        (r.subject, r.difference, r.explanation) for r in Reconciliation.objects.filter(ok=False)
    ]
    assert off == []


def test_it_explains_a_second_currency_with_multicurrency_off(
    world: World, qbo: QboEmulator, two_currency_history: StripeEmulator
) -> None:
    profile = _two_currency_profile(world, qbo, multicurrency=False)
    report = setup.profile_autosetup(profile=profile)
    assert any("multicurrency is off" in p for p in report.problems)
    run = backfill_everything(profile, two_currency_history)
    assert run.documents_needing_action > 0
    assert any("settled in EUR; turn on multicurrency" in p for p in run.problems)
    usd = Reconciliation.objects.get(stripe=profile.stripe, kind="clearing", subject="usd")
    assert usd.ok
