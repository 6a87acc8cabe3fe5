"""The ASGI intake (connections/intake.py): the same answers and rows as the views and the WSGI
front, through `config.asgi.application`.

On PostgreSQL the platform endpoint stores events through the intake's own asyncio connection
pool, which cannot see a test's open transaction: these tests commit (transaction=True). On
SQLite the intake runs the views' functions in Django's thread, which these tests cover too.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
import stripe
from django.db import connection
from django.test import override_settings
from psycopg_pool import PoolTimeout

from connections import intake, tasks
from connections.intake import StripeWebhookIntake
from connections.models import Connection, InboundEvent
from tests.conftest import World
from tests.connections.asgi_client import IntakeClient, lifespan
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec_test_intake_secret_for_tests"
URL = "/webhooks/stripe/"
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the asyncio pool path runs on PostgreSQL only (CI runs the suite on PostgreSQL)",
)


@pytest.fixture(autouse=True)
def _secret():  # type: ignore[no-untyped-def]
    with override_settings(STRIPE_WEBHOOK_SECRET=SECRET):
        yield


@pytest.fixture
def alice_stripe(world: World) -> Connection:
    return ConnectionFactory(tenant=world.alice_tenant, external_id="acct_alice")


@pytest.fixture
def doorbells(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Doorbells published to the broker (the drain itself is not run)."""
    rung: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        tasks.drain_inbox, "apply_async", lambda args, countdown: rung.append((args, countdown))
    )
    return rung


def _signed(event_id: str, account: str = "acct_alice", secret: str = SECRET) -> tuple[bytes, str]:
    event = {
        "id": event_id,
        "object": "event",
        "account": account,
        "livemode": False,
        "type": "charge.succeeded",
        "created": int(time.time()),
        "data": {"object": {"id": "ch_1", "object": "charge"}},
        "padding": "x" * 2000,
    }
    if not account:
        del event["account"]
    body = json.dumps(event).encode()
    return body, stripe.WebhookSignature.generate_signature_header(body.decode(), secret)


def _post(body: bytes, signature: str, url: str = URL, **options: Any) -> Any:
    headers = {"stripe-signature": signature, **options.pop("headers", {})}
    return IntakeClient(**options.pop("client", {})).post(
        url, body, "application/json", headers=headers, **options
    )


def test_it_stores_a_signed_event_and_rings_once(
    alice_stripe: Connection, doorbells: list[tuple[Any, ...]]
) -> None:
    response = _post(*_signed("evt_1"))
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "status": "received"}
    assert response["X-Content-Type-Options"] == "nosniff"
    row = InboundEvent.objects.get()
    assert (row.event_id, row.connection_id, row.tenant_id, row.status) == (
        "evt_1",
        alice_stripe.pk,
        alice_stripe.tenant_id,
        "received",
    )
    assert row.payload["padding"] == "x" * 2000
    assert doorbells == [((alice_stripe.pk,), 2.0)]


def test_a_burst_rings_once_and_duplicates_are_answered_as_such(
    alice_stripe: Connection, doorbells: list[tuple[Any, ...]]
) -> None:
    for n in range(5):
        assert _post(*_signed(f"evt_{n}")).json()["duplicate"] is False
    again = _post(*_signed("evt_3"))
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert InboundEvent.objects.count() == 5
    assert len(doorbells) == 1


def test_it_refuses_a_bad_signature(alice_stripe: Connection) -> None:
    body, _ = _signed("evt_1")
    _, wrong = _signed("evt_1", secret="whsec_someone_else")
    response = _post(body, wrong)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not InboundEvent.objects.exists()


def test_it_refuses_a_signed_body_that_is_not_json(alice_stripe: Connection) -> None:
    body = b"not json"
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)
    assert _post(body, header).status_code == 400
    assert not InboundEvent.objects.exists()


def test_it_keeps_unknown_accounts_and_accountless_events_as_ignored(
    alice_stripe: Connection, doorbells: list[tuple[Any, ...]]
) -> None:
    assert _post(*_signed("evt_stranger", account="acct_stranger")).json()["status"] == "ignored"
    assert _post(*_signed("evt_platform", account="")).json()["status"] == "ignored"
    notes = dict(InboundEvent.objects.values_list("event_id", "note"))
    assert notes == {
        "evt_stranger": "no organisation has this account connected",
        "evt_platform": "platform event without an account",
    }
    assert InboundEvent.objects.filter(connection__isnull=True, status="ignored").count() == 2
    assert doorbells == []


def test_it_refuses_oversized_bodies_declared_or_streamed(alice_stripe: Connection) -> None:
    big = b"x" * (256 * 1024 + 1)
    declared = _post(big, "t=1,v1=0")
    streamed = _post(b"", "t=1,v1=0", chunks=[big[:200_000], big[200_000:]])
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert not InboundEvent.objects.exists()


