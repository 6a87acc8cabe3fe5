from __future__ import annotations

import pytest
from django.urls import reverse

from tenants.models import Tenant
from tests.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_sign_in(world: World) -> None:
    assert world.client_for(None).get("/").url == reverse("account_login")


def test_it_sends_a_single_organisation_user_to_its_dashboard(world: World) -> None:
    response = world.client_for(world.alice).get("/")
    assert response.url == reverse("tenants:dashboard", args=[world.alice_tenant.slug])


def test_it_sends_a_multi_organisation_user_to_all_clients(world: World) -> None:
    assert world.client_for(world.bob).get("/").url == reverse("tenants:clients")


def test_it_sends_a_user_without_organisation_to_create_one(world: World) -> None:
    user = UserFactory(username="loner")
    assert world.client_for(user).get("/").url == reverse("tenants:create")


def test_it_lists_only_own_clients(world: World) -> None:
    body = world.client_for(world.bob).get(reverse("tenants:clients")).content.decode()
    assert "Alice &amp; Co" in body and "Bob&#x27;s Books" in body
    assert "Charlie Ltd" not in body


def test_it_filters_clients_with_an_htmx_partial(world: World) -> None:
    response = world.client_for(world.bob).get(
        reverse("tenants:clients"), {"q": "alice"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "Alice &amp; Co" in body and "Bob&#x27;s Books" not in body
    assert "<html" not in body  # only the rows partial


def test_it_creates_another_organisation(world: World) -> None:
    response = world.client_for(world.alice).post(reverse("tenants:create"), {"name": "  Second  "})
    tenant = Tenant.objects.get(name="Second")
    assert response.url == reverse("tenants:dashboard", args=[tenant.slug])


def test_it_refuses_a_blank_organisation_name(world: World) -> None:
    before = Tenant.objects.count()
    response = world.client_for(world.alice).post(reverse("tenants:create"), {"name": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Tenant.objects.count() == before


def test_it_saves_settings(world: World) -> None:
    url = reverse("tenants:settings", args=[world.alice_tenant.slug])
    world.client_for(world.alice).post(
        url, {"name": "Alice Ltd", "time_zone": "Europe/London", "locale": "en-GB"}
    )
    world.alice_tenant.refresh_from_db()
    assert (world.alice_tenant.name, world.alice_tenant.time_zone) == ("Alice Ltd", "Europe/London")


def test_it_refuses_an_unknown_time_zone(world: World) -> None:
    url = reverse("tenants:settings", args=[world.alice_tenant.slug])
    response = world.client_for(world.alice).post(
        url, {"name": "Alice Ltd", "time_zone": "Mars/Olympus", "locale": "en-GB"}
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    world.alice_tenant.refresh_from_db()
    assert world.alice_tenant.time_zone == "UTC"


def test_it_shows_the_settings_read_only_to_an_accountant(world: World) -> None:
    url = reverse("tenants:settings", args=[world.alice_tenant.slug])
    body = world.client_for(world.bob).get(url).content.decode()
    assert "<fieldset disabled>" in body
