from __future__ import annotations

import pytest
from django.urls import reverse

from connections.models import Connection
from tests.conftest import World
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_it_shows_connection_status_on_the_dashboard_and_all_clients(world: World) -> None:
    ConnectionFactory(
        tenant=world.alice_tenant,
        provider="quickbooks",
        method="intuit_oauth",
        external_id="123",
        display_name="Alice Books",
        status="needs_reconnect",
        last_error="QuickBooks disconnected Tieout from Alice Books (the approval expired).",
    )
    client = world.client_for(world.bob)
    dashboard = client.get(
        reverse("tenants:dashboard", args=[world.alice_tenant.slug])
    ).content.decode()
    assert "Alice Shop" in dashboard  # the world's Stripe connection
    assert "Needs reconnect" in dashboard
    assert 'role="alert"' in dashboard and "the approval expired" in dashboard
    clients = client.get(reverse("tenants:clients")).content.decode()
    assert clients.count("Needs reconnect") == 1
    assert clients.count("Not connected") == 2  # bob's own organisation has neither


def test_it_hides_connect_buttons_from_viewers(world: World) -> None:
    world.make_bob("viewer")  # type: ignore[arg-type]
    page = (
        world.client_for(world.bob)
        .get(reverse("connections:list", args=[world.alice_tenant.slug]))
        .content.decode()
    )
    assert "Alice Shop" in page
    assert "Connect to QuickBooks" not in page and "Disconnect" not in page


def test_it_explains_an_unconfigured_server(world: World) -> None:
    response = world.client_for(world.alice).post(
        reverse("connections:quickbooks_start", args=[world.alice_tenant.slug]), follow=True
    )
    assert "INTUIT_CLIENT_ID" in response.content.decode()
    assert not Connection.objects.filter(provider="quickbooks").exists()


def test_it_explains_missing_key_permissions_in_words(world: World) -> None:
    response = world.client_for(world.alice).post(
        reverse("connections:stripe_key", args=[world.alice_tenant.slug]),
        {"api_key": "sk_live_full_access_key"},
    )
    assert response.status_code == 400
    assert "Paste a restricted key" in response.content.decode()
