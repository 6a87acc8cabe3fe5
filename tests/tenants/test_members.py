from __future__ import annotations

import pytest
from django.urls import reverse

from tenants.models import Membership
from tenants.roles import PERMISSIONS, Perm, Role
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _owner_membership(world: World) -> Membership:
    return Membership.objects.get(tenant=world.alice_tenant, user=world.alice)


def test_it_changes_a_role(world: World) -> None:
    world.client_for(world.alice).post(
        reverse("tenants:member_role", args=[world.alice_tenant.slug, world.bob_membership.pk]),
        {"role": "admin"},
    )
    world.bob_membership.refresh_from_db()
    assert world.bob_membership.role == Role.ADMIN


def test_it_keeps_the_last_owner(world: World) -> None:
    owner = _owner_membership(world)
    client = world.client_for(world.alice)
    response = client.post(
        reverse("tenants:member_role", args=[world.alice_tenant.slug, owner.pk]),
        {"role": "viewer"},
        follow=True,
    )
    assert "needs at least one owner" in response.content.decode()
    client.post(reverse("tenants:member_remove", args=[world.alice_tenant.slug, owner.pk]))
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_it_keeps_admins_away_from_owners(world: World) -> None:
    world.make_bob(Role.ADMIN)
    client = world.client_for(world.bob)
    owner = _owner_membership(world)
    client.post(reverse("tenants:member_remove", args=[world.alice_tenant.slug, owner.pk]))
    client.post(
        reverse("tenants:member_role", args=[world.alice_tenant.slug, world.bob_membership.pk]),
        {"role": "owner"},
    )
    assert Membership.objects.filter(pk=owner.pk, role=Role.OWNER).exists()
    world.bob_membership.refresh_from_db()
    assert world.bob_membership.role == Role.ADMIN


def test_it_refuses_an_unknown_role(world: World) -> None:
    response = world.client_for(world.alice).post(
        reverse("tenants:member_role", args=[world.alice_tenant.slug, world.bob_membership.pk]),
        {"role": "emperor"},
        follow=True,
    )
    assert "Choose one of the listed roles." in response.content.decode()
    world.bob_membership.refresh_from_db()
    assert world.bob_membership.role == Role.ACCOUNTANT


def test_it_lets_a_member_remove_themselves(world: World) -> None:
    response = world.client_for(world.bob).post(
        reverse("tenants:member_remove", args=[world.alice_tenant.slug, world.bob_membership.pk])
    )
    # An accountant cannot manage members, not even to leave; an admin can.
    assert response.status_code == 403
    world.make_bob(Role.ADMIN)
    response = world.client_for(world.bob).post(
        reverse("tenants:member_remove", args=[world.alice_tenant.slug, world.bob_membership.pk])
    )
    assert response.url == reverse("home")
    assert not Membership.objects.filter(pk=world.bob_membership.pk).exists()


def test_it_gives_each_role_its_table_row() -> None:
    assert PERMISSIONS[Role.OWNER] == frozenset(Perm)
    assert Perm.MANAGE_OWNERS not in PERMISSIONS[Role.ADMIN]
    assert Perm.MANAGE_MEMBERS not in PERMISSIONS[Role.ACCOUNTANT]
    assert Perm.RUN_SYNCS in PERMISSIONS[Role.ACCOUNTANT]
    assert PERMISSIONS[Role.VIEWER] == frozenset({Perm.VIEW})
