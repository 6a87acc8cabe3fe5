"""Deliveries: signed POSTs to a real loopback receiver, retries on a fake clock, the log."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from partner_hooks import services, tasks
from partner_hooks.models import Delivery, WebhookEndpoint, WebhookEvent
from tests.conftest import World
from tests.partner_hooks.conftest import Receiver

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _endpoint(world: World, receiver: Receiver, **kwargs: Any) -> WebhookEndpoint:
    return services.endpoint_create(tenant=world.alice_tenant, url=receiver.url, **kwargs)


def _emit(world: World, type: str = "sync.finished", **data: Any) -> WebhookEvent | None:
    return services.event_emit(
        tenant_id=world.alice_tenant.pk, type=type, data=data or {"run": {"id": 1}}
    )


def test_it_posts_a_signed_event_the_receiver_can_verify(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(world, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        event = _emit(world, amount=1234, currency="usd")
    assert event is not None and event.event_id.startswith("evt_")

    [request] = receiver.received
    assert request.path == "/hooks/tieout"
    assert request.headers["Tieout-Event-Id"] == event.event_id
    assert request.headers["Tieout-Event-Type"] == "sync.finished"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("Tieout-Webhooks/")
    # Verified the way the README tells partners to, with the secret shown at creation.
    timestamp, signature = (
        p.split("=", 1)[1] for p in request.headers["Tieout-Signature"].split(",")
    )
    expected = hmac.new(
        endpoint.secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    body = json.loads(request.body)
    assert body == {
        "id": event.event_id,
        "type": "sync.finished",
        "created": int(event.created.timestamp()),
        "organisation": world.alice_tenant.slug,
        "data": {"amount": 1234, "currency": "usd"},
    }

    delivery = Delivery.objects.get()
    assert delivery.state == "succeeded" and delivery.attempts == 1
    assert (delivery.last_status, delivery.last_response, delivery.last_error) == (
        200,
        "thanks",
        "",
    )
    assert delivery.last_duration_ms is not None and delivery.delivered_at is not None
    assert not delivery.lease_holder and delivery.lease_until is None


def test_it_sends_only_the_types_an_endpoint_subscribed_to(
    world: World, receiver: Receiver
) -> None:
    _endpoint(world, receiver, event_types=["tie_out.broken"])
    assert _emit(world, "sync.finished") is None
    assert _emit(world, "tie_out.broken") is not None
    assert list(Delivery.objects.values_list("event__type", flat=True)) == ["tie_out.broken"]


def test_it_refuses_unknown_event_types(world: World, receiver: Receiver) -> None:
    with pytest.raises(services.EndpointInvalid, match="Unknown event type"):
        _endpoint(world, receiver, event_types=["payment.made"])
    with pytest.raises(services.EndpointInvalid):
        _endpoint(world, receiver, event_types=["ping"])  # only "Send a test event" sends it


def test_it_announces_the_same_fact_once(world: World, receiver: Receiver) -> None:
    _endpoint(world, receiver)
    first = services.event_emit(
        tenant_id=world.alice_tenant.pk, type="sync.finished", data={}, dedupe_key="run:1"
    )
    again = services.event_emit(
        tenant_id=world.alice_tenant.pk, type="sync.finished", data={}, dedupe_key="run:1"
    )
    assert first is not None and again is None
    assert Delivery.objects.count() == 1


def test_it_retries_on_the_schedule_then_gives_up(world: World, receiver: Receiver) -> None:
    _endpoint(world, receiver)
    receiver.statuses = [500] * 20
    with time_machine.travel(START, tick=False) as clock:
        _emit(world)
        delivery = Delivery.objects.get()
        waits = []
        for attempt in range(1, services.MAX_ATTEMPTS + 1):
            # Not due yet: nothing is sent a second early.
            clock.move_to(delivery.next_attempt_at - timedelta(seconds=1))
            assert services.delivery_attempt(delivery_id=delivery.pk) is None
            clock.move_to(delivery.next_attempt_at)
            done = services.delivery_attempt(delivery_id=delivery.pk)
            assert done is not None and done.attempts == attempt
            delivery = done
            if delivery.state == "failed":
                waits.append(delivery.next_attempt_at - timezone.now())
        assert delivery.state == "given_up"
        assert (delivery.last_status, delivery.attempts) == (500, 9)
        assert delivery.last_error == "The endpoint answered 500."
        assert delivery.last_response.startswith("<html>nope")
    schedule = [timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 720, 1440, 1440)]
    assert len(waits) == len(schedule)
    for wait, planned in zip(waits, schedule, strict=True):
        assert planned * 0.9 <= wait <= planned * 1.1  # jitter stays within ±10 %
    total = sum(waits, timedelta())  # about three days, like Stripe's own retries
    assert timedelta(days=2, hours=13) < total < timedelta(days=3, hours=3)
    assert len(receiver.received) == 9
    # Once given up, beat does not try again by itself.
    with time_machine.travel(START + timedelta(days=30), tick=False):
        assert services.deliveries_due() == []


def test_it_jitters_each_wait(world: World) -> None:
    assert services.retry_delay(1, rand=0.0) == timedelta(seconds=54)
    assert services.retry_delay(1, rand=1.0) == timedelta(seconds=66)
    assert services.retry_delay(4, rand=0.5) == timedelta(hours=2)
    assert services.retry_delay(99, rand=0.5) == timedelta(hours=24)


def test_it_records_a_connection_failure_and_recovers_later(world: World) -> None:
    services.endpoint_create(tenant=world.alice_tenant, url="http://127.0.0.1:9/closed")
    with time_machine.travel(START, tick=False) as clock:
        _emit(world)
        delivery = services.delivery_attempt(delivery_id=Delivery.objects.get().pk)
        assert delivery is not None
        assert (delivery.state, delivery.last_status) == ("failed", None)
        assert delivery.last_error == "Could not connect to the endpoint."
        clock.shift(timedelta(minutes=2))
        assert services.deliveries_due() == [delivery.pk]


def test_it_treats_a_redirect_as_a_failure(world: World, receiver: Receiver) -> None:
    _endpoint(world, receiver)
    receiver.statuses = [301]
    _emit(world)
    delivery = services.delivery_attempt(delivery_id=Delivery.objects.get().pk)
    assert delivery is not None and delivery.state == "failed"
    assert "Redirects are not followed" in delivery.last_error


def test_it_retries_now_on_request_with_one_more_attempt(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(world, receiver)
    _emit(world)
    Delivery.objects.update(state="given_up", attempts=services.MAX_ATTEMPTS)
    delivery = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_retry_now(delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("succeeded", services.MAX_ATTEMPTS + 1)
    assert not services.delivery_retry_now(delivery=delivery)  # delivered: nothing to retry


def test_the_sweeper_sends_what_a_lost_doorbell_did_not(world: World, receiver: Receiver) -> None:
    _endpoint(world, receiver)
    _emit(world)  # the test's transaction never commits, so no doorbell rings
    assert receiver.received == []
    tasks.sweep_webhook_deliveries()  # beat; Celery runs eagerly in tests
    assert len(receiver.received) == 1
    assert Delivery.objects.get().state == "succeeded"
    tasks.sweep_webhook_deliveries()
    tasks.deliver_webhook(Delivery.objects.get().pk)  # a doubled message changes nothing
    assert len(receiver.received) == 1


def test_it_never_sends_a_delivery_another_worker_holds(world: World, receiver: Receiver) -> None:
    _endpoint(world, receiver)
    _emit(world)
    delivery = Delivery.objects.get()
    assert services._claim(delivery.pk, "worker-a")  # worker a is mid-call
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    tasks.sweep_webhook_deliveries()
    assert receiver.received == []
    # Worker a died: once its lease lapses the delivery is due again.
    with time_machine.travel(timezone.now() + services.LEASE + timedelta(seconds=1)):
        assert services.deliveries_due() == [delivery.pk]
        assert services.delivery_attempt(delivery_id=delivery.pk) is not None
    assert len(receiver.received) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_it_once(
    world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _endpoint(world, receiver)
    monkeypatch.setattr(services, "ring", lambda ids: None)  # this test plays the workers
    _emit(world)
    delivery = Delivery.objects.get()
    receiver.hold = threading.Event()
    results: list[Any] = []

    def work() -> None:
        from django.db import connection

        try:
            results.append(services.delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    first = threading.Thread(target=work)
    first.start()
    assert receiver.entered.wait(timeout=10)  # the first worker is inside the HTTP call
    second = threading.Thread(target=work)
    second.start()
    second.join(timeout=10)
    receiver.hold.set()
    first.join(timeout=10)
    assert len(receiver.received) == 1
    assert sorted(r is None for r in results) == [False, True]
    assert Delivery.objects.get().state == "succeeded"


def test_it_never_logs_the_secret_nor_stores_it_in_clear(
    world: World,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint = _endpoint(world, receiver)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _emit(world)
        services.endpoint_send_test(endpoint=endpoint)
    assert len(callbacks) == 2 and len(receiver.received) == 2
    assert endpoint.secret not in caplog.text
    assert endpoint.secret.removeprefix("whsec_") not in caplog.text
    # Stored encrypted: the column does not hold the secret.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM partner_hooks_webhookendpoint")
        [(stored,)] = cursor.fetchall()
    assert endpoint.secret not in stored


def test_a_rolled_secret_signs_the_next_attempt(world: World, receiver: Receiver) -> None:
    endpoint = _endpoint(world, receiver)
    new = services.endpoint_roll_secret(endpoint=endpoint)
    assert new != endpoint.secret and new.startswith("whsec_")
    _emit(world)
    services.delivery_attempt(delivery_id=Delivery.objects.get().pk)
    [request] = receiver.received
    timestamp = request.headers["Tieout-Signature"].split(",")[0].removeprefix("t=")
    from partner_hooks import signing

    assert signing.verify(secret=new, body=request.body, header=request.headers["Tieout-Signature"])
    assert not signing.verify(
        secret=endpoint.secret, body=request.body, header=request.headers["Tieout-Signature"]
    )
    assert timestamp.isdigit()


def test_it_sends_nothing_to_a_turned_off_endpoint(world: World, receiver: Receiver) -> None:
    endpoint = _endpoint(world, receiver)
    _emit(world)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    delivery = services.delivery_attempt(delivery_id=Delivery.objects.get().pk)
    assert delivery is not None and delivery.state == "given_up"
    assert receiver.received == []
    assert _emit(world) is None


def test_beat_runs_the_sweeper_every_minute() -> None:
    from config.celery import app

    entry = app.conf.beat_schedule["sweep-webhook-deliveries"]
    assert entry == {"task": "partner_hooks.tasks.sweep_webhook_deliveries", "schedule": 60.0}
    assert entry["task"] in app.tasks


def test_the_queue_carries_delivery_ids_only(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from unittest import mock

    endpoint = _endpoint(world, receiver)
    with (
        mock.patch.object(tasks.deliver_webhook, "delay", autospec=True) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _emit(world)
        services.endpoint_send_test(endpoint=endpoint)
    ids = sorted(Delivery.objects.values_list("pk", flat=True))
    assert sorted(c.args[0] for c in delay.call_args_list) == ids
    assert all(c.args == (c.args[0],) and not c.kwargs for c in delay.call_args_list)
    assert endpoint.secret not in repr(delay.call_args_list)


def _give_up_next(delivery: Delivery) -> Delivery | None:
    """Attempt `delivery` as its last try (the retries before it already failed)."""
    Delivery.objects.filter(pk=delivery.pk).update(
        state="failed", attempts=services.MAX_ATTEMPTS - 1, next_attempt_at=timezone.now()
    )
    return services.delivery_attempt(delivery_id=delivery.pk)


def test_it_emails_owners_and_admins_when_a_delivery_gives_up_at_most_daily(
    world: World, receiver: Receiver, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    from tenants.roles import Role

    world.make_bob(Role.ADMIN)
    endpoint = services.endpoint_create(
        tenant=world.alice_tenant, url=receiver.url + "?token=receiver-own-token"
    )
    receiver.statuses = [503] * 20
    with time_machine.travel(START, tick=False) as clock:
        _emit(world)
        _emit(world, type="error.raised")
        first, second = Delivery.objects.order_by("pk")
        with django_capture_on_commit_callbacks(execute=True):
            assert _give_up_next(first).state == "given_up"  # type: ignore[union-attr]
        [mail] = mailoutbox
        assert sorted(mail.to) == sorted([world.alice.email, world.bob.email])
        assert mail.subject == f"Tieout: webhook deliveries to {receiver.url} gave up"
        assert "receiver-own-token" not in mail.subject + mail.body
        assert f"/o/{world.alice_tenant.slug}/settings/webhooks/" in mail.body
        assert "Retry now" in mail.body

        clock.shift(timedelta(hours=23))
        with django_capture_on_commit_callbacks(execute=True):
            assert _give_up_next(second).state == "given_up"  # type: ignore[union-attr]
        assert len(mailoutbox) == 1  # once a day per endpoint at most

        clock.shift(timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            _give_up_next(second)
        assert len(mailoutbox) == 2
    endpoint.refresh_from_db()
    assert endpoint.give_up_emailed_at == START + timedelta(hours=25)


def test_it_sends_no_email_for_deliveries_given_up_because_the_endpoint_is_off(
    world: World, receiver: Receiver, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(world, receiver)
    _emit(world)
    services.endpoint_update(endpoint=endpoint, active=False)
    with django_capture_on_commit_callbacks(execute=True):
        given_up = services.delivery_attempt(delivery_id=Delivery.objects.get().pk)
    assert given_up is not None and given_up.state == "given_up"
    assert mailoutbox == [] and receiver.received == []
