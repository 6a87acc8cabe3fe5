"""A client without a dashboard account connects QuickBooks through a connect link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from connections.models import Connection, ConnectLink
from emulators.quickbooks.testing import RunningEmulator
from tests.conftest import World
from tests.emulator_fixtures import approve_on_intuit

pytestmark = pytest.mark.django_db


def _new_link(world: World) -> str:
    page = world.client_for(world.alice).post(f"/o/{world.alice_tenant.slug}/connections/links/")
    match = re.search(r'value="(https?://[^"]+/connect/([^/"]+)/)"', page.content.decode())
    assert match, "the new link is shown once on the page"
    return match.group(2)


def test_it_lets_a_client_connect_quickbooks_without_an_account(
    world: World, qbo: RunningEmulator
) -> None:
    token = _new_link(world)
    client = Client()
    page = client.get(f"/connect/{token}/")
    assert page.status_code == 200
    assert "Connect Alice &amp; Co" in page.content.decode()
    start = client.post(f"/connect/{token}/quickbooks/")
    assert start.status_code == 302
    callback = client.get(approve_on_intuit(start["Location"], company_name="Client Books"))
    assert callback["Location"] == f"/connect/{token}/"
    connection = Connection.objects.filter(provider="quickbooks").latest("pk")
    assert (connection.tenant, connection.connected_by) == (world.alice_tenant, None)
    done = client.get(f"/connect/{token}/").content.decode()
    assert "✓ Connected: <strong>Client Books</strong>" in done


def test_it_refuses_a_revoked_link(world: World) -> None:
    token = _new_link(world)
    link = ConnectLink.objects.latest("created")
    world.client_for(world.alice).post(
        f"/o/{world.alice_tenant.slug}/connections/links/{link.pk}/revoke/"
    )
    assert Client().get(f"/connect/{token}/").status_code == 404
    assert Client().post(f"/connect/{token}/quickbooks/").status_code == 404


def test_it_refuses_an_expired_link(world: World) -> None:
    token = _new_link(world)
    ConnectLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(f"/connect/{token}/").status_code == 404


def test_it_refuses_an_unknown_provider_or_token(world: World) -> None:
    token = _new_link(world)
    assert Client().post(f"/connect/{token}/paypal/").status_code == 404
    assert Client().get("/connect/not-a-token/").status_code == 404


def test_it_stores_only_the_hash_of_the_token(world: World) -> None:
    token = _new_link(world)
    assert not ConnectLink.objects.filter(token_hash=token).exists()
