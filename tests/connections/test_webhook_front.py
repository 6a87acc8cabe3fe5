"""The WSGI front (connections/fastpath.py): which requests it answers, and what it hands on."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
import stripe
from django.test import override_settings

from connections import inbox
from connections.fastpath import StripeWebhookFront
from connections.models import Connection, InboundEvent
from tests.conftest import World
from tests.connections.wsgi_client import FrontClient
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_front_secret_for_tests"


class DjangoStandIn:
    """Stands in for Django behind the front and records what reached it."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.paths.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("299 Django", [("Content-Type", "text/plain")])
        return [b"django"]


@pytest.fixture
def django_app() -> DjangoStandIn:
    return DjangoStandIn()


@pytest.fixture
def front(django_app: DjangoStandIn) -> FrontClient:
    return FrontClient(StripeWebhookFront(django_app))


@pytest.fixture(autouse=True)
def alice_stripe(world: World) -> Connection:
    with override_settings(STRIPE_WEBHOOK_SECRET=SECRET):
        yield ConnectionFactory(tenant=world.alice_tenant, external_id="acct_alice")


def _signed(event_id: str) -> tuple[bytes, str]:
    body = json.dumps(
        {"id": event_id, "object": "event", "account": "acct_alice", "livemode": False}
    ).encode()
    return body, stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)


def _post(front: FrontClient, path: str, event_id: str = "evt_1", **environ: str) -> Any:
    body, header = _signed(event_id)
    return front.post(path, body, "application/json", HTTP_STRIPE_SIGNATURE=header, **environ)


def test_it_answers_stripe_events_without_django(
    front: FrontClient, django_app: DjangoStandIn
) -> None:
    response = _post(front, "/webhooks/stripe/")
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "status": "received"}
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert int(response["Content-Length"]) == len(response.content)
    assert django_app.paths == []
    stored = InboundEvent.objects.get()
    assert stored.event_id == "evt_1"
    assert stored.payload == json.loads(_signed("evt_1")[0])  # the body, stored as received


def test_it_answers_per_connection_endpoints_too(
    front: FrontClient, django_app: DjangoStandIn, alice_stripe: Connection
) -> None:
    response = _post(front, f"/webhooks/stripe/{alice_stripe.webhook_token}/")
    assert response.status_code == 503  # no signing secret saved for this connection yet
    assert response["Content-Type"] == "application/problem+json"
    assert django_app.paths == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/webhooks/stripe/"),
        ("POST", "/webhooks/quickbooks/"),
        ("POST", "/webhooks/stripe/a/b/"),
        ("POST", "/webhooks/stripe/token"),
        ("POST", "/webhooks/stripe//"),
        ("POST", "/o/alice/connections/"),
    ],
)
def test_it_hands_everything_else_to_django(
    front: FrontClient, django_app: DjangoStandIn, method: str, path: str
) -> None:
    response = front.get(path) if method == "GET" else _post(front, path)
    assert response.status_code == 299
    assert django_app.paths == [(method, path)]
    assert not InboundEvent.objects.exists()


def test_a_host_django_would_refuse_goes_to_django(
    front: FrontClient, django_app: DjangoStandIn
) -> None:
    with override_settings(ALLOWED_HOSTS=["tieout.example"], DEBUG=False):
        _post(front, "/webhooks/stripe/", HTTP_HOST="evil.example")
        _post(front, "/webhooks/stripe/", "evt_2", HTTP_HOST="tieout.example")
    assert django_app.paths == [("POST", "/webhooks/stripe/")]
    assert list(InboundEvent.objects.values_list("event_id", flat=True)) == ["evt_2"]


def test_plain_http_goes_to_django_when_https_is_required(
    front: FrontClient, django_app: DjangoStandIn
) -> None:
    with override_settings(
        SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
    ):
        _post(front, "/webhooks/stripe/")
        assert _post(front, "/webhooks/stripe/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert django_app.paths == [("POST", "/webhooks/stripe/")]
    assert InboundEvent.objects.count() == 1


def test_a_failure_is_a_500_problem_and_logged(
    front: FrontClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: Any) -> bool:
        raise RuntimeError("database went away")

    monkeypatch.setattr("connections.webhooks.inbox_store", broken)
    response = _post(front, "/webhooks/stripe/")
    assert response.status_code == 500  # Stripe retries; the event is not lost
    assert response.json()["status"] == 500
    assert "Stripe webhook failed" in caplog.text


def test_a_declared_oversized_body_is_refused_before_reading(
    front: FrontClient, django_app: DjangoStandIn
) -> None:
    response = front.post(
        "/webhooks/stripe/", b"{}", "application/json", CONTENT_LENGTH=str(10 * 1024 * 1024)
    )
    assert response.status_code == 413
    assert django_app.paths == []


def test_one_doorbell_per_second_per_process(
    front: FrontClient,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(inbox.time, "monotonic", lambda: clock[0])
    with django_capture_on_commit_callbacks(execute=False) as burst:
        for n in range(3):
            _post(front, "/webhooks/stripe/", f"evt_a{n}")
        clock[0] += inbox.DOORBELL_SECONDS - 0.01
        _post(front, "/webhooks/stripe/", "evt_b")
    assert len(burst) == 1
    clock[0] += 0.02  # the window has closed: the next event rings again
    with django_capture_on_commit_callbacks(execute=False) as later:
        _post(front, "/webhooks/stripe/", "evt_c")
    assert len(later) == 1
    # ...and the drain it rings for starts after the window, so it finds the whole burst.
    assert inbox.DRAIN_DELAY_SECONDS > inbox.DOORBELL_SECONDS
    assert InboundEvent.objects.count() == 5


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_the_redis_cache_keeps_one_client() -> None:
    from django.core.cache import caches

    from config.cache import ReusingRedisCache

    cache = caches["default"]
    assert isinstance(cache, ReusingRedisCache)
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is first
    key = f"front-test-{time.monotonic_ns()}"
    assert cache.add(key, 1, timeout=5)
    assert not cache.add(key, 2, timeout=5)
    assert cache.get(key) == 1
    cache.delete(key)
