"""Intuit OAuth end to end against emulators/quickbooks, refresh with rotation, and the race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection as db_connection
from django.utils import timezone

from connections import services
from connections.models import Connection
from connections.providers.errors import AuthRevoked
from connections.providers.quickbooks import client as qbo_client
from emulators.quickbooks.testing import RunningEmulator
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks

pytestmark = pytest.mark.django_db


def _connect(world: World, qbo: RunningEmulator) -> Connection:
    client = world.client_for(world.alice)
    callback = connect_quickbooks(client, world.alice_tenant.slug)
    response = client.get(callback)
    assert response.status_code == 302, response.content
    return Connection.objects.filter(provider="quickbooks", tenant=world.alice_tenant).latest("pk")


def test_it_connects_quickbooks_and_stores_company_facts(
    world: World, qbo: RunningEmulator
) -> None:
    connection = _connect(world, qbo)
    assert connection.status == Connection.Status.CONNECTED
    assert connection.display_name == "Acme Books"
    assert connection.home_currency == "USD"
    assert connection.custom_txn_numbers is True
    assert connection.access_token and connection.refresh_token
    assert connection.access_expires_at > timezone.now() + timedelta(minutes=50)
    assert connection.connected_by == world.alice
    page = world.client_for(world.alice).get(f"/o/{world.alice_tenant.slug}/connections/")
    assert "Acme Books" in page.content.decode()


def test_it_refuses_a_callback_with_a_foreign_state(world: World, qbo: RunningEmulator) -> None:
    callback = connect_quickbooks(world.client_for(world.alice), world.alice_tenant.slug)
    # Charlie replays alice's callback in his own session.
    response = world.client_for(world.charlie).get(callback)
    assert response.status_code == 400
    assert not Connection.objects.filter(provider="quickbooks").exists()


def test_it_refuses_a_reused_state(world: World, qbo: RunningEmulator) -> None:
    client = world.client_for(world.alice)
    callback = connect_quickbooks(client, world.alice_tenant.slug)
    assert client.get(callback).status_code == 302
    assert client.get(callback).status_code == 400


def test_it_reports_a_declined_approval(world: World, qbo: RunningEmulator) -> None:
    import requests

    client = world.client_for(world.alice)
    start = client.post(f"/o/{world.alice_tenant.slug}/connections/quickbooks/start/")
    denied = requests.post(
        start["Location"], data={"decision": "deny"}, allow_redirects=False, timeout=10
    )
    response = client.get(denied.headers["Location"], follow=True)
    assert "access was declined" in response.content.decode()
    assert not Connection.objects.filter(provider="quickbooks").exists()


def test_it_refreshes_and_stores_the_rotated_refresh_token(
    world: World, qbo: RunningEmulator
) -> None:
    connection = _connect(world, qbo)
    old_refresh = connection.refresh_token
    qbo.clock.advance(3600 - 60)  # within the refresh margin
    Connection.objects.filter(pk=connection.pk).update(
        access_expires_at=timezone.now() + timedelta(minutes=1)
    )
    refreshed = services.quickbooks_token_refresh(connection_id=connection.pk)
    assert refreshed.refresh_token != old_refresh
    connection.refresh_from_db()
    assert connection.refresh_token == refreshed.refresh_token
    # The rotated token works; the company can still be read.
    info = services.quickbooks_call(connection_id=connection.pk, call=qbo_client.company_info)
    assert info.company_name == "Acme Books"


def test_it_refreshes_once_on_401_and_retries(world: World, qbo: RunningEmulator) -> None:
    connection = _connect(world, qbo)
    qbo.clock.advance(3601)  # the emulator now refuses the access token; our row still trusts it
    before = qbo.oauth_calls.token
    info = services.quickbooks_call(connection_id=connection.pk, call=qbo_client.company_info)
    assert info.company_name == "Acme Books"
    assert qbo.oauth_calls.token == before + 1


def test_it_pauses_and_tells_the_admins_on_invalid_grant(
    world: World,
    qbo: RunningEmulator,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    connection = _connect(world, qbo)
    Connection.objects.filter(pk=connection.pk).update(
        refresh_token="not-a-refresh-token", access_expires_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AuthRevoked):
        services.quickbooks_token_refresh(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_RECONNECT
    assert connection.syncs_paused
    assert "Reconnect QuickBooks to resume" in connection.last_error
    assert mail.outbox[-1].to == ["alice@example.com"]
    page = world.client_for(world.bob).get(f"/o/{world.alice_tenant.slug}/connections/")
    assert "QuickBooks disconnected Tieout from Acme Books" in page.content.decode()


def test_it_revokes_on_disconnect(world: World, qbo: RunningEmulator) -> None:
    connection = _connect(world, qbo)
    client = world.client_for(world.alice)
    client.post(f"/o/{world.alice_tenant.slug}/connections/{connection.pk}/disconnect/")
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISCONNECTED
    assert connection.refresh_token == "" and connection.access_token == ""
    assert qbo.oauth_calls.revoke == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_refreshes_once_when_two_workers_race(world: World, qbo: RunningEmulator) -> None:
    connection = _connect(world, qbo)
    Connection.objects.filter(pk=connection.pk).update(
        access_expires_at=timezone.now() + timedelta(seconds=30)
    )
    before = qbo.oauth_calls.token
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(
                services.quickbooks_token_refresh(connection_id=connection.pk).access_token
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert qbo.oauth_calls.token == before + 1
    connection.refresh_from_db()
    assert results == [connection.access_token, connection.access_token]
    # The one stored refresh token is the newest: it still refreshes.
    Connection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now())
    assert services.quickbooks_token_refresh(connection_id=connection.pk).access_token


def test_it_refreshes_expiring_tokens_from_the_beat_task(
    world: World, qbo: RunningEmulator
) -> None:
    from connections.tasks import refresh_expiring_tokens

    connection = _connect(world, qbo)
    fresh = _connect_other(world, qbo)
    Connection.objects.filter(pk=connection.pk).update(
        access_expires_at=timezone.now() + timedelta(minutes=10)
    )
    before = connection.access_token
    refresh_expiring_tokens.delay()
    connection.refresh_from_db()
    fresh_before = fresh.access_token
    fresh.refresh_from_db()
    assert connection.access_token != before
    assert fresh.access_token == fresh_before


def _connect_other(world: World, qbo: RunningEmulator) -> Connection:
    client = world.client_for(world.charlie)
    callback = connect_quickbooks(client, world.charlie_tenant.slug, company_name="Charlie Co")
    assert client.get(callback).status_code == 302
    return Connection.objects.get(provider="quickbooks", tenant=world.charlie_tenant)


def test_it_refreshes_company_facts_daily(world: World, qbo: RunningEmulator) -> None:
    from connections.tasks import refresh_company_facts

    connection = _connect(world, qbo)
    company = qbo.company(connection.external_id)
    company.preferences["AccountingInfoPrefs"] = {"BookCloseDate": "2026-10-31"}
    refresh_company_facts.delay()
    connection.refresh_from_db()
    assert str(connection.books_closed_on) == "2026-10-31"
