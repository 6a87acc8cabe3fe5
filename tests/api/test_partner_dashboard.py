"""The dashboard pages for partners (/partners/…): only the partner's owner sees or changes it.

A partner is user-scoped, not organisation-scoped, so tests/test_isolation.py lists these URLs
as not tenant-scoped and points here: another user gets 404 for every URL and method, with
the partner's own ids and with ids mixed across partners, and nothing changes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from api import services
from api.models import ApiKey, Partner
from tenants.models import Membership, Tenant, hash_token
from tenants.roles import Role
from tests.api.conftest import call, url
from tests.conftest import World
from tests.factories import MembershipFactory

TOKEN = re.compile(r'value="(tk_ptr_[A-Za-z0-9]{40})"')


def _snapshot() -> list[tuple[Any, ...]]:
    return [
        *Partner.objects.order_by("pk").values_list(),
        *Partner.tenants.through.objects.order_by("pk").values_list(),
        *ApiKey.objects.order_by("pk").values_list(),
        *Tenant.objects.order_by("pk").values_list(),
        *Membership.objects.order_by("pk").values_list(),
    ]


def _alices_partner(world: World) -> tuple[Partner, ApiKey]:
    """alice's partner, managing her organisation, with one active key."""
    partner = services.partner_create(name="Alice Platform", owner=world.alice)
    services.partner_manage(partner=partner, tenant=world.alice_tenant, by=world.alice)
    key = services.partner_key_create(
        partner=partner, name="sync", access=ApiKey.Access.READ, created_by=world.alice
    ).key
    return partner, key


def _urls(partner: Partner, key: ApiKey, slug: str) -> list[tuple[str, str, dict[str, str]]]:
    """Every partner URL that names a partner, with the method and a valid body."""
    pk = partner.pk
    return [
        ("get", reverse("api:partner", args=[pk]), {}),
        ("post", reverse("api:partner_key_create", args=[pk]), {"name": "x", "access": "read"}),
        ("post", reverse("api:partner_key_revoke", args=[pk, key.pk]), {}),
        ("post", reverse("api:partner_manage", args=[pk]), {"organisation": slug}),
        ("post", reverse("api:partner_unmanage", args=[pk, slug]), {}),
        ("post", reverse("api:partner_rename", args=[pk]), {"name": "Renamed"}),
        ("post", reverse("api:partner_delete", args=[pk]), {}),
    ]


