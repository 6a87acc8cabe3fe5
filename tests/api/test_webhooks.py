"""Outgoing webhook endpoints through the API (partner_hooks does the sending)."""

from __future__ import annotations

from partner_hooks.models import Delivery, WebhookEndpoint
from tests.api.conftest import ApiWorld, call, url


def test_it_creates_an_endpoint_and_shows_its_secret_once(api: ApiWorld) -> None:
    target = url("webhook_endpoints", slug=api.a.slug)
    body = {"url": "http://127.0.0.1:9/receiver", "event_types": ["sync.finished"]}
    response = call("post", target, api.a_rw, body)
    assert response.status_code == 201, response.content
    created = response.json()
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert created["secret"] == endpoint.secret and endpoint.secret.startswith("whsec_")
    assert (endpoint.tenant, endpoint.event_types) == (api.a.tenant, ["sync.finished"])
    listed = call("get", target, api.a_rw).json()["results"]
    assert {e["id"] for e in listed} == {created["id"], api.a.webhook.pk}
    assert all("secret" not in e for e in listed)
    detail = call("get", url("webhook_endpoint", slug=api.a.slug, pk=endpoint.pk), api.a_rw)
    assert "secret" not in detail.json()


def test_it_refuses_an_address_the_guard_refuses(api: ApiWorld) -> None:
    target = url("webhook_endpoints", slug=api.a.slug)
    before = WebhookEndpoint.objects.count()
    response = call("post", target, api.a_rw, {"url": "http://user:pw@127.0.0.1:9/"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "url"
    response = call(
        "post", target, api.a_rw, {"url": "http://127.0.0.1:9/", "event_types": ["ping"]}
    )
    assert response.status_code == 400
    assert WebhookEndpoint.objects.count() == before


def test_it_lists_deliveries_and_deletes_an_endpoint(api: ApiWorld) -> None:
    endpoint = api.a.webhook
    log = call("get", url("webhook_deliveries", slug=api.a.slug, pk=endpoint.pk), api.a_rw).json()
    [delivery] = log["results"]
    assert (delivery["endpoint"], delivery["event"]["type"]) == (endpoint.pk, "sync.finished")
    assert delivery["state"] == "pending" and delivery["event"]["id"].startswith("evt_")
    response = call("delete", url("webhook_endpoint", slug=api.a.slug, pk=endpoint.pk), api.a_rw)
    assert response.status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_it_turns_an_endpoint_off_and_changes_its_events(api: ApiWorld) -> None:
    endpoint = api.a.webhook
    target = url("webhook_endpoint", slug=api.a.slug, pk=endpoint.pk)
    response = call("patch", target, api.a_rw, {"active": False})
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert response.json()["event_types"] == endpoint.event_types
    endpoint.refresh_from_db()
    assert endpoint.active is False

    body = {"active": True, "description": " ERP ", "event_types": ["error.raised"]}
    changed = call("patch", target, api.a_rw, body).json()
    assert (changed["active"], changed["description"], changed["event_types"]) == (
        True,
        "ERP",
        ["error.raised"],
    )


def test_it_refuses_a_bad_change_and_changes_nothing(api: ApiWorld) -> None:
    endpoint = api.a.webhook
    before = (endpoint.active, endpoint.description, endpoint.event_types, endpoint.url)
    target = url("webhook_endpoint", slug=api.a.slug, pk=endpoint.pk)
    for body, field in [
        ({"active": "maybe"}, "active"),
        ({"event_types": ["ping"], "active": False}, "event_types.0"),
        ({"description": "x" * 201}, "description"),
    ]:
        response = call("patch", target, api.a_rw, body)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["field"] == field
    # The URL is not a field of the change: a new URL is a new endpoint.
    call("patch", target, api.a_rw, {"url": "http://127.0.0.1:9/elsewhere"})
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.description, endpoint.event_types, endpoint.url) == before


def test_it_keeps_endpoints_from_read_keys(api: ApiWorld) -> None:
    for name, kwargs in [
        ("webhook_endpoints", {}),
        ("webhook_endpoint", {"pk": api.a.webhook.pk}),
        ("webhook_deliveries", {"pk": api.a.webhook.pk}),
    ]:
        response = call("get", url(name, slug=api.a.slug, **kwargs), api.a_read)
        assert response.status_code == 403, name


def test_it_sends_a_test_event_and_retries_a_failed_delivery(api: ApiWorld) -> None:
    endpoint = api.a.webhook
    response = call("post", url("webhook_test", slug=api.a.slug, pk=endpoint.pk), api.a_rw)
    assert response.status_code == 201, response.content
    ping = Delivery.objects.get(pk=response.json()["id"])
    assert (ping.endpoint, ping.event.type) == (endpoint, "ping")
    delivery = endpoint.deliveries.exclude(pk=ping.pk).get()
    retry = url("webhook_delivery_retry", slug=api.a.slug, pk=endpoint.pk, delivery=delivery.pk)
    assert call("post", retry, api.a_rw).json() == {"retried": 0}  # pending: nothing to do
    Delivery.objects.filter(pk=delivery.pk).update(state="given_up")
    assert call("post", retry, api.a_rw).json() == {"retried": 1}
    assert Delivery.objects.get(pk=delivery.pk).state == "pending"
    # A delivery of another endpoint, even of the same organisation, is not under this one.
    other = WebhookEndpoint.objects.create(tenant=api.a.tenant, url="http://127.0.0.1:9/o")
    wrong = url("webhook_delivery_retry", slug=api.a.slug, pk=other.pk, delivery=delivery.pk)
    assert call("post", wrong, api.a_rw).status_code == 404
