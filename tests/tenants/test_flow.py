"""Signup → organisation → invite → accept → switch organisation, through the real views."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tenants.models import Membership, Tenant
from tenants.roles import Role
from tests.conftest import ALICE_INVITATION_TOKEN

PASSWORD = "a long and unusual passphrase 42"


def _signup(client: Client, email: str, organisation: str = "", invitation: str = "") -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "organisation_name": organisation,
            "invitation": invitation,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.django_db
def test_it_runs_signup_invite_accept_and_switch(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    owner = Client()
    _signup(owner, "olivia@example.com", "Olivia Accounting")
    tenant = Tenant.objects.get(name="Olivia Accounting")
    assert Membership.objects.get(tenant=tenant).role == Role.OWNER
    assert owner.get(reverse("home")).url == reverse("tenants:dashboard", args=[tenant.slug])

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            reverse("tenants:invitation_create", args=[tenant.slug]),
            {"email": "ivan@example.com", "role": "accountant"},
        )
    assert response.status_code == 302
    invitations = [m for m in mail.outbox if m.to == ["ivan@example.com"]]
    assert len(invitations) == 1
    assert invitations[0].subject == "You're invited to Olivia Accounting on Tieout"
    link = re.search(r"https?://\S+/invitations/(\S+)/", invitations[0].body)
    assert link, invitations[0].body
    token = link.group(1)

    invitee = Client()
    page = invitee.get(reverse("tenants:invitation_accept", args=[token]))
    assert "Olivia Accounting" in page.content.decode()
    _signup(invitee, "ivan@example.com", "Ivan's Own Firm")
    accept = invitee.post(reverse("tenants:invitation_accept", args=[token]))
    assert accept.url == reverse("tenants:dashboard", args=[tenant.slug])
    ivan_tenants = Tenant.objects.filter(memberships__user__email="ivan@example.com")
    assert set(ivan_tenants.values_list("name", flat=True)) == {
        "Olivia Accounting",
        "Ivan's Own Firm",
    }

    # Two organisations: home is All clients, and the switcher lists both.
    assert invitee.get(reverse("home")).url == reverse("tenants:clients")
    clients = invitee.get(reverse("tenants:clients")).content.decode()
    assert "Olivia Accounting" in clients and "Ivan&#x27;s Own Firm" in clients
    own = ivan_tenants.get(name="Ivan's Own Firm")
    switched = invitee.get(reverse("tenants:dashboard", args=[own.slug]))
    assert switched.status_code == 200
    assert switched.context["tenant"] == own


@pytest.mark.django_db
def test_it_joins_by_invitation_at_signup_without_an_empty_organisation(  # type: ignore[no-untyped-def]
    world, django_capture_on_commit_callbacks
) -> None:
    owner = world.client_for(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(
            reverse("tenants:invitation_create", args=[world.alice_tenant.slug]),
            {"email": "nina@example.com", "role": "viewer"},
        )
    token = re.search(r"/invitations/(\S+)/", mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
    client = Client()
    _signup(client, "nina@example.com", invitation=token)
    membership = Membership.objects.get(user__email="nina@example.com")
    assert membership.tenant == world.alice_tenant
    assert membership.role == Role.VIEWER


@pytest.mark.django_db
def test_it_requires_an_organisation_name_at_plain_signup() -> None:
    response = Client().post(
        reverse("account_signup"),
        {"email": "x@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "Enter the name of your organisation." in response.content.decode()
    assert not Tenant.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_invitation_signup_with_another_email(world) -> None:  # type: ignore[no-untyped-def]
    response = Client().post(
        reverse("account_signup"),
        {
            "email": "someone-else@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "invitation": ALICE_INVITATION_TOKEN,
        },
    )
    assert response.status_code == 200
    assert "This invitation is for" in response.content.decode()