def test_the_owner_creates_a_partner_a_key_shown_once_and_revokes_it(world: World) -> None:
    client = world.client_for(world.alice)
    assert reverse("api:partners") in client.get(reverse("tenants:clients")).content.decode()
    response = client.post(reverse("api:partner_create"), {"name": "  Alice Platform "})
    partner = Partner.objects.get()
    assert (partner.name, partner.owner) == ("Alice Platform", world.alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("api:partner", args=[partner.pk])
    assert "Alice Platform" in client.get(reverse("api:partners")).content.decode()

    response = client.post(
        reverse("api:partner_manage", args=[partner.pk]), {"organisation": world.alice_tenant.slug}
    )
    assert response.status_code == 302
    assert list(partner.tenants.all()) == [world.alice_tenant]

    response = client.post(
        reverse("api:partner_key_create", args=[partner.pk]),
        {"name": "Billing", "access": "read"},
    )
    assert response.status_code == 200
    match = TOKEN.search(response.content.decode())
    assert match is not None
    token = match.group(1)
    key = ApiKey.objects.get(partner=partner)
    assert (key.kind, key.name, key.access, key.created_by) == (
        "partner",
        "Billing",
        "read",
        world.alice,
    )
    assert key.token_hash == hash_token(token) and token.startswith(key.prefix)

    listed = call("get", url("organisations"), token)
    assert listed.status_code == 200
    assert [o["slug"] for o in listed.json()["results"]] == [world.alice_tenant.slug]
    key.refresh_from_db()
    assert key.last_used_at is not None

    html = client.get(reverse("api:partner", args=[partner.pk])).content.decode()
    assert key.prefix in html and token not in html
    assert reverse("api:partner_key_revoke", args=[partner.pk, key.pk]) in html
    assert '<span class="muted">never</span>' not in html  # last used: "0 minutes ago"

    response = client.post(reverse("api:partner_key_revoke", args=[partner.pk, key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert call("get", url("organisations"), token).status_code == 401
    assert "Revoked" in client.get(reverse("api:partner", args=[partner.pk])).content.decode()


def test_it_refuses_a_nameless_partner_or_key(world: World) -> None:
    client = world.client_for(world.alice)
    assert client.post(reverse("api:partner_create"), {"name": "   "}).status_code == 400
    assert not Partner.objects.exists()
    partner, _ = _alices_partner(world)
    before = _snapshot()
    for data in ({"name": "", "access": "read"}, {"name": "x", "access": "admin"}):
        response = client.post(reverse("api:partner_key_create", args=[partner.pk]), data)
        assert response.status_code == 400, data
        assert not TOKEN.search(response.content.decode())
    assert _snapshot() == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNTANT, Role.VIEWER, None])
def test_it_adds_only_organisations_the_user_owns(world: World, role: Role | None) -> None:
    partner = services.partner_create(name="Alice Platform", owner=world.alice)
    if role is not None:  # alice in charlie's organisation with a role short of owner
        MembershipFactory(tenant=world.charlie_tenant, user=world.alice, role=role)
    before = _snapshot()
    response = world.client_for(world.alice).post(
        reverse("api:partner_manage", args=[partner.pk]),
        {"organisation": world.charlie_tenant.slug},
    )
    assert response.status_code == 400
    assert "Choose an organisation you own" in response.content.decode()
    assert _snapshot() == before
    # The service refuses too, whatever the form offered.
    with pytest.raises(services.PartnerError, match="Only an owner"):
        services.partner_manage(partner=partner, tenant=world.charlie_tenant, by=world.alice)
    assert not partner.tenants.exists()


def test_the_form_offers_only_owned_organisations_not_yet_managed(world: World) -> None:
    partner, _ = _alices_partner(world)
    own = Tenant.objects.create(name="Alice Two", slug="alice-two")
    MembershipFactory(tenant=own, user=world.alice, role=Role.OWNER)
    MembershipFactory(tenant=world.charlie_tenant, user=world.alice, role=Role.ADMIN)
    html = world.client_for(world.alice).get(reverse("api:partner", args=[partner.pk]))
    select = re.search(r'<select name="organisation".*?</select>', html.content.decode(), re.S)
    assert select is not None
    assert re.findall(r'<option value="([^"]+)"', select.group(0)) == ["alice-two"]
    # Adding the one it already manages is a form error, not a second row.
    before = _snapshot()
    response = world.client_for(world.alice).post(
        reverse("api:partner_manage", args=[partner.pk]), {"organisation": world.alice_tenant.slug}
    )
    assert response.status_code == 400
    assert _snapshot() == before


def _partner_with_a_working_key(world: World) -> tuple[Partner, str]:
    """alice's partner and a read-and-write key of it that reaches her organisation now."""
    partner, _ = _alices_partner(world)
    token = services.partner_key_create(
        partner=partner, name="rw", access=ApiKey.Access.READ_WRITE, created_by=world.alice
    ).token
    assert call("get", url("organisation", slug=world.alice_tenant.slug), token).status_code == 200
    return partner, token


def test_removing_an_organisation_stops_the_keys_reaching_it(world: World) -> None:
    partner, token = _partner_with_a_working_key(world)
    slug = world.alice_tenant.slug
    members = list(Membership.objects.filter(tenant=world.alice_tenant).values_list())
    client = world.client_for(world.alice)
    response = client.post(reverse("api:partner_unmanage", args=[partner.pk, slug]))
    assert response.status_code == 302
    assert not partner.tenants.exists()
    assert call("get", url("organisation", slug=slug), token).status_code == 404
    # The organisation and its team stay; only the partner's reach changed.
    assert list(Membership.objects.filter(tenant=world.alice_tenant).values_list()) == members
    # Removing one it does not manage (any more) is a 404.
    assert client.post(reverse("api:partner_unmanage", args=[partner.pk, slug])).status_code == 404


def test_the_owner_renames_a_partner_and_a_blank_name_changes_nothing(world: World) -> None:
    partner, _ = _alices_partner(world)
    client = world.client_for(world.alice)
    rename = reverse("api:partner_rename", args=[partner.pk])
    before = _snapshot()
    for data in ({"name": "   "}, {"name": "x" * 121}, {}):
        response = client.post(rename, data)
        assert response.status_code == 400, data
        assert 'aria-invalid="true"' in response.content.decode()
    assert _snapshot() == before
    response = client.post(rename, {"name": " Alice Bookkeeping "}, follow=True)
    assert "Renamed to Alice Bookkeeping." in response.content.decode()
    partner.refresh_from_db()
    assert partner.name == "Alice Bookkeeping"


def test_deleting_a_partner_stops_its_keys_and_keeps_the_organisations(world: World) -> None:
    partner, token = _partner_with_a_working_key(world)
    slug = world.alice_tenant.slug
    members = list(Membership.objects.filter(tenant=world.alice_tenant).values_list())
    client = world.client_for(world.alice)
    response = client.post(reverse("api:partner_delete", args=[partner.pk]), follow=True)
    assert "Deleted Alice Platform: its keys no longer work." in response.content.decode()
    assert not Partner.objects.exists() and not ApiKey.objects.filter(kind="partner").exists()
    assert call("get", url("organisation", slug=slug), token).status_code == 401
    assert list(Membership.objects.filter(tenant=world.alice_tenant).values_list()) == members
    assert Tenant.objects.filter(pk=world.alice_tenant.pk).exists()


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_another_user_gets_404_for_every_url_and_changes_nothing(world: World, who: str) -> None:
    partner, key = _alices_partner(world)
    other: User = getattr(world, who)
    # The other user's own partner and key, to mix ids across partners.
    own = services.partner_create(name="Own", owner=other)
    services.partner_key_create(
        partner=own, name="own", access=ApiKey.Access.READ, created_by=other
    )
    own_tenant = world.bob_tenant if who == "bob" else world.charlie_tenant
    client = world.client_for(other)
    before = _snapshot()
    for method, path, data in _urls(partner, key, own_tenant.slug) + _urls(
        partner, key, world.alice_tenant.slug
    ):
        response = getattr(client, method)(path, data)
        assert response.status_code == 404, (method, path)
    # Their own partner with alice's key id or alice's organisation: also 404.
    mixed = [
        reverse("api:partner_key_revoke", args=[own.pk, key.pk]),
        reverse("api:partner_unmanage", args=[own.pk, world.alice_tenant.slug]),
    ]
    for path in mixed:
        assert client.post(path).status_code == 404, path
    # Nor can they add alice's organisation to their own partner.
    response = client.post(
        reverse("api:partner_manage", args=[own.pk]), {"organisation": world.alice_tenant.slug}
    )
    assert response.status_code == 400
    assert _snapshot() == before
    listing = client.get(reverse("api:partners")).content.decode()
    assert "Own" in listing and "Alice Platform" not in listing


def test_anonymous_users_are_sent_to_sign_in(world: World) -> None:
    partner, key = _alices_partner(world)
    before = _snapshot()
    urls = [("get", reverse("api:partners"), {}), ("post", reverse("api:partner_create"), {})]
    for method, path, data in urls + _urls(partner, key, world.alice_tenant.slug):
        response = getattr(Client(), method)(path, data)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("account_login"))
    assert _snapshot() == before


def test_changes_are_post_only_and_need_the_csrf_token(world: World) -> None:
    partner, key = _alices_partner(world)
    client = world.client_for(world.alice)
    changes = [("post", reverse("api:partner_create"), {"name": "New"})]
    changes += [c for c in _urls(partner, key, world.alice_tenant.slug) if c[0] == "post"]
    before = _snapshot()
    for _, path, data in changes:
        assert client.get(path, data).status_code == 405, path
    assert client.post(reverse("api:partners")).status_code == 405
    assert client.post(reverse("api:partner", args=[partner.pk])).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.alice)
    for _, path, data in changes:
        assert strict.post(path, data).status_code == 403, path
    assert _snapshot() == before
