"""Every URL of the project has an isolation check.

`CASES` says, per tenant-scoped URL, how to address alice's objects and what a write looks
like. The tests then prove: charlie (an outsider) gets 404 for every method, also when he puts
alice's object ids under his own organisation; a viewer gets 403 on every write and nothing
changes; alice herself gets through (so the 404s are not vacuous). `test_it_covers_every_url`
fails when a URL is added without a case or a written reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api import services as api_services
from api.models import Partner
from connections.models import Connection, ConnectLink
from mappings.models import ProductItem, QboRef, SyncProfile
from partner_hooks import services as hooks
from partner_hooks.models import Delivery, WebhookEndpoint, WebhookEvent
from syncs.models import OutboxDocument, SyncRun
from tenants.models import Invitation, Membership, Tenant
from tenants.roles import Role
from tests.conftest import World
from tests.factories import ConnectionFactory


@dataclass(frozen=True)
class Case:
    # Ids of alice's objects in the URL; `params` are other URL parts.
    objects: Callable[[World], dict[str, Any]] = lambda w: {}
    params: dict[str, str] = field(default_factory=dict)
    get: bool = True
    post: dict[str, str] | None = None
    owner_only: bool = False


CASES: dict[str, Case] = {
    "tenants:dashboard": Case(),
    "tenants:members": Case(),
    "tenants:settings": Case(post={"name": "Renamed", "time_zone": "UTC", "locale": "en-GB"}),
    "tenants:invitation_create": Case(
        get=False, post={"email": "new@example.com", "role": "viewer"}
    ),
    "tenants:member_role": Case(
        objects=lambda w: {"pk": w.bob_membership.pk}, get=False, post={"role": "viewer"}
    ),
    "tenants:member_remove": Case(
        objects=lambda w: {"pk": w.bob_membership.pk}, get=False, post={}
    ),
    "tenants:invitation_resend": Case(
        objects=lambda w: {"pk": w.alice_invitation.pk}, get=False, post={}
    ),
    "tenants:invitation_revoke": Case(
        objects=lambda w: {"pk": w.alice_invitation.pk}, get=False, post={}
    ),
    "syncs:run_list": Case(),
    "syncs:run_start": Case(
        get=False,
        post={"connection": "0", "start": "2026-10-01", "end": "2026-10-05"},
    ),
    "syncs:run_detail": Case(objects=lambda w: {"pk": w.alice_run.pk}),
    "syncs:setup": Case(),
    "syncs:profile_create": Case(get=False, post={"stripe": "0", "quickbooks": "0"}),
    "syncs:autosetup": Case(objects=lambda w: {"pk": w.alice_profile.pk}, get=False, post={}),
    "syncs:schedule": Case(
        objects=lambda w: {"pk": w.alice_profile.pk},
        get=False,
        post={
            "p0-schedule": "daily",
            "p0-scan_every_minutes": "30",
            "p0-batch_time": "06:00",
            "p0-batch_weekday": "0",
            "p0-closed_period": "hold",
        },
    ),
    "syncs:mappings": Case(objects=lambda w: {"pk": w.alice_profile.pk}),
    "syncs:mapping_choose": Case(
        objects=lambda w: {"pk": w.alice_profile.pk},
        get=False,
        post={"purpose": "fees", "currency": "", "qbo_id": "1"},
    ),
    "syncs:mapping_product": Case(
        objects=lambda w: {"pk": w.alice_profile.pk},
        get=False,
        post={"product_id": "prod_isolation", "qbo_id": "1"},
    ),
    "syncs:mapping_product_remove": Case(
        objects=lambda w: {"pk": w.alice_profile.pk},
        get=False,
        post={"product_id": "prod_alice"},
    ),
    "syncs:mapping_guest": Case(
        objects=lambda w: {"pk": w.alice_profile.pk},
        get=False,
        post={"currency": "", "name": "Walk-in"},
    ),
    "syncs:mapping_refresh": Case(objects=lambda w: {"pk": w.alice_profile.pk}, get=False, post={}),
    "syncs:customer_policy": Case(
        objects=lambda w: {"pk": w.alice_profile.pk},
        get=False,
        post={"customer_policy": "match_by_email"},
    ),
    "syncs:documents": Case(),
    "syncs:document_detail": Case(objects=lambda w: {"pk": w.alice_document.pk}),
    "syncs:document_retry": Case(objects=lambda w: {"pk": w.alice_document.pk}, get=False, post={}),
    "syncs:document_ignore": Case(
        objects=lambda w: {"pk": w.alice_document.pk}, get=False, post={"reason": "test"}
    ),
    "syncs:tie_out": Case(),
    "syncs:errors": Case(),
    "syncs:error_retry": Case(objects=lambda w: {"key": _alice_error_key(w)}, get=False, post={}),
    "connections:list": Case(),
    "connections:stripe_start": Case(params={"flow": "connect"}, get=False, post={}),
    "connections:stripe_key": Case(get=False, post={"api_key": "rk_test_not_a_real_key"}),
    "connections:quickbooks_start": Case(get=False, post={}),
    "connections:disconnect": Case(
        objects=lambda w: {"pk": w.alice_connection.pk}, get=False, post={}
    ),
    "connections:webhook_secret": Case(
        objects=lambda w: {"pk": w.alice_connection.pk},
        get=False,
        post={"secret": "whsec_isolation_test"},
    ),
    "connections:link_create": Case(get=False, post={}),
    "connections:link_revoke": Case(objects=lambda w: {"pk": w.alice_link.pk}, get=False, post={}),
    "api:keys": Case(),
    "api:key_create": Case(get=False, post={"name": "Isolation", "access": "read"}),
    "api:key_revoke": Case(objects=lambda w: {"pk": _alice_api_key(w)}, get=False, post={}),
    "api:org_partner_remove": Case(objects=lambda w: {"pk": _alice_partner(w)}, get=False, post={}),
    "partner_hooks:webhooks": Case(),
    "partner_hooks:endpoint_create": Case(
        get=False, post={"url": "http://127.0.0.1:9/isolation", "event_types": "sync.finished"}
    ),
    "partner_hooks:endpoint_roll_secret": Case(
        objects=lambda w: {"pk": _alice_hook(w).endpoint_id}, get=False, post={}
    ),
    "partner_hooks:endpoint_set_active": Case(
        objects=lambda w: {"pk": _alice_hook(w).endpoint_id}, get=False, post={"active": "off"}
    ),
    "partner_hooks:endpoint_delete": Case(
        objects=lambda w: {"pk": _alice_hook(w).endpoint_id}, get=False, post={}
    ),
    "partner_hooks:endpoint_send_test": Case(
        objects=lambda w: {"pk": _alice_hook(w).endpoint_id}, get=False, post={}
    ),
    "partner_hooks:delivery_retry": Case(
        objects=lambda w: {"pk": _alice_hook(w).pk}, get=False, post={}
    ),
}

# URLs that address no tenant's objects, each with the reason and the test that covers it.
NOT_TENANT_SCOPED = {
    "home": "redirects by the user's own memberships (test_views: test_it_sends_*)",
    "healthz": "public health check with no tenant data (test_health)",
    "tenants:clients": "lists only the user's own organisations (test_it_lists_only_own_clients)",
    "tenants:create": "creates a new organisation owned by the user (test_flow)",
    "tenants:invitation_accept": "public link, the token is the credential (test_invitations)",
    "connections:stripe_callback": "state is bound to the session and re-checked (test_oauth)",
    "connections:quickbooks_callback": "state is bound to the session and re-checked (test_oauth)",
    "connections:quickbooks_disconnected": "a static landing page for Intuit",
    "connections:quickbooks_reconnect": "looks only through the user's own memberships",
    "client_connect": "public page, the link token is the credential (test_connect_link)",
    "client_connect_start": "public, the link token is the credential (test_connect_link)",
    "webhooks:stripe": "signed by Stripe, routed by account (test_webhooks)",
    "webhooks:stripe_connection": "signed with the connection's own secret (test_webhooks)",
    "webhooks:quickbooks": "signed by Intuit, routed by realm (test_webhooks)",
    # A partner belongs to its owner user: any other user gets 404 for every partner URL and
    # method, ids mixed across partners included (tests/api/test_partner_dashboard.py).
    "api:partners": "lists only the user's own partners (tests/api/test_partner_dashboard.py)",
    "api:partner_create": "creates a partner owned by the user (test_partner_dashboard)",
    "api:partner": "the owner's partner only, else 404 (test_partner_dashboard)",
    "api:partner_key_create": "the owner's partner only, else 404 (test_partner_dashboard)",
    "api:partner_key_revoke": "the owner's partner and its key only (test_partner_dashboard)",
    "api:partner_manage": "owner's partner; organisations the user owns (test_partner_dashboard)",
    "api:partner_unmanage": "owner's partner and what it manages only (test_partner_dashboard)",
    "api:partner_rename": "the owner's partner only, else 404 (test_partner_dashboard)",
    "api:partner_delete": "the owner's partner only, else 404 (test_partner_dashboard)",
}
# The partner API authenticates by key and answers problem+json, not the dashboard's login
# redirect: its isolation (a key of A gets 404 for each of B's objects, a read key cannot write,
# a revoked key gets 401) is proven per endpoint in tests/api/test_isolation.py.
API_PREFIXES = {"api_v1:": "partner API, covered by tests/api/test_isolation.py"}
# Whole URL families that are not ours: Django's admin (staff only) and allauth's account pages.
FOREIGN_PREFIXES = ("admin:", "account_", "socialaccount_", "mfa_", "usersessions_")


@pytest.fixture
def world(world: World) -> World:
    """The shared world plus alice's QuickBooks company, sync profile and one outbox row."""
    company = ConnectionFactory(
        tenant=world.alice_tenant, provider="quickbooks", method="intuit_oauth", external_id="4620"
    )
    world.alice_profile = SyncProfile.objects.create(
        tenant=world.alice_tenant, stripe=world.alice_connection, quickbooks=company
    )
    # A product mapping, so that removing it is a real write the viewer must not make.
    ProductItem.objects.create(
        profile=world.alice_profile, stripe_product="prod_alice", qbo_id="7", qbo_name="Widget"
    )
    world.alice_document = OutboxDocument.objects.create(
        tenant=world.alice_tenant,
        quickbooks=company,
        key="world:txn_1:sale:1",
        role="sale",
        entity="SalesReceipt",
        request_id="world-request",
        doc_number="SR-WORLD",
        body="{}",
        amount=1000,
        currency="usd",
        status="needs_action",
        last_error="QuickBooks refused it.",
    )
    # A webhook endpoint with one failed delivery, so that retrying it is a real write.
    hooks.endpoint_create(tenant=world.alice_tenant, url="http://127.0.0.1:9/alice")
    hooks.event_emit(tenant_id=world.alice_tenant.pk, type="sync.finished", data={})
    Delivery.objects.filter(tenant=world.alice_tenant).update(state="failed")
    # A partner run by charlie that manages alice's organisation (alice consented), so that
    # removing it is a real write; charlie himself is still an outsider to her organisation.
    partner = api_services.partner_create(name="Charlie's platform", owner=world.charlie)
    api_services.partner_manage(partner=partner, tenant=world.alice_tenant, by=world.alice)
    return world


