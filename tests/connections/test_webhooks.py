"""Webhook intake: right status, nothing lost, nothing doubled.

Every test runs twice: through Django's test client (the views), and through the production
WSGI application, whose front answers Stripe's POSTs itself (connections/fastpath.py) and hands
everything else to Django — so both ways in behave the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from connections import tasks
from connections.models import Connection, InboundEvent
from connections.providers.quickbooks.webhooks import signature_for
from tests.conftest import World
from tests.connections.wsgi_client import FrontClient
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

PLATFORM_SECRET = "whsec_test_platform_secret_for_tests"
URL = "/webhooks/stripe/"


def _event(event_id: str, account: str, type_: str = "charge.succeeded", livemode: bool = False):  # type: ignore[no-untyped-def]
    return {
        "id": event_id,
        "object": "event",
        "account": account,
        "livemode": livemode,
        "type": type_,
        "created": int(time.time()),
        "data": {"object": {"id": "ch_1", "object": "charge"}},
        "padding": "x" * 2000,
    }


def _post(client: Client, url: str, body: bytes, secret: str, timestamp: int | None = None):  # type: ignore[no-untyped-def]
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=timestamp
    )
    return client.post(url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


@pytest.fixture
def alice_stripe(world: World) -> Connection:
    return ConnectionFactory(tenant=world.alice_tenant, external_id="acct_alice")


@pytest.fixture(autouse=True)
def _platform_secret():  # type: ignore[no-untyped-def]
    with override_settings(STRIPE_WEBHOOK_SECRET=PLATFORM_SECRET):
        yield


_front: list[Callable[[], Any]] = [Client]


@pytest.fixture(autouse=True, params=["django_views", "wsgi_front"])
def _way_in(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    _front[:] = [Client if request.param == "django_views" else FrontClient]
    yield
    _front[:] = [Client]


def _client() -> Any:
    return _front[0]()


def test_it_stores_a_signed_event_and_enqueues_it(
    alice_stripe: Connection,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    body = json.dumps(_event("evt_1", "acct_alice")).encode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(_client(), URL, body, PLATFORM_SECRET)
    assert response.status_code == 200
    row = InboundEvent.objects.get()
    assert (row.event_id, row.tenant_id, row.status) == (
        "evt_1",
        alice_stripe.tenant_id,
        "received",
    )
    assert len(callbacks) == 1


def test_it_marks_the_event_processed_when_the_worker_runs(
    alice_stripe: Connection,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    body = json.dumps(_event("evt_1", "acct_alice")).encode()
    with django_capture_on_commit_callbacks(execute=True):
        _post(_client(), URL, body, PLATFORM_SECRET)
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED


def test_it_refuses_a_bad_signature(alice_stripe: Connection) -> None:
    body = json.dumps(_event("evt_1", "acct_alice")).encode()
    response = _post(_client(), URL, body, "whsec_someone_else")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not InboundEvent.objects.exists()


def test_it_refuses_a_stale_signature(alice_stripe: Connection) -> None:
    body = json.dumps(_event("evt_1", "acct_alice")).encode()
    response = _post(_client(), URL, body, PLATFORM_SECRET, timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert not InboundEvent.objects.exists()


def test_it_refuses_a_tampered_body(alice_stripe: Connection) -> None:
    body = json.dumps(_event("evt_1", "acct_alice")).encode()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), PLATFORM_SECRET)
    response = _client().post(
        URL, body.replace(b"evt_1", b"evt_2"), "application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400


def test_it_records_an_unknown_account_as_ignored(world: World) -> None:
    body = json.dumps(_event("evt_1", "acct_nobody")).encode()
    response = _post(_client(), URL, body, PLATFORM_SECRET)
    assert response.status_code == 200
    row = InboundEvent.objects.get()
    assert (row.status, row.tenant_id) == (InboundEvent.Status.IGNORED, None)


def test_it_keeps_one_row_for_duplicates(alice_stripe: Connection) -> None:
    body = json.dumps(_event("evt_1", "acct_alice")).encode()
    responses = [_post(_client(), URL, body, PLATFORM_SECRET) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json()["duplicate"] for r in responses] == [False, True, True]
    assert InboundEvent.objects.count() == 1


def test_it_refuses_an_oversized_body(alice_stripe: Connection) -> None:
    event = _event("evt_big", "acct_alice")
    event["padding"] = "x" * 300_000
    response = _post(_client(), URL, json.dumps(event).encode(), PLATFORM_SECRET)
    assert response.status_code == 413
    assert not InboundEvent.objects.exists()


def test_it_refuses_a_signed_body_that_is_not_json(alice_stripe: Connection) -> None:
    response = _post(_client(), URL, b"this is not json", PLATFORM_SECRET)
    assert response.status_code == 400
    assert not InboundEvent.objects.exists()


def test_it_refuses_get(alice_stripe: Connection) -> None:
    assert _client().get(URL).status_code == 405


def test_it_keeps_live_events_away_from_test_connections(alice_stripe: Connection) -> None:
    body = json.dumps(_event("evt_live", "acct_alice", livemode=True)).encode()
    _post(_client(), URL, body, PLATFORM_SECRET)
    assert InboundEvent.objects.get().status == InboundEvent.Status.IGNORED


def test_it_routes_each_account_to_its_own_organisation(world: World) -> None:
    ConnectionFactory(tenant=world.alice_tenant, external_id="acct_alice")
    ConnectionFactory(tenant=world.charlie_tenant, external_id="acct_charlie")
    for n, account in enumerate(["acct_alice", "acct_charlie", "acct_alice"]):
        _post(_client(), URL, json.dumps(_event(f"evt_{n}", account)).encode(), PLATFORM_SECRET)
    assert InboundEvent.objects.for_tenant(world.alice_tenant).count() == 2
    assert InboundEvent.objects.for_tenant(world.charlie_tenant).count() == 1


def test_it_answers_503_without_a_platform_secret(alice_stripe: Connection) -> None:
    with override_settings(STRIPE_WEBHOOK_SECRET=""):
        response = _client().post(URL, b"{}", "application/json")
    assert response.status_code == 503


def test_it_accepts_events_on_a_per_connection_endpoint(alice_stripe: Connection) -> None:
    Connection.objects.filter(pk=alice_stripe.pk).update()
    alice_stripe.webhook_secret = "whsec_connection_own_secret"
    alice_stripe.save(update_fields=["webhook_secret"])
    url = reverse("webhooks:stripe_connection", args=[alice_stripe.webhook_token])
    event = _event("evt_direct", "")
    body = json.dumps(event).encode()
    assert _post(_client(), url, body, PLATFORM_SECRET).status_code == 400
    assert _post(_client(), url, body, "whsec_connection_own_secret").status_code == 200
    row = InboundEvent.objects.get()
    assert (row.account, row.connection_id) == ("acct_alice", alice_stripe.pk)


def test_it_answers_404_for_an_unknown_connection_endpoint(alice_stripe: Connection) -> None:
    url = reverse("webhooks:stripe_connection", args=["no-such-token"])
    body = json.dumps(_event("evt_1", "acct_alice")).encode()
    assert _post(_client(), url, body, PLATFORM_SECRET).status_code == 404


def test_it_disconnects_on_deauthorization_and_tells_the_admins(
    alice_stripe: Connection,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    body = json.dumps(
        _event("evt_deauth", "acct_alice", type_="account.application.deauthorized")
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        _post(_client(), URL, body, PLATFORM_SECRET)
    alice_stripe.refresh_from_db()
    assert alice_stripe.status == Connection.Status.DISCONNECTED
    assert alice_stripe.syncs_paused
    assert "removed Tieout's access" in alice_stripe.last_error
    assert mail.outbox and mail.outbox[-1].to == ["alice@example.com"]


# --- QuickBooks -------------------------------------------------------------------

QBO_TOKEN = "verifier-token-for-tests"
QBO_URL = "/webhooks/quickbooks/"


def _qbo_post(body: bytes, token: str = QBO_TOKEN):  # type: ignore[no-untyped-def]
    return _client().post(
        QBO_URL,
        body,
        content_type="application/json",
        HTTP_INTUIT_SIGNATURE=signature_for(body, token),
    )


@pytest.fixture
def alice_qbo(world: World) -> Connection:
    return ConnectionFactory(
        tenant=world.alice_tenant, provider="quickbooks", method="intuit_oauth", external_id="9130"
    )


@override_settings(INTUIT_WEBHOOK_VERIFIER_TOKEN=QBO_TOKEN)
def test_it_matches_intuits_signature_test_vector() -> None:
    assert (
        signature_for(b'{"stuff":"5"}', "verify_me")
        == "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="
    )


@override_settings(INTUIT_WEBHOOK_VERIFIER_TOKEN=QBO_TOKEN)
def test_it_stores_legacy_notifications_once(alice_qbo: Connection) -> None:
    body = json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": "9130",
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "SalesReceipt",
                                "id": "12",
                                "operation": "Delete",
                                "lastUpdated": "2026-11-20T10:00:00.000Z",
                            },
                            {
                                "name": "Purchase",
                                "id": "13",
                                "operation": "Update",
                                "lastUpdated": "2026-11-20T10:00:01.000Z",
                            },
                        ]
                    },
                }
            ]
        }
    ).encode()
    assert _qbo_post(body).status_code == 200
    assert _qbo_post(body).json() == {"received": 2, "new": 0}
    rows = InboundEvent.objects.for_tenant(alice_qbo.tenant).order_by("type")
    assert [r.type for r in rows] == ["Purchase.Update", "SalesReceipt.Delete"]


@override_settings(INTUIT_WEBHOOK_VERIFIER_TOKEN=QBO_TOKEN)
def test_it_stores_cloud_events_across_realms(alice_qbo: Connection) -> None:
    body = json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "ce-1",
                "type": "qbo.salesreceipt.deleted.v1",
                "intuitentityid": "12",
                "intuitaccountid": "9130",
                "data": {},
            },
            {
                "specversion": "1.0",
                "id": "ce-2",
                "type": "qbo.account.created.v1",
                "intuitentityid": "7",
                "intuitaccountid": "unknown-realm",
                "data": {},
            },
        ]
    ).encode()
    assert _qbo_post(body).json() == {"received": 2, "new": 2}
    statuses = dict(InboundEvent.objects.values_list("event_id", "status"))
    assert statuses == {"ce-1": "received", "ce-2": "ignored"}


@override_settings(INTUIT_WEBHOOK_VERIFIER_TOKEN=QBO_TOKEN)
def test_it_refuses_a_bad_intuit_signature(alice_qbo: Connection) -> None:
    body = b'{"eventNotifications": []}'
    assert _qbo_post(body, token="wrong").status_code == 400
    assert _qbo_post(b"[1, 2", token=QBO_TOKEN).status_code == 400
    assert not InboundEvent.objects.exists()


def test_it_rings_once_for_a_burst_and_the_worker_drains_it(
    alice_stripe: Connection,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from connections.tasks import drain_inbox

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for n in range(5):
            _post(
                _client(),
                URL,
                json.dumps(_event(f"evt_{n}", "acct_alice")).encode(),
                PLATFORM_SECRET,
            )
    assert len(callbacks) == 1  # one doorbell for five events
    drain_inbox(alice_stripe.pk)
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_it_sweeps_events_whose_doorbell_was_lost(
    alice_stripe: Connection,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from connections.tasks import sweep_inbox

    _post(_client(), URL, json.dumps(_event("evt_lost", "acct_alice")).encode(), PLATFORM_SECRET)
    InboundEvent.objects.update(received_at=timezone.now() - timedelta(minutes=2))
    sweep_inbox()  # tasks run eagerly in tests: the drain happens here
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED


@pytest.mark.django_db(transaction=True)
def test_it_answers_200_when_the_broker_is_down(alice_stripe: Connection) -> None:
    # A transactional test: the endpoint runs in autocommit, so the doorbell is published
    # inside the request, as in production.
    from unittest import mock

    from kombu.exceptions import OperationalError

    with mock.patch(
        "connections.tasks.drain_inbox.apply_async",
        autospec=True,
        side_effect=OperationalError("down"),
    ) as doorbell:
        for n in range(2):
            response = _post(
                _client(),
                URL,
                json.dumps(_event(f"evt_down{n}", "acct_alice")).encode(),
                PLATFORM_SECRET,
            )
            assert response.status_code == 200
    # Each publish was tried and failed; a failed bell does not silence the next event's.
    assert doorbell.call_count == 2
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {
        InboundEvent.Status.RECEIVED  # the sweeper's job
    }


def test_events_of_a_deleted_connection_are_ignored_by_the_drain(world: World) -> None:
    """The inbox has no foreign-key constraint: a route cached a moment before the connection
    was deleted can still store an event for it. The drain sets it aside, once."""
    gone = ConnectionFactory(tenant=world.alice_tenant, external_id="acct_gone")
    gone_id = gone.pk
    gone.delete()
    InboundEvent.objects.create(
        provider="stripe",
        event_id="evt_late",
        account="acct_gone",
        payload={},
        connection_id=gone_id,
        tenant_id=world.alice_tenant.pk,
    )
    tasks.drain_inbox(gone_id)
    row = InboundEvent.objects.get()
    assert (row.status, row.connection_id, row.note) == (
        "ignored",
        None,
        "its connection was deleted",
    )
