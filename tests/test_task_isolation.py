"""Tenant isolation for every Celery task, against the emulators.

Two organisations, A (alice's) and B (charlie's), each with its own Stripe account (a restricted
key on a different connected account) and its own QuickBooks company (another realm), a sync
profile, outbox rows, inbox events and partner webhook deliveries.

- A task given A's ids runs for A, and B's rows (connections, tokens, runs, outbox, inbox,
  ledger, partner webhooks) are exactly as before, and neither emulator saw a request for B's
  Stripe account or QuickBooks realm.
- A beat task that acts on every organisation uses each one's own credentials: every QuickBooks
  call for realm X carries X's token, every Stripe call for account X carries X's key, every
  partner delivery goes to its own organisation's URL signed with that endpoint's secret.

`test_it_covers_every_task` fails for a registered task without a case here (like
tests/test_isolation.py does for URLs).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from connections.models import Connection, InboundEvent
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from mappings.models import SyncProfile
from partner_hooks import signing
from partner_hooks import transport as partner_transport
from partner_hooks.models import Delivery, WebhookEndpoint, WebhookEvent
from syncs.models import (
    BalanceTransaction,
    OutboxDocument,
    Payout,
    PostingLease,
    Reconciliation,
    SourceObject,
    SyncRun,
)
from syncs.planner import canonical_json
from tenants.models import Tenant
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

STRIPE_READS = {
    "balance": "read",
    "charge": "read",
    "dispute": "read",
    "payout": "read",
    "customer": "read",
    "event": "read",
    "account": "read",
}


# --- Two organisations on the emulators -------------------------------------------------------


@dataclass
class Org:
    tenant: Tenant
    stripe: Connection
    quickbooks: Connection
    profile: SyncProfile
    endpoint: WebhookEndpoint

    @property
    def account(self) -> str:
        return self.stripe.external_id

    @property
    def realm(self) -> str:
        return self.quickbooks.external_id


@dataclass
class Calls:
    """What the emulators were asked, and with whose credentials."""

    qbo: list[tuple[str, str | None]] = field(default_factory=list)  # (realm, token's realm)
    qbo_refreshes: list[str | None] = field(default_factory=list)  # refresh token's realm
    stripe: list[tuple[str, str]] = field(default_factory=list)  # (account, key)
    partner: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def clear(self) -> None:
        self.qbo.clear()
        self.qbo_refreshes.clear()
        self.stripe.clear()
        self.partner.clear()

    def realms(self) -> set[str]:
        return (
            {realm for realm, _ in self.qbo}
            | {r for _, r in self.qbo if r}
            | {r for r in self.qbo_refreshes if r}
        )

    def accounts(self) -> set[str]:
        return {account for account, _ in self.stripe}


@dataclass
class Two:
    a: Org
    b: Org
    qbo: QboEmulator
    stripe_emu: StripeEmulator
    calls: Calls


def _token_realm(qbo: QboEmulator, header: str) -> str | None:
    entry = qbo.app.oauth._table("access").get(header.removeprefix("Bearer ").strip())
    return None if entry is None else str(entry["realm_id"])


def _refresh_realm(qbo: QboEmulator, token: str) -> str | None:
    oauth = qbo.app.oauth
    entry = oauth._table("refresh").get(token)
    if entry is None:
        return None
    return str(oauth._table("grants")[entry["grant"]]["realm_id"])


def _record_calls(
    qbo: QboEmulator, stripe_emu: StripeEmulator, monkeypatch: pytest.MonkeyPatch
) -> Calls:
    calls = Calls()
    guarded, token = qbo.app._guarded, qbo.app.oauth.token

    def qbo_api(request: Any, realm: str, *args: Any) -> Any:
        calls.qbo.append((realm, _token_realm(qbo, request.headers.get("Authorization", ""))))
        return guarded(request, realm, *args)

    def qbo_token(request: Any) -> Any:
        if request.form.get("grant_type") == "refresh_token":
            calls.qbo_refreshes.append(_refresh_realm(qbo, request.form.get("refresh_token", "")))
        return token(request)

    target = stripe_emu.app._target_account

    def stripe_account(request: Any, key: str, info: dict[str, Any]) -> str:
        account = target(request, key, info)
        calls.stripe.append((account, key))
        return account

    def partner_post(url: str, *, body: bytes, headers: dict[str, str]) -> Any:
        calls.partner.append((url, headers, body))
        return partner_transport.Answer(200, "ok", "", 1)

    monkeypatch.setattr(qbo.app, "_guarded", qbo_api)
    monkeypatch.setattr(qbo.app.oauth, "token", qbo_token)
    monkeypatch.setattr(stripe_emu.app, "_target_account", stripe_account)
    monkeypatch.setattr(partner_transport, "post", partner_post)
    return calls


def _org(
    world: World, user: Any, tenant: Tenant, qbo: QboEmulator, stripe_emu: StripeEmulator
) -> Org:
    client = world.client_for(user)
    assert client.get(connect_quickbooks(client, tenant.slug, f"{tenant.name} Books")).status_code
    company = Connection.objects.get(tenant=tenant, provider="quickbooks")
    account = stripe_emu.connected_account()["account"]
    stripe_emu.client().v1.payment_intents.create(
        {"amount": 4200, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
        {"stripe_account": account},
    )
    stripe = ConnectionFactory(
        tenant=tenant,
        method="stripe_key",
        external_id=account,
        api_key=stripe_emu.restricted_key(STRIPE_READS, account=account),
    )
    profile = SyncProfile.objects.create(tenant=tenant, stripe=stripe, quickbooks=company)
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, url=f"https://hooks.example.com/{tenant.slug}"
    )
    return Org(tenant, stripe, company, profile, endpoint)


@pytest.fixture
def two(
    world: World,
    qbo: QboEmulator,
    stripe_emu: StripeEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Two]:
    a = _org(world, world.alice, world.alice_tenant, qbo, stripe_emu)
    b = _org(world, world.charlie, world.charlie_tenant, qbo, stripe_emu)
    assert a.realm != b.realm and a.account != b.account
    yield Two(a, b, qbo, stripe_emu, _record_calls(qbo, stripe_emu, monkeypatch))


# --- Rows to work on, and B's snapshot --------------------------------------------------------

_documents = iter(range(1, 1_000_000))


def _due_deposit(org: Org, qbo: QboEmulator) -> OutboxDocument:
    by_name = {a["Name"]: a["Id"] for a in qbo.company(org.realm).entities["Account"].values()}
    n = next(_documents)
    number = f"ISO-{org.tenant.pk}-{n:05d}"
    body = {
        "DocNumber": number,
        "TxnDate": "2026-11-02",
        "DepositToAccountRef": {"value": by_name["Checking"]},
        "Line": [
            {
                "Amount": Decimal("12.34"),
                "DetailType": "DepositLineDetail",
                "DepositLineDetail": {"AccountRef": {"value": by_name["Services"]}},
            }
        ],
        "TotalAmt": Decimal("12.34"),
    }
    return OutboxDocument.objects.create(
        tenant=org.tenant,
        quickbooks=org.quickbooks,
        key=f"{org.quickbooks.pk}:iso:{n}",
        role="deposit",
        entity="Deposit",
        request_id=f"iso{org.tenant.pk}x{n:030d}",
        doc_number=number,
        body=canonical_json(body),
        amount=1234,
        currency="usd",
    )


def _inbound(org: Org, event_id: str, *, stale: bool = False) -> InboundEvent:
    return InboundEvent.objects.create(
        provider="stripe",
        event_id=event_id,
        account=org.account,
        livemode=False,
        type="charge.succeeded",
        payload={"id": event_id, "type": "charge.succeeded"},
        connection=org.stripe,
        tenant=org.tenant,
        status=InboundEvent.Status.RECEIVED,
        received_at=timezone.now() - timedelta(minutes=5 if stale else 0),
    )


def _delivery(org: Org) -> Delivery:
    event = WebhookEvent.objects.create(tenant=org.tenant, type="ping", payload={"n": 1})
    return Delivery.objects.create(tenant=org.tenant, endpoint=org.endpoint, event=event)


def _expiring(org: Org) -> None:
    Connection.objects.filter(pk=org.quickbooks.pk).update(
        access_expires_at=timezone.now() + timedelta(minutes=1)
    )


TENANT_ROWS: list[type[models.Model]] = [
    Connection,
    SyncProfile,
    SyncRun,
    OutboxDocument,
    InboundEvent,
    BalanceTransaction,
    SourceObject,
    Payout,
    Reconciliation,
    WebhookEndpoint,
    WebhookEvent,
    Delivery,
]


def snapshot(tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    rows = {
        model.__name__: list(model.objects.filter(tenant=tenant).order_by("pk").values())
        for model in TENANT_ROWS
    }
    rows["PostingLease"] = list(
        PostingLease.objects.filter(quickbooks__tenant=tenant).order_by("pk").values()
    )
    return rows


def assert_untouched(two: Two, org: Org, before: dict[str, list[dict[str, Any]]]) -> None:
    after = snapshot(org.tenant)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"{org.tenant.name}'s rows changed: {changed}"
    assert org.realm not in two.calls.realms(), two.calls.qbo
    assert org.account not in two.calls.accounts(), two.calls.stripe
    assert not [url for url, _, _ in two.calls.partner if url == org.endpoint.url]


def assert_own_credentials(two: Two) -> None:
    """Every call for an organisation's realm, account or endpoint used its own credentials."""
    wrong_token = [(realm, granted) for realm, granted in two.calls.qbo if realm != granted]
    assert not wrong_token, f"QuickBooks calls with another realm's token: {wrong_token}"
    keys = {o.account: o.stripe.api_key for o in (two.a, two.b)}
    wrong_key = [
        (account, key[:12]) for account, key in two.calls.stripe if keys.get(account) != key
    ]
    assert not wrong_key, f"Stripe calls with another account's key: {wrong_key}"
    endpoints = {o.endpoint.url: o.endpoint for o in (two.a, two.b)}
    for url, headers, body in two.calls.partner:
        endpoint = endpoints[url]
        assert signing.verify(secret=endpoint.secret, body=body, header=headers[signing.HEADER])
        assert json.loads(body)["organisation"] == endpoint.tenant.slug