def _alice_error_key(world: World) -> str:
    from syncs.pages import _cause_key, cause_of

    assert world.alice_document is not None
    return _cause_key(cause_of(world.alice_document.last_error))


def _alice_api_key(world: World) -> int:
    from api.models import ApiKey
    from api.services import api_key_create

    key = ApiKey.objects.filter(tenant=world.alice_tenant, name="isolation").first()
    if key is None:
        key = api_key_create(
            tenant=world.alice_tenant, name="isolation", access="read", created_by=world.alice
        ).key
    return key.pk


def _alice_partner(world: World) -> int:
    return Partner.objects.get(tenants=world.alice_tenant).pk


def _alice_hook(world: World) -> Delivery:
    return Delivery.objects.get(tenant=world.alice_tenant)


def _all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                names.add(
                    f"{namespace}{pattern.name}" if pattern.name else f"{namespace}<{pattern}>"
                )

    walk(get_resolver().url_patterns, "")
    return names


def test_it_covers_every_url() -> None:
    uncovered = {
        name
        for name in _all_url_names()
        if name not in CASES
        and name not in NOT_TENANT_SCOPED
        and not name.startswith(FOREIGN_PREFIXES)
        and not name.startswith(tuple(API_PREFIXES))
    }
    assert not uncovered, f"URLs without an isolation case in tests/test_isolation.py: {uncovered}"


