"""API test helpers: keys for the world's organisations, a JSON client, seeded objects.

alice's organisation is "A" and charlie's is "B" in the isolation tests: every kind of object
the API serves exists in both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from api import services
from api.models import ApiKey, Partner
from connections.models import Connection
from mappings.models import ProductItem, QboRef, SyncProfile
from partner_hooks.models import Delivery, WebhookEndpoint, WebhookEvent
from syncs.models import BalanceTransaction, OutboxDocument, Payout, Reconciliation, SyncRun
from tenants.models import Invitation, Membership, Tenant
from tests.conftest import World
from tests.factories import ConnectionFactory, ConnectLinkFactory, InvitationFactory

WHEN = datetime(2026, 10, 14, 12, 0, tzinfo=UTC)


@dataclass
class Org:
    """One organisation's objects, each of a kind the API serves."""

    tenant: Tenant
    stripe: Connection
    quickbooks: Connection
    profile: SyncProfile
    run: SyncRun
    document: OutboxDocument
    posted: OutboxDocument
    tie_out: Reconciliation
    invitation: Invitation
    link: Any
    member: Membership
    webhook: WebhookEndpoint
    ids: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.tenant.slug


def seed_org(tenant: Tenant, stripe: Connection | None = None, tag: str = "a") -> Org:
    stripe = stripe or ConnectionFactory(tenant=tenant, external_id=f"acct_api_{tag}")
    quickbooks = ConnectionFactory(
        tenant=tenant,
        provider="quickbooks",
        method="intuit_oauth",
        external_id=f"46{tag}",
        home_currency="usd",
    )
    profile = SyncProfile.objects.create(tenant=tenant, stripe=stripe, quickbooks=quickbooks)
    QboRef.objects.create(
        profile=profile, purpose="clearing", currency="usd", qbo_id="92", qbo_name="Clearing"
    )
    ProductItem.objects.create(profile=profile, stripe_product="prod_x", qbo_id="7", qbo_name="X")
    payout = Payout.objects.create(
        tenant=tenant,
        connection=stripe,
        stripe_id=f"po_{tag}1",
        amount=4681,
        currency="usd",
        status="paid",
        automatic=True,
        arrival_date=WHEN,
        created=WHEN,
        raw={},
    )
    txn = BalanceTransaction.objects.create(
        tenant=tenant,
        connection=stripe,
        stripe_id=f"txn_{tag}1",
        type="charge",
        reporting_category="charge",
        amount=5000,
        fee=319,
        net=4681,
        currency="usd",
        status="available",
        created=WHEN,
        available_on=WHEN,
        source_id=f"ch_{tag}1",
        source_type="charge",
        payout=payout,
        raw={},
    )

    def doc(n: int, status: str, error: str = "") -> OutboxDocument:
        return OutboxDocument.objects.create(
            tenant=tenant,
            quickbooks=quickbooks,
            balance_transaction=txn,
            key=f"{tag}:txn:{n}",
            role="sale" if n == 1 else "fee",
            entity="SalesReceipt" if n == 1 else "Purchase",
            request_id=f"{tag}-request-{n}",
            doc_number=f"S-{tag.upper()}{n}",
            body='{"TotalAmt": 50.00}',
            amount=5000 if n == 1 else 319,
            currency="usd",
            status=status,
            last_error=error,
        )

    # Error groups are keyed by cause: a different cause per organisation.
    account = "Sales" if tag == "a" else "Fees"
    document = doc(1, "needs_action", f"QuickBooks refused it: the {account} account is inactive.")
    posted = doc(2, "posted")
    webhook = WebhookEndpoint.objects.create(tenant=tenant, url=f"http://127.0.0.1:9/{tag}")
    event = WebhookEvent.objects.create(tenant=tenant, type="sync.finished", payload={"n": 1})
    Delivery.objects.create(tenant=tenant, endpoint=webhook, event=event)
    members = Membership.objects.filter(tenant=tenant).exclude(role="owner")
    member = members.first() or Membership.objects.filter(tenant=tenant).first()
    assert member is not None
    return Org(
        tenant=tenant,
        stripe=stripe,
        quickbooks=quickbooks,
        profile=profile,
        run=SyncRun.objects.create(
            tenant=tenant, connection=stripe, kind="backfill", trigger="user"
        ),
        document=document,
        posted=posted,
        tie_out=Reconciliation.objects.create(
            tenant=tenant,
            stripe=stripe,
            kind="payout",
            subject=payout.stripe_id,
            currency="usd",
            stripe_amount=4681,
            quickbooks_amount=4681,
            ok=True,
        ),
        invitation=InvitationFactory(tenant=tenant),
        link=ConnectLinkFactory(tenant=tenant),
        member=member,
        webhook=webhook,
    )


@dataclass
class ApiWorld:
    world: World
    a: Org
    b: Org
    a_rw: str
    a_read: str
    b_rw: str
    partner: Partner
    partner_rw: str
    partner_read: str


@pytest.fixture
def api(world: World) -> ApiWorld:
    a = seed_org(world.alice_tenant, world.alice_connection, "a")
    b = seed_org(world.charlie_tenant, tag="b")

    def key(tenant: Tenant, access: str) -> str:
        return services.api_key_create(
            tenant=tenant, name="test", access=ApiKey.Access(access), created_by=world.alice
        ).token

    partner = Partner.objects.create(name="Platform", owner=world.bob)
    partner.tenants.add(world.bob_tenant)

    def partner_key(access: str) -> str:
        return services.partner_key_create(
            partner=partner, name="test", access=ApiKey.Access(access), created_by=None
        ).token

    return ApiWorld(
        world=world,
        a=a,
        b=b,
        a_rw=key(world.alice_tenant, "read_write"),
        a_read=key(world.alice_tenant, "read"),
        b_rw=key(world.charlie_tenant, "read_write"),
        partner=partner,
        partner_rw=partner_key("read_write"),
        partner_read=partner_key("read"),
    )


def call(
    method: str,
    url: str,
    token: str | None = None,
    data: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A JSON request with a bearer key; returns the response (with `.json()`)."""
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    for name, value in (headers or {}).items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    body = json.dumps(data) if data is not None else ""
    return getattr(Client(), method)(url, body, content_type="application/json", **extra)


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"api_v1:{name}", kwargs=kwargs)
