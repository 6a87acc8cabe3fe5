from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tenants.models import Invitation, Membership, hash_token
from tenants.roles import Role
from tests.conftest import ALICE_INVITATION_TOKEN, World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _accept_url(token: str = ALICE_INVITATION_TOKEN) -> str:
    return reverse("tenants:invitation_accept", args=[token])


def _invitee(world: World):  # type: ignore[no-untyped-def]
    return UserFactory(username="invitee", email=world.alice_invitation.email)


def test_it_accepts_a_pending_invitation(world: World) -> None:
    user = _invitee(world)
    response = world.client_for(user).post(_accept_url())
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert (membership.tenant, membership.role) == (world.alice_tenant, Role.ACCOUNTANT)
    world.alice_invitation.refresh_from_db()
    assert world.alice_invitation.status == Invitation.Status.ACCEPTED


def test_it_refuses_an_expired_invitation(world: World) -> None:
    Invitation.objects.filter(pk=world.alice_invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = world.client_for(_invitee(world)).post(_accept_url(), follow=True)
    assert "This invitation has expired" in response.content.decode()
    assert not Membership.objects.filter(user__username="invitee").exists()


def test_it_refuses_a_revoked_invitation(world: World) -> None:
    world.client_for(world.alice).post(
        reverse(
            "tenants:invitation_revoke", args=[world.alice_tenant.slug, world.alice_invitation.pk]
        )
    )
    response = world.client_for(_invitee(world)).post(_accept_url(), follow=True)
    assert "withdrawn" in response.content.decode()
    assert not Membership.objects.filter(user__username="invitee").exists()


def test_it_refuses_a_user_with_another_email(world: World) -> None:
    response = world.client_for(world.charlie).post(_accept_url(), follow=True)
    assert "Sign in with that address" in response.content.decode()
    assert not Membership.objects.filter(user=world.charlie, tenant=world.alice_tenant).exists()


def test_it_answers_404_for_an_unknown_token(world: World) -> None:
    response = world.client_for(world.charlie).get(_accept_url("no-such-token"))
    assert response.status_code == 404


def test_it_resends_with_a_new_link_and_expiry(
    world: World,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    old_hash = world.alice_invitation.token_hash
    with django_capture_on_commit_callbacks(execute=True):
        world.client_for(world.alice).post(
            reverse(
                "tenants:invitation_resend",
                args=[world.alice_tenant.slug, world.alice_invitation.pk],
            )
        )
    world.alice_invitation.refresh_from_db()
    assert world.alice_invitation.token_hash != old_hash
    assert len(mail.outbox) == 1
    # The old link stops working, the new one works.
    assert world.client_for(None).get(_accept_url()).status_code == 404
    token = mail.outbox[0].body.split("/invitations/")[1].split("/")[0]
    assert hash_token(token) == world.alice_invitation.token_hash


def test_it_refuses_inviting_an_existing_member(world: World) -> None:
    response = world.client_for(world.alice).post(
        reverse("tenants:invitation_create", args=[world.alice_tenant.slug]),
        {"email": "BOB@example.com", "role": "viewer"},
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


def test_it_shows_form_errors_for_a_bad_email(world: World) -> None:
    before = Invitation.objects.count()
    response = world.client_for(world.alice).post(
        reverse("tenants:invitation_create", args=[world.alice_tenant.slug]),
        {"email": "not-an-email", "role": "emperor"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "Select a valid choice." in body
    assert Invitation.objects.count() == before


def test_it_keeps_admins_from_inviting_owners(world: World) -> None:
    world.make_bob(Role.ADMIN)
    response = world.client_for(world.bob).post(
        reverse("tenants:invitation_create", args=[world.alice_tenant.slug]),
        {"email": "new@example.com", "role": "owner"},
    )
    assert response.status_code == 400
    assert "Only an owner can invite another owner." in response.content.decode()