def _url(name: str, world: World, tenant: Tenant) -> str:
    case = CASES[name]
    return reverse(name, kwargs={"slug": tenant.slug, **case.params, **case.objects(world)})


def _snapshot() -> list[tuple[Any, ...]]:
    return [
        *Tenant.objects.order_by("pk").values_list(),
        *Membership.objects.order_by("pk").values_list(),
        *Invitation.objects.order_by("pk").values_list(),
        *Connection.objects.order_by("pk").values_list(),
        *ConnectLink.objects.order_by("pk").values_list(),
        *SyncRun.objects.order_by("pk").values_list(),
        *SyncProfile.objects.order_by("pk").values_list(),
        *QboRef.objects.order_by("pk").values_list(),
        *ProductItem.objects.order_by("pk").values_list(),
        *OutboxDocument.objects.order_by("pk").values_list(),
        *WebhookEndpoint.objects.order_by("pk").values_list(),
        *WebhookEvent.objects.order_by("pk").values_list(),
        *Delivery.objects.order_by("pk").values_list(),
        *_partner_links(),
    ]


def _partner_links() -> list[tuple[Any, ...]]:
    return list(Partner.tenants.through.objects.order_by("pk").values_list())


def _methods(case: Case, world: World | None = None) -> list[tuple[str, dict[str, str]]]:
    methods: list[tuple[str, dict[str, str]]] = [("get", {})] if case.get else []
    if case.post is not None:
        post = dict(case.post)
        if world is not None and post.get("connection") == "0":
            post["connection"] = str(world.alice_connection.pk)  # alice's own Stripe account
        methods.append(("post", post))
    return methods


