"""Capture every log record during connect, refresh and webhook flows: no secret appears."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest
import stripe
from django.test import Client, override_settings
from django.utils import timezone

from connections import services
from connections.models import Connection
from emulators.quickbooks.testing import RunningEmulator
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec_logcheck_0123_not_real"


def test_it_keeps_every_secret_out_of_the_logs(
    world: World, qbo: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = world.client_for(world.alice)
    callback = connect_quickbooks(client, world.alice_tenant.slug)
    code = callback.split("code=")[1].split("&")[0]
    client.get(callback)
    connection = Connection.objects.filter(provider="quickbooks").latest("pk")
    first_tokens = (connection.access_token, connection.refresh_token)
    Connection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now())
    refreshed = services.quickbooks_token_refresh(connection_id=connection.pk)

    stripe_connection = world.alice_connection
    with override_settings(STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET):
        body = json.dumps(
            {
                "id": "evt_log",
                "object": "event",
                "type": "charge.succeeded",
                "livemode": False,
                "account": stripe_connection.external_id,
                "created": int(time.time()),
                "data": {},
            }
        )
        header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
        Client().post("/webhooks/stripe/", body, "application/json", HTTP_STRIPE_SIGNATURE=header)
        Client().post(
            "/webhooks/stripe/", body, "application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=00"
        )

    secrets = [
        code,
        *first_tokens,
        refreshed.access_token,
        refreshed.refresh_token,
        qbo.client_secret,
        WEBHOOK_SECRET,
    ]
    assert len(caplog.records) > 5, "the flows logged nothing: the check would be vacuous"
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    leaked = [s[:6] + "…" for s in secrets if s and s in text]
    assert leaked == []
    assert timedelta(0) <= refreshed.access_expires_at - timezone.now()
