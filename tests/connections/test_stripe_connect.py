"""Stripe's three ways to connect, end to end against emulators/stripe."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock
from urllib.parse import urlencode

import pytest
import stripe
from django.test import override_settings
from django.utils import timezone

from connections import services
from connections.models import Connection, InboundEvent
from connections.providers.errors import AuthRevoked
from tests.conftest import World
from tests.emulator_fixtures import StripeEmulator

pytestmark = pytest.mark.django_db

READS = {
    "balance": "read",
    "charge": "read",
    "dispute": "read",
    "payout": "read",
    "customer": "read",
    "event": "read",
    "account": "read",
}


def _oauth(world: World, emu: StripeEmulator, flow: str, account: str = "") -> Connection:
    client = world.client_for(world.alice)
    start = client.post(f"/o/{world.alice_tenant.slug}/connections/stripe/{flow}/start/")
    assert start.status_code == 302
    query = emu.authorize(start["Location"], account=account)
    response = client.get(f"/connections/stripe/callback/?{urlencode(query)}")
    assert response.status_code == 302, response.content
    return Connection.objects.exclude(pk=world.alice_connection.pk).get(
        tenant=world.alice_tenant, method=f"stripe_{flow}"
    )


def test_it_connects_with_stripe_connect(world: World, stripe_emu: StripeEmulator) -> None:
    account = stripe_emu.connected_account()["account"]
    connection = _oauth(world, stripe_emu, "connect", account=account)
    assert connection.external_id == account
    assert (connection.livemode, connection.status) == (False, Connection.Status.CONNECTED)
    # Connect uses the platform key with Stripe-Account: no token is kept.
    assert connection.access_token == "" and connection.api_key == ""


def test_it_refuses_a_connect_callback_from_another_session(
    world: World, stripe_emu: StripeEmulator
) -> None:
    start = world.client_for(world.alice).post(
        f"/o/{world.alice_tenant.slug}/connections/stripe/connect/start/"
    )
    query = stripe_emu.authorize(start["Location"])
    response = world.client_for(world.charlie).get(
        f"/connections/stripe/callback/?{urlencode(query)}"
    )
    assert response.status_code == 400
    assert Connection.objects.filter(method="stripe_connect").count() == 1  # the world's own


def test_it_installs_the_stripe_app_and_rotates_its_refresh_token(
    world: World, stripe_emu: StripeEmulator
) -> None:
    connection = _oauth(world, stripe_emu, "app")
    assert connection.access_token and connection.refresh_token
    first_refresh = connection.refresh_token
    Connection.objects.filter(pk=connection.pk).update(
        access_expires_at=timezone.now() + timedelta(minutes=1)
    )
    refreshed = services.stripe_app_token_refresh(connection_id=connection.pk)
    assert refreshed.refresh_token != first_refresh
    # The old refresh token is spent: using it again is refused, and that pauses syncing.
    Connection.objects.filter(pk=connection.pk).update(
        refresh_token=first_refresh, access_expires_at=timezone.now()
    )
    with pytest.raises(AuthRevoked):
        services.stripe_app_token_refresh(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_RECONNECT


def test_it_connects_with_a_restricted_key(world: World, stripe_emu: StripeEmulator) -> None:
    account = stripe_emu.connected_account()["account"]
    key = stripe_emu.restricted_key(READS, account=account)
    response = world.client_for(world.alice).post(
        f"/o/{world.alice_tenant.slug}/connections/stripe/key/", {"api_key": key}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    connection = Connection.objects.get(method="stripe_key")
    assert (connection.external_id, connection.api_key) == (account, key)


def test_it_names_the_permissions_a_key_lacks(world: World, stripe_emu: StripeEmulator) -> None:
    account = stripe_emu.connected_account()["account"]
    key = stripe_emu.restricted_key(
        {k: v for k, v in READS.items() if k not in ("payout", "dispute")}, account=account
    )
    response = world.client_for(world.alice).post(
        f"/o/{world.alice_tenant.slug}/connections/stripe/key/", {"api_key": key}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Payouts — Read" in body and "Disputes — Read" in body
    assert "Charges and refunds — Read" not in body
    assert not Connection.objects.filter(method="stripe_key").exists()


def test_it_deauthorizes_on_disconnect(world: World, stripe_emu: StripeEmulator) -> None:
    account = stripe_emu.connected_account()["account"]
    connection = _oauth(world, stripe_emu, "connect", account=account)
    world.client_for(world.alice).post(
        f"/o/{world.alice_tenant.slug}/connections/{connection.pk}/disconnect/"
    )
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISCONNECTED
    # Stripe now refuses the platform's access to that account.
    with pytest.raises(stripe.PermissionError):
        stripe_emu.client().v1.balance.retrieve(options={"stripe_account": account})


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_takes_signed_events_from_the_emulator_exactly_once(
    world: World,
    stripe_emu: StripeEmulator,
    live_server,  # type: ignore[no-untyped-def]
) -> None:
    account = stripe_emu.connected_account()["account"]
    connection = _oauth(world, stripe_emu, "connect", account=account)
    # Intake only: the worker's side (dispatch → re-read) is tested elsewhere, and tests run
    # tasks eagerly, which would do it inside the live server's request.
    endpoint = stripe_emu.client().v1.webhook_endpoints.create(
        {"url": f"{live_server.url}/webhooks/stripe/", "enabled_events": ["*"], "connect": True}
    )
    stripe_emu.admin("POST", "chaos", duplicate=True, out_of_order=True)
    doorbell = mock.patch("connections.tasks.drain_inbox.delay", autospec=True)
    with doorbell, override_settings(STRIPE_WEBHOOK_SECRET=endpoint.secret):
        for amount in (1000, 2500, 4200):
            stripe_emu.client().v1.payment_intents.create(
                {
                    "amount": amount,
                    "currency": "usd",
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                },
                {"stripe_account": account},
            )
        assert stripe_emu.deliver() > 0
        deliveries = stripe_emu.admin("GET", "webhooks/deliveries")["deliveries"]
    assert all(d["status"] == "succeeded" for d in deliveries), deliveries
    sent_ids = {d["event"] for d in deliveries}
    stored = InboundEvent.objects.filter(connection=connection)
    assert set(stored.values_list("event_id", flat=True)) == sent_ids
    assert stored.count() == len(sent_ids)
    # Each event was posted twice (chaos duplicate) and both posts were answered 2xx.
    attempts = [a for d in deliveries for a in d["attempts"]]
    assert len(attempts) == 2 * len(sent_ids)
    assert all(200 <= a["status"] < 300 for a in attempts)