@pytest.mark.parametrize("name", sorted(CASES))
def test_it_answers_404_to_an_outsider(world: World, name: str) -> None:
    client = world.client_for(world.charlie)
    before = _snapshot()
    for method, data in _methods(CASES[name], world):
        for tenant in (world.alice_tenant, world.charlie_tenant):
            # Alice's organisation, and alice's object ids under charlie's own organisation.
            if tenant == world.charlie_tenant and not CASES[name].objects(world):
                continue
            response = getattr(client, method)(_url(name, world, tenant), data)
            assert response.status_code == 404, (name, method, tenant.name)
    assert _snapshot() == before


@pytest.mark.parametrize("name", sorted(CASES))
def test_it_sends_anonymous_users_to_sign_in(world: World, name: str) -> None:
    client = world.client_for(None)
    for method, data in _methods(CASES[name], world):
        response = getattr(client, method)(_url(name, world, world.alice_tenant), data)
        assert response.status_code in (302, 405), (name, method)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.post is not None))
def test_it_refuses_writes_by_a_viewer(world: World, name: str) -> None:
    world.make_bob(Role.VIEWER)
    before = _snapshot()
    _, data = _methods(CASES[name], world)[-1]
    response = world.client_for(world.bob).post(_url(name, world, world.alice_tenant), data)
    assert response.status_code == 403, name
    assert _snapshot() == before


@pytest.mark.parametrize("name", sorted(CASES))
def test_it_lets_the_owner_in(world: World, name: str) -> None:
    client = world.client_for(world.alice)
    for method, data in _methods(CASES[name], world):
        response = getattr(client, method)(_url(name, world, world.alice_tenant), data)
        # 400 is a form error for the made-up input: access was granted.
        assert response.status_code in (200, 302, 400), (name, method, response.status_code)
