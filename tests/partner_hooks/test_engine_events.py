"""Each event type comes out of the real sync engine, against the emulators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from connections.models import Connection
from connections.providers.quickbooks import client as qbo_client
from connections.services import quickbooks_call
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.stripe import testing as stripe_testing
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from mappings.models import QboRef, SyncProfile
from partner_hooks import services as hooks
from partner_hooks import tasks as hook_tasks
from partner_hooks.models import Delivery, WebhookEndpoint, WebhookEvent
from syncs import services, setup
from syncs.models import OutboxDocument, Reconciliation
from syncs.planner import canonical_json
from syncs.tasks import post_outbox, run_sync
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks
from tests.partner_hooks.conftest import Receiver
from tests.syncs.emulated import backfill_everything, emulated_profile

pytestmark = pytest.mark.django_db


def _subscribe(world: World, receiver: Receiver) -> WebhookEndpoint:
    return hooks.endpoint_create(tenant=world.alice_tenant, url=receiver.url)


def _sent(receiver: Receiver) -> list[dict[str, Any]]:
    hook_tasks.sweep_webhook_deliveries()  # what beat does; the test transaction never commits
    return [json.loads(r.body) for r in receiver.received]


def test_a_failed_run_announces_sync_finished(world: World, receiver: Receiver) -> None:
    _subscribe(world, receiver)
    run_sync(world.alice_run.pk)  # Stripe is unreachable in tests: the run fails, cleanly
    [body] = _sent(receiver)
    assert body["type"] == "sync.finished"
    run = body["data"]["run"]
    assert (run["id"], run["status"]) == (world.alice_run.pk, "failed")
    assert run["error"] and run["finished_at"]
    assert body["data"]["stripe_account"] == "acct_alice_world"
    assert run["url"].endswith(f"/o/{world.alice_tenant.slug}/syncs/{world.alice_run.pk}/")


def test_it_announces_nothing_to_an_organisation_without_endpoints(world: World) -> None:
    # charlie's endpoint must not hear about alice's run (nor must alice's run create rows).
    hooks.endpoint_create(tenant=world.charlie_tenant, url="http://127.0.0.1:9/charlie")
    run_sync(world.alice_run.pk)
    assert not WebhookEvent.objects.exists() and not Delivery.objects.exists()


# --- error.raised: a document QuickBooks refuses, through the task the sweeper rings -------


@pytest.fixture
def company(world: World, qbo: QboEmulator) -> Connection:
    client = world.client_for(world.alice)
    assert client.get(connect_quickbooks(client, world.alice_tenant.slug)).status_code == 302
    return Connection.objects.filter(provider="quickbooks", tenant=world.alice_tenant).latest("pk")


def _deposit(company: Connection, qbo: QboEmulator, cents: int, request_id: str) -> None:
    accounts = {
        a["Name"]: a["Id"] for a in qbo.company(company.external_id).entities["Account"].values()
    }
    amount = Decimal(cents) / 100
    body = {
        "DocNumber": "TO-HOOK-1",
        "TxnDate": "2026-11-02",
        "DepositToAccountRef": {"value": accounts["Checking"]},
        "Line": [
            {
                "Amount": amount,
                "DetailType": "DepositLineDetail",
                "DepositLineDetail": {"AccountRef": {"value": accounts["Services"]}},
            }
        ],
        "TotalAmt": amount,
    }
    OutboxDocument.objects.update_or_create(
        key=f"{company.pk}:txn_hook:deposit:0",
        defaults={
            "tenant": company.tenant,
            "quickbooks": company,
            "role": "deposit",
            "entity": "Deposit",
            "request_id": request_id,
            "doc_number": "TO-HOOK-1",
            "body": canonical_json(body),
            "amount": cents,
            "currency": "usd",
            "status": "planned",
        },
    )


def test_a_refused_document_announces_error_raised_once_per_attempt(
    world: World, company: Connection, qbo: QboEmulator, receiver: Receiver
) -> None:
    _subscribe(world, receiver)
    _deposit(company, qbo, 1000, "r-first")
    post_outbox(company.pk)
    assert _sent(receiver) == []  # posted fine: nothing to announce

    # The same number again with another amount: QuickBooks has it, and it is not ours.
    _deposit(company, qbo, 99_999, "r-clash")
    post_outbox(company.pk)
    document = OutboxDocument.objects.get()
    assert document.status == "needs_action"
    [body] = _sent(receiver)
    assert body["type"] == "error.raised"
    assert body["data"] == {
        "document": {
            "id": document.pk,
            "entity": "Deposit",
            "doc_number": "TO-HOOK-1",
            "amount": 99_999,
            "currency": "usd",
            "status": "needs_action",
            "message": document.last_error,
            "stripe_balance_transaction": None,
            "url": body["data"]["document"]["url"],
        },
        "quickbooks_company": company.external_id,
    }
    assert "already has a Deposit numbered TO-HOOK-1" in document.last_error

    post_outbox(company.pk)  # the parked document is not sent again, nor announced again
    assert len(_sent(receiver)) == 1

    # A person retries it; it is refused again: a new problem, a new event.
    services.outbox_retry(documents=OutboxDocument.objects.all())
    post_outbox(company.pk)
    bodies = _sent(receiver)
    assert [b["type"] for b in bodies] == ["error.raised", "error.raised"]
    assert bodies[0]["id"] != bodies[1]["id"]


def test_a_document_recovered_from_a_dead_worker_is_announced_too(
    world: World, company: Connection, qbo: QboEmulator, receiver: Receiver
) -> None:
    _subscribe(world, receiver)
    _deposit(company, qbo, 1000, "r-first")
    post_outbox(company.pk)
    # A worker died while sending a clashing document an hour ago: recovery finds the number
    # taken by another amount and parks the document for a person.
    _deposit(company, qbo, 99_999, "r-clash")
    OutboxDocument.objects.update(status="sending", sent_at=timezone.now() - timedelta(hours=1))
    post_outbox(company.pk)
    assert OutboxDocument.objects.get().status == "needs_action"
    assert [b["type"] for b in _sent(receiver)] == ["error.raised"]


# --- sync.finished and tie_out.broken from whole syncs --------------------------------------


@pytest.fixture
def stripe_history() -> Iterator[StripeEmulator]:
    with stripe_testing.serve() as emulator:
        emulator.seed(seed=11, days=6, customers=3, currencies="usd")
        emulator.client().v1.payment_intents.create(
            {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        )
        with override_settings(STRIPE_API_BASE=emulator.url, STRIPE_CONNECT_BASE=emulator.url):
            yield emulator


@pytest.fixture
def profile(world: World, company: Connection, stripe_history: StripeEmulator) -> SyncProfile:
    return emulated_profile(world.alice_tenant, company)


def _move_money_by_hand(profile: SyncProfile) -> None:
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


@pytest.mark.slow
def test_syncs_announce_their_end_and_a_tie_out_that_breaks_only_when_it_breaks(
    world: World,
    profile: SyncProfile,
    stripe_history: StripeEmulator,
    receiver: Receiver,
) -> None:
    backfill_everything(profile, stripe_history)
    assert not setup.profile_autosetup(profile=profile).problems
    endpoint = _subscribe(world, receiver)

    run = backfill_everything(profile, stripe_history)
    assert run.status == "succeeded" and run.documents_posted > 0
    assert Reconciliation.objects.get(stripe=profile.stripe, kind="clearing").ok
    [finished] = _sent(receiver)
    assert finished["type"] == "sync.finished"
    assert finished["data"]["run"] | {"url": ""} == {
        "id": run.pk,
        "kind": "backfill",
        "trigger": "user",
        "status": "succeeded",
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "transactions_seen": run.transactions_seen,
        "transactions_new": run.transactions_new,
        "documents_planned": run.documents_planned,
        "documents_posted": run.documents_posted,
        "documents_waiting": run.documents_waiting,
        "documents_needing_action": 0,
        "problems": [],
        "error": "",
        "url": "",
    }

    _move_money_by_hand(profile)
    broken_run = backfill_everything(profile, stripe_history)
    types = [b["type"] for b in _sent(receiver)]
    # The tie-out runs inside the sync, so its event comes before the run's end.
    assert types == ["sync.finished", "tie_out.broken", "sync.finished"]
    broken = next(b for b in _sent(receiver) if b["type"] == "tie_out.broken")
    clearing = Reconciliation.objects.get(stripe=profile.stripe, kind="clearing")
    assert broken["data"]["tie_out"] | {"url": ""} == {
        "id": clearing.pk,
        "kind": "clearing",
        "subject": "usd",
        "currency": "usd",
        "stripe_amount": clearing.stripe_amount,
        "quickbooks_amount": clearing.stripe_amount - 1234,
        "difference": -1234,
        "explanation": clearing.explanation,
        "checked_at": clearing.checked_at.isoformat(),
        "url": "",
    }
    assert "entries made by hand" in clearing.explanation
    assert broken_run.status == "succeeded"

    # Still broken on the next run: that is not news.
    backfill_everything(profile, stripe_history)
    types = [b["type"] for b in _sent(receiver)]
    assert types == ["sync.finished", "tie_out.broken", "sync.finished", "sync.finished"]
    assert Delivery.objects.filter(endpoint=endpoint, state="succeeded").count() == 4
