"""The API keys page under an organisation's settings: owners and admins only."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from api import services
from api.models import ApiKey, Partner
from tenants.models import hash_token
from tenants.roles import Role
from tests.conftest import World


def _create(world: World, user: object, name: str = "Billing", access: str = "read") -> object:
    url = reverse("api:key_create", args=[world.alice_tenant.slug])
    return world.client_for(user).post(url, {"name": name, "access": access})  # type: ignore[arg-type]


def test_it_shows_a_new_key_once_and_stores_its_hash(world: World) -> None:
    response = _create(world, world.alice, access="read_write")
    assert response.status_code == 200  # type: ignore[attr-defined]
    token = re.search(r'value="(tk_org_[A-Za-z0-9]{40})"', response.content.decode()).group(1)  # type: ignore[attr-defined,union-attr]
    key = ApiKey.objects.get(tenant=world.alice_tenant)
    assert (key.name, key.access, key.created_by) == ("Billing", "read_write", world.alice)
    assert key.token_hash == hash_token(token)
    page = world.client_for(world.alice).get(reverse("api:keys", args=[world.alice_tenant.slug]))
    html = page.content.decode()
    assert key.prefix in html and token not in html
    assert reverse("api:key_revoke", args=[world.alice_tenant.slug, key.pk]) in html


def test_it_lets_admins_in_and_keeps_accountants_and_viewers_out(world: World) -> None:
    url = reverse("api:keys", args=[world.alice_tenant.slug])
    for role, status in [(Role.ADMIN, 200), (Role.ACCOUNTANT, 403), (Role.VIEWER, 403)]:
        world.make_bob(role)
        assert world.client_for(world.bob).get(url).status_code == status, role
        assert _create(world, world.bob).status_code == status, role  # type: ignore[attr-defined]
    assert ApiKey.objects.count() == 1  # the admin's


def test_it_refuses_a_nameless_key(world: World) -> None:
    assert _create(world, world.alice, name="").status_code == 400  # type: ignore[attr-defined]
    assert not ApiKey.objects.exists()


def test_it_revokes_a_key_and_only_the_organisations_own(world: World) -> None:
    _create(world, world.alice)
    key = ApiKey.objects.get()
    outsider = world.client_for(world.charlie)
    for slug in (world.alice_tenant.slug, world.charlie_tenant.slug):
        response = outsider.post(reverse("api:key_revoke", args=[slug, key.pk]))
        assert response.status_code == 404
    assert ApiKey.objects.get().revoked_at is None
    response = world.client_for(world.alice).post(
        reverse("api:key_revoke", args=[world.alice_tenant.slug, key.pk])
    )
    assert response.status_code == 302
    assert ApiKey.objects.get().revoked_at is not None


def _partner_of_charlie(world: World) -> Partner:
    partner = services.partner_create(name="Charlie's platform", owner=world.charlie)
    services.partner_manage(partner=partner, tenant=world.alice_tenant, by=world.alice)
    return partner


def test_an_owner_removes_a_partner_it_does_not_run(world: World) -> None:
    partner = _partner_of_charlie(world)
    key = services.partner_key_create(
        partner=partner, name="Platform", access=ApiKey.Access.READ, created_by=world.charlie
    )
    org_url = reverse("api_v1:organisation", kwargs={"slug": world.alice_tenant.slug})
    as_partner = {"HTTP_AUTHORIZATION": f"Bearer {key.token}"}
    assert Client().get(org_url, **as_partner).status_code == 200

    owner = world.client_for(world.alice)
    page = owner.get(reverse("api:keys", args=[world.alice_tenant.slug])).content.decode()
    remove = reverse("api:org_partner_remove", args=[world.alice_tenant.slug, partner.pk])
    assert "Charlie&#x27;s platform" in page and world.charlie.email in page and remove in page

    response = owner.post(remove, follow=True)
    assert "no longer manages" in response.content.decode()
    assert not partner.tenants.exists()
    assert Client().get(org_url, **as_partner).status_code == 404
    page = owner.get(reverse("api:keys", args=[world.alice_tenant.slug])).content.decode()
    assert "No partner manages" in page


def test_an_admin_sees_the_partner_but_cannot_remove_it(world: World) -> None:
    partner = _partner_of_charlie(world)
    world.make_bob(Role.ADMIN)
    admin = world.client_for(world.bob)
    page = admin.get(reverse("api:keys", args=[world.alice_tenant.slug])).content.decode()
    remove = reverse("api:org_partner_remove", args=[world.alice_tenant.slug, partner.pk])
    assert "Charlie&#x27;s platform" in page and remove not in page

    response = admin.post(remove, follow=True)
    assert "Only an owner of" in response.content.decode()
    assert list(partner.tenants.all()) == [world.alice_tenant]


def test_removing_a_partner_that_does_not_manage_the_organisation_is_404(world: World) -> None:
    elsewhere = services.partner_create(name="Elsewhere", owner=world.charlie)
    remove = reverse("api:org_partner_remove", args=[world.alice_tenant.slug, elsewhere.pk])
    assert world.client_for(world.alice).post(remove).status_code == 404
