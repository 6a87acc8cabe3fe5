"""Signed webhook delivery, verified by stripe's own `Webhook.construct_event`."""

from __future__ import annotations

import pytest
import stripe

from emulators.stripe.testing import RunningEmulator, WebhookSink, webhook_sink
from tests.emulators.stripe.conftest import pay


def endpoint(
    client: stripe.StripeClient, sink: WebhookSink, **extra: object
) -> stripe.WebhookEndpoint:
    params = {"url": sink.url, "enabled_events": ["*"], "api_version": "2026-10-28.endive"}
    return client.v1.webhook_endpoints.create({**params, **extra})


def verified(sink: WebhookSink, secret: str) -> list[stripe.Event]:
    return [
        stripe.Webhook.construct_event(r.body, r.headers["Stripe-Signature"], secret)
        for r in sink.received
    ]


def test_it_delivers_events_signed_as_stripe_verifies_them(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    with webhook_sink() as sink:
        hook = endpoint(client, sink, enabled_events=["charge.succeeded"])
        charge = pay(client, 1500)
        assert emu.deliver() == 1
        events = verified(sink, hook.secret)
    assert [e.type for e in events] == ["charge.succeeded"]
    assert events[0].data.object.id == charge.id
    assert getattr(events[0], "account", None) is None  # a platform event
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            sink.received[0].body, sink.received[0].headers["Stripe-Signature"], "whsec_wrong"
        )


def test_it_sends_connected_account_events_to_connect_endpoints(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    account = client.v1.accounts.create({"type": "standard"}).id
    with webhook_sink() as connect_sink, webhook_sink() as own_sink:
        connect_hook = endpoint(client, connect_sink, connect=True)
        endpoint(client, own_sink)
        client.v1.customers.create({"email": "c@example.com"}, {"stripe_account": account})
        emu.deliver()
        events = verified(connect_sink, connect_hook.secret)
        assert own_sink.received == []
    assert [(e.type, e.account) for e in events] == [("customer.created", account)]


def test_it_retries_a_failed_delivery_with_backoff_on_the_clock(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    with webhook_sink(statuses=[500, 503]) as sink:
        hook = endpoint(client, sink, enabled_events=["customer.created"])
        client.v1.customers.create({"email": "r@example.com"})
        emu.deliver()
        assert len(sink.received) == 1
        assert emu.deliver() == 0  # not due yet
        assert client.v1.events.list({"delivery_success": "false"}).data[0].type == (
            "customer.created"
        )
        emu.advance(seconds=600)
        emu.deliver()
        emu.advance(seconds=3600)
        emu.deliver()
        events = verified(sink, hook.secret)
    assert len(events) == 3 and len({e.id for e in events}) == 1
    deliveries = emu.admin("GET", "webhooks/deliveries")["deliveries"]
    assert [a["status"] for a in deliveries[0]["attempts"]] == [500, 503, 200]
    assert deliveries[0]["status"] == "succeeded"
    assert client.v1.events.list({"delivery_success": "false"}).data == []


def test_it_duplicates_deliveries_when_asked(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    emu.admin("POST", "chaos", duplicate=True)
    with webhook_sink() as sink:
        hook = endpoint(client, sink, enabled_events=["customer.created"])
        client.v1.customers.create({"email": "d@example.com"})
        emu.deliver()
        events = verified(sink, hook.secret)
    assert len(events) == 2 and events[0].id == events[1].id


def test_it_reorders_deliveries_when_asked(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    emu.admin("POST", "chaos", out_of_order=True)
    with webhook_sink() as sink:
        hook = endpoint(client, sink, enabled_events=["customer.created", "customer.updated"])
        customer = client.v1.customers.create({"email": "o@example.com"})
        client.v1.customers.update(customer.id, {"name": "Later"})
        emu.deliver()
        events = verified(sink, hook.secret)
    assert [e.type for e in events] == ["customer.updated", "customer.created"]


def test_it_delays_deliveries_when_asked(emu: RunningEmulator, client: stripe.StripeClient) -> None:
    emu.admin("POST", "chaos", delay_seconds=120)
    with webhook_sink() as sink:
        endpoint(client, sink, enabled_events=["customer.created"])
        client.v1.customers.create({"email": "late@example.com"})
        assert emu.deliver() == 0
        emu.advance(seconds=120)
        assert emu.deliver() == 1


def test_it_gives_up_after_the_last_retry(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    with webhook_sink(statuses=[500] * 10) as sink:
        endpoint(client, sink, enabled_events=["customer.created"])
        client.v1.customers.create({"email": "never@example.com"})
        for _ in range(6):
            emu.deliver()
            emu.advance(seconds=3 * 3600)
        assert len(sink.received) == 4  # the first attempt and three retries
    delivery = emu.admin("GET", "webhooks/deliveries")["deliveries"][0]
    assert delivery["status"] == "failed"
    assert client.v1.events.list({"delivery_success": "false"}).data[0].pending_webhooks == 0