# --- One case per task ------------------------------------------------------------------------

Case = Callable[[Two], None]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(function: Case) -> Case:
        CASES[name] = function
        return function

    return register


@case("syncs.tasks.run_sync")
def _run_sync(two: Two) -> None:
    from syncs.tasks import run_sync

    now = datetime.fromtimestamp(two.stripe_emu.store.now, tz=UTC)
    run = SyncRun.objects.create(
        tenant=two.a.tenant,
        connection=two.a.stripe,
        kind="backfill",
        trigger="user",
        range_start=now - timedelta(days=1),
        range_end=now + timedelta(hours=1),
    )
    SyncRun.objects.create(
        tenant=two.b.tenant, connection=two.b.stripe, kind="backfill", trigger="user"
    )
    before = snapshot(two.b.tenant)
    run_sync(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert BalanceTransaction.objects.filter(connection=two.a.stripe).exists()
    assert two.calls.accounts() == {two.a.account}
    assert_untouched(two, two.b, before)


@case("syncs.tasks.post_outbox")
def _post_outbox(two: Two) -> None:
    from syncs.tasks import post_outbox

    mine = _due_deposit(two.a, two.qbo)
    _due_deposit(two.b, two.qbo)
    before = snapshot(two.b.tenant)
    post_outbox(two.a.quickbooks.pk)
    mine.refresh_from_db()
    assert mine.status == "posted", mine.last_error
    assert two.calls.realms() == {two.a.realm}
    assert_untouched(two, two.b, before)


@case("connections.tasks.drain_inbox")
def _drain_inbox(two: Two) -> None:
    from connections.tasks import drain_inbox

    mine = _inbound(two.a, "evt_a_drain")
    _inbound(two.b, "evt_b_drain")
    before = snapshot(two.b.tenant)
    drain_inbox(two.a.stripe.pk)
    mine.refresh_from_db()
    assert mine.status == "processed"
    assert SyncRun.objects.filter(connection=two.a.stripe, kind="webhook").exists()
    assert_untouched(two, two.b, before)


@case("connections.tasks.dispatch_inbound_event")
def _dispatch_inbound_event(two: Two) -> None:
    from connections.tasks import dispatch_inbound_event

    mine = _inbound(two.a, "evt_a_dispatch")
    _inbound(two.b, "evt_b_dispatch")
    before = snapshot(two.b.tenant)
    dispatch_inbound_event(mine.pk)
    mine.refresh_from_db()
    assert mine.status == "processed"
    assert_untouched(two, two.b, before)


@case("connections.tasks.refresh_connection_token")
def _refresh_connection_token(two: Two) -> None:
    from connections.tasks import refresh_connection_token

    _expiring(two.a)
    _expiring(two.b)
    old = Connection.objects.get(pk=two.a.quickbooks.pk).access_token
    before = snapshot(two.b.tenant)
    refresh_connection_token(two.a.quickbooks.pk)
    fresh = Connection.objects.get(pk=two.a.quickbooks.pk).access_token
    assert fresh != old and _token_realm(two.qbo, fresh) == two.a.realm
    assert two.calls.qbo_refreshes == [two.a.realm]
    assert_untouched(two, two.b, before)


@case("connections.tasks.refresh_company_facts_for")
def _refresh_company_facts_for(two: Two) -> None:
    from connections.tasks import refresh_company_facts_for

    before = snapshot(two.b.tenant)
    refresh_company_facts_for(two.a.quickbooks.pk)
    assert two.calls.realms() == {two.a.realm}
    assert_untouched(two, two.b, before)


@case("partner_hooks.tasks.deliver_webhook")
def _deliver_webhook(two: Two) -> None:
    from partner_hooks.tasks import deliver_webhook

    mine = _delivery(two.a)
    _delivery(two.b)
    before = snapshot(two.b.tenant)
    deliver_webhook(mine.pk)
    mine.refresh_from_db()
    assert mine.state == "succeeded"
    assert [url for url, _, _ in two.calls.partner] == [two.a.endpoint.url]
    assert_own_credentials(two)
    assert_untouched(two, two.b, before)


@case("tenants.tasks.heartbeat")
def _heartbeat(two: Two) -> None:
    """Belongs to no organisation: it must touch nobody's rows and call no provider."""
    from tenants.tasks import heartbeat

    a, b = snapshot(two.a.tenant), snapshot(two.b.tenant)
    heartbeat()
    assert_untouched(two, two.a, a)
    assert_untouched(two, two.b, b)


@case("api.tasks.purge_idempotency_records")
def _purge_idempotency_records(two: Two) -> None:
    """Belongs to no organisation: it forgets expired Idempotency-Key answers of every API
    key alike, and must touch no organisation's rows and call no provider."""
    from api.tasks import purge_idempotency_records

    a, b = snapshot(two.a.tenant), snapshot(two.b.tenant)
    purge_idempotency_records()
    assert_untouched(two, two.a, a)
    assert_untouched(two, two.b, b)


# Beat tasks for every organisation: each one's own credentials, and each one reached.


@case("syncs.tasks.sweep_outbox")
def _sweep_outbox(two: Two) -> None:
    from syncs.tasks import sweep_outbox

    a, b = _due_deposit(two.a, two.qbo), _due_deposit(two.b, two.qbo)
    sweep_outbox()
    assert two.calls.realms() == {two.a.realm, two.b.realm}
    assert_own_credentials(two)
    for org, row in ((two.a, a), (two.b, b)):
        row.refresh_from_db()
        assert row.status == "posted", row.last_error
        deposits = two.qbo.company(org.realm).entities.get("Deposit", {}).values()
        assert [d["DocNumber"] for d in deposits] == [row.doc_number]


@case("syncs.tasks.schedule_safety_net_scans")
def _schedule_safety_net_scans(two: Two) -> None:
    from django.test.testcases import TestCase

    from syncs.tasks import schedule_safety_net_scans

    with TestCase.captureOnCommitCallbacks(execute=True):
        schedule_safety_net_scans()
    for org in (two.a, two.b):
        scan = SyncRun.objects.get(connection=org.stripe, kind="scan")
        assert (scan.tenant_id, scan.status) == (org.tenant.pk, "succeeded"), scan.error
    assert two.calls.accounts() == {two.a.account, two.b.account}
    assert_own_credentials(two)


@case("connections.tasks.sweep_inbox")
def _sweep_inbox(two: Two) -> None:
    from connections.tasks import sweep_inbox

    events = [
        _inbound(two.a, "evt_a_sweep", stale=True),
        _inbound(two.b, "evt_b_sweep", stale=True),
    ]
    sweep_inbox()
    for org, event in zip((two.a, two.b), events, strict=True):
        event.refresh_from_db()
        assert event.status == "processed"
        run = SyncRun.objects.get(kind="webhook", connection__tenant=org.tenant)
        assert (run.connection_id, run.tenant_id) == (org.stripe.pk, org.tenant.pk)
    assert_own_credentials(two)


@case("connections.tasks.refresh_expiring_tokens")
def _refresh_expiring_tokens(two: Two) -> None:
    from connections.tasks import refresh_expiring_tokens

    _expiring(two.a)
    _expiring(two.b)
    refresh_expiring_tokens()
    assert sorted(two.calls.qbo_refreshes) == sorted([two.a.realm, two.b.realm])  # type: ignore[type-var]
    for org in (two.a, two.b):
        token = Connection.objects.get(pk=org.quickbooks.pk).access_token
        assert _token_realm(two.qbo, token) == org.realm


@case("connections.tasks.refresh_company_facts")
def _refresh_company_facts(two: Two) -> None:
    from connections.tasks import refresh_company_facts

    refresh_company_facts()
    assert two.calls.realms() == {two.a.realm, two.b.realm}
    assert_own_credentials(two)


@case("partner_hooks.tasks.sweep_webhook_deliveries")
def _sweep_webhook_deliveries(two: Two) -> None:
    from partner_hooks.tasks import sweep_webhook_deliveries

    deliveries = [_delivery(two.a), _delivery(two.b)]
    sweep_webhook_deliveries()
    assert sorted(url for url, _, _ in two.calls.partner) == sorted(
        [two.a.endpoint.url, two.b.endpoint.url]
    )
    assert_own_credentials(two)
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert delivery.state == "succeeded"


# --- The registry -----------------------------------------------------------------------------


def our_tasks() -> set[str]:
    from config.celery import app

    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_it_covers_every_task() -> None:
    missing = sorted(our_tasks() - CASES.keys())
    assert not missing, (
        f"Celery tasks without a tenant isolation case: {missing}. Add one to "
        "tests/test_task_isolation.py with @case('<task name>'): a task that takes an "
        "organisation's ids runs for A and must leave B untouched (assert_untouched); a beat "
        "task for every organisation must use each one's own credentials "
        "(assert_own_credentials)."
    )
    stale = sorted(CASES.keys() - our_tasks())
    assert not stale, f"isolation cases for tasks that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_task_keeps_to_its_organisation(name: str, two: Two) -> None:
    two.calls.clear()
    CASES[name](two)