def test_it_answers_503_without_a_platform_secret(alice_stripe: Connection) -> None:
    with override_settings(STRIPE_WEBHOOK_SECRET=""):
        response = _post(*_signed("evt_1"))
    assert response.status_code == 503
    assert not InboundEvent.objects.exists()


def test_per_connection_endpoints_work_through_django(
    alice_stripe: Connection, doorbells: list[tuple[Any, ...]]
) -> None:
    alice_stripe.webhook_token = "tok_alice_endpoint"
    alice_stripe.webhook_secret = "whsec_alice_own_secret_for_tests"
    alice_stripe.save()
    body, signature = _signed("evt_own", secret="whsec_alice_own_secret_for_tests")
    response = _post(body, signature, url=f"{URL}tok_alice_endpoint/")
    assert response.json()["status"] == "received"
    assert InboundEvent.objects.get().connection_id == alice_stripe.pk
    assert _post(body, signature, url=f"{URL}tok_nobody/").status_code == 404
    assert doorbells == [((alice_stripe.pk,), 2.0)]


def test_it_hands_other_requests_to_django(alice_stripe: Connection) -> None:
    client = IntakeClient()
    assert client.get(URL).status_code == 405
    assert client.get("/healthz").status_code in (200, 503)
    assert client.post("/webhooks/quickbooks/", b"{}").status_code == 400


class DjangoStandIn:
    """Stands in for Django's ASGI handler behind the intake and records what reached it."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


def test_a_host_django_would_refuse_goes_to_django(alice_stripe: Connection) -> None:
    django_app = DjangoStandIn()
    app = StripeWebhookIntake(django_app)
    response = _post(*_signed("evt_1"), client={"app": app, "host": "evil.example"})
    assert (response.status_code, django_app.paths) == (299, [("POST", URL)])
    assert not InboundEvent.objects.exists()


def test_plain_http_goes_to_django_when_https_is_required(
    alice_stripe: Connection, doorbells: list[tuple[Any, ...]]
) -> None:
    django_app = DjangoStandIn()
    app = StripeWebhookIntake(django_app)
    proto = {"x-forwarded-proto": "https"}
    with override_settings(
        SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
    ):
        plain = _post(*_signed("evt_plain"), client={"app": app})
        behind_tls = _post(*_signed("evt_tls"), headers=proto, client={"app": app})
        over_tls = _post(*_signed("evt_https"), client={"app": app}, scheme="https")
    assert (plain.status_code, behind_tls.status_code, over_tls.status_code) == (299, 200, 200)
    assert django_app.paths == [("POST", URL)]
    assert set(InboundEvent.objects.values_list("event_id", flat=True)) == {"evt_tls", "evt_https"}


def test_a_failure_is_a_500_and_logged(
    alice_stripe: Connection, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(intake.inbox, "row_values", broken)
    monkeypatch.setattr(intake.webhooks, "receive_stripe_platform", broken)
    with caplog.at_level(logging.ERROR, logger="connections.intake"):
        response = _post(*_signed("evt_1"))
    assert response.status_code == 500
    assert "Stripe webhook failed" in caplog.text


def test_it_answers_200_when_the_broker_is_down(
    alice_stripe: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(tasks.drain_inbox, "apply_async", down)
    assert _post(*_signed("evt_1")).status_code == 200
    assert InboundEvent.objects.get().status == "received"


def test_lifespan_starts_and_closes_the_pool() -> None:
    app = StripeWebhookIntake(django_app=None)  # type: ignore[arg-type]
    assert lifespan(app) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


@on_postgresql
def test_on_postgresql_the_platform_endpoint_stays_on_the_event_loop(
    alice_stripe: Connection, monkeypatch: pytest.MonkeyPatch, doorbells: list[tuple[Any, ...]]
) -> None:
    """Once the route is cached, an event costs no trip to Django's thread but the bell."""
    called: list[str] = []
    in_django = intake._in_django

    async def counting(function: Any, *args: Any) -> Any:
        called.append(function.__name__)
        return await in_django(function, *args)

    monkeypatch.setattr(intake, "_in_django", counting)
    for n in range(4):
        assert _post(*_signed(f"evt_{n}")).status_code == 200
    assert called == ["route_for", "publish_doorbell"]
    assert InboundEvent.objects.count() == 4


@on_postgresql
def test_on_postgresql_no_free_connection_is_a_503(
    alice_stripe: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def exhausted(self: StripeWebhookIntake, values: dict[str, object]) -> bool:
        raise PoolTimeout("no connection in 10 s")

    monkeypatch.setattr(StripeWebhookIntake, "_insert", exhausted)
    response = _post(*_signed("evt_1"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
