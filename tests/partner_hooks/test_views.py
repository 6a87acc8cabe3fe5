"""The webhooks page under organisation settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from partner_hooks import services
from partner_hooks.models import Delivery, WebhookEndpoint
from tenants.roles import Role
from tests.conftest import World
from tests.partner_hooks.conftest import Receiver

pytestmark = pytest.mark.django_db


def _url(world: World, name: str = "webhooks", *args: object) -> str:
    return reverse(f"partner_hooks:{name}", args=[world.alice_tenant.slug, *args])


def test_it_shows_the_secret_once_at_creation(world: World, receiver: Receiver) -> None:
    client = world.client_for(world.alice)
    response = client.post(
        _url(world, "endpoint_create"),
        {"url": receiver.url, "description": "ERP", "event_types": ["sync.finished"]},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.description, endpoint.event_types) == (
        receiver.url,
        "ERP",
        ["sync.finished"],
    )
    assert endpoint.secret in response.content.decode()
    assert "shown only this once" in response.content.decode()

    page = client.get(_url(world)).content.decode()
    assert receiver.url in page and "ERP" in page
    assert endpoint.secret not in page

    rolled = client.post(_url(world, "endpoint_roll_secret", endpoint.pk)).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret in rolled
    assert endpoint.secret not in client.get(_url(world)).content.decode()


def test_it_explains_a_refused_address(world: World) -> None:
    client = world.client_for(world.alice)
    with override_settings(PARTNER_HOOKS_ALLOW_PRIVATE_URLS=False):
        response = client.post(_url(world, "endpoint_create"), {"url": "https://10.0.0.1/x"})
        assert response.status_code == 400
        assert "private network" in response.content.decode()
        response = client.post(_url(world, "endpoint_create"), {"url": "ftp://example.com/"})
        assert "Use an https:// address." in response.content.decode()
    response = client.post(_url(world, "endpoint_create"), {"url": ""})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_it_sends_a_test_event_and_logs_it(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = services.endpoint_create(tenant=world.alice_tenant, url=receiver.url)
    client = world.client_for(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(world, "endpoint_send_test", endpoint.pk))
    assert response.status_code == 302
    [request] = receiver.received
    assert request.headers["Tieout-Event-Type"] == "ping"
    page = client.get(_url(world)).content.decode()
    assert "Delivered" in page and "<code>200</code>" in page


def test_it_retries_a_given_up_delivery_now(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    services.endpoint_create(tenant=world.alice_tenant, url=receiver.url)
    services.event_emit(tenant_id=world.alice_tenant.pk, type="error.raised", data={})
    Delivery.objects.update(
        state="given_up", attempts=9, last_status=503, last_error="The endpoint answered 503."
    )
    client = world.client_for(world.alice)
    page = client.get(_url(world)).content.decode()
    assert "1 delivery gave up" in page and "Retry now" in page
    delivery = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(world, "delivery_retry", delivery.pk))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_status) == ("succeeded", 200)
    assert "gave up" not in client.get(_url(world)).content.decode()


def test_it_turns_an_endpoint_off_and_on(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = services.endpoint_create(tenant=world.alice_tenant, url=receiver.url)
    services.event_emit(tenant_id=world.alice_tenant.pk, type="sync.finished", data={})
    client = world.client_for(world.alice)

    response = client.post(_url(world, "endpoint_set_active", endpoint.pk), {"active": "off"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active is False
    page = client.get(_url(world)).content.decode()
    assert "is off: nothing is sent to it" in page and "Turn on" in page
    # Off: a new event makes no delivery, and the one waiting gives up without a request.
    assert (
        services.event_emit(tenant_id=world.alice_tenant.pk, type="error.raised", data={}) is None
    )
    waiting = Delivery.objects.get()
    services.delivery_attempt(delivery_id=waiting.pk)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.last_error) == ("given_up", "The endpoint is turned off.")
    assert receiver.received == []

    client.post(_url(world, "endpoint_set_active", endpoint.pk), {"active": "on"})
    endpoint.refresh_from_db()
    assert endpoint.active is True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(world, "delivery_retry", waiting.pk))
    waiting.refresh_from_db()
    assert waiting.state == "succeeded" and len(receiver.received) == 1


def test_it_refuses_an_unclear_on_off_choice(world: World, receiver: Receiver) -> None:
    endpoint = services.endpoint_create(tenant=world.alice_tenant, url=receiver.url)
    client = world.client_for(world.alice)
    for posted in ({}, {"active": "maybe"}):
        response = client.post(_url(world, "endpoint_set_active", endpoint.pk), posted)
        assert response.status_code == 400
        assert "Choose whether to turn the endpoint on or off." in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.active is True


def test_it_deletes_an_endpoint_with_its_log(world: World, receiver: Receiver) -> None:
    endpoint = services.endpoint_create(tenant=world.alice_tenant, url=receiver.url)
    services.event_emit(tenant_id=world.alice_tenant.pk, type="sync.finished", data={})
    response = world.client_for(world.alice).post(_url(world, "endpoint_delete", endpoint.pk))
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists() and not Delivery.objects.exists()


def test_a_viewer_sees_the_log_but_no_controls(world: World, receiver: Receiver) -> None:
    endpoint = services.endpoint_create(tenant=world.alice_tenant, url=receiver.url)
    services.event_emit(tenant_id=world.alice_tenant.pk, type="sync.finished", data={})
    world.make_bob(Role.VIEWER)
    page = world.client_for(world.bob).get(_url(world)).content.decode()
    assert receiver.url in page and "sync.finished" in page
    assert "Add an endpoint" not in page and "Retry now" not in page and "Roll secret" not in page
    assert "Turn off" not in page
    assert endpoint.secret not in page
    assert "Only owners and admins" in page


def test_it_renders_the_log_alone_for_htmx(world: World) -> None:
    response = world.client_for(world.alice).get(_url(world), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="delivery-log"' in body and "<h1>" not in body


def test_settings_links_to_the_webhooks_page(world: World) -> None:
    world.make_bob(Role.VIEWER)
    page = world.client_for(world.bob).get(
        reverse("tenants:settings", args=[world.alice_tenant.slug])
    )
    assert _url(world) in page.content.decode()


def test_the_log_says_when_a_failed_delivery_is_tried_next(world: World) -> None:
    services.endpoint_create(tenant=world.alice_tenant, url="http://127.0.0.1:9/closed")
    services.event_emit(tenant_id=world.alice_tenant.pk, type="sync.finished", data={})
    services.delivery_attempt(delivery_id=Delivery.objects.get().pk)
    page = world.client_for(world.alice).get(_url(world)).content.decode()
    assert "Failed, will retry" in page and "next try in" in page
    assert "Could not connect to the endpoint." in page and "Retry now" in page
