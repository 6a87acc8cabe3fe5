from __future__ import annotations

import pytest
from django.urls import reverse

from connections.models import Connection
from emulators.stripe.testing import RunningEmulator
from syncs.models import BalanceTransaction, SyncRun
from tests.conftest import World
from tests.syncs.test_backfill import seeded, stripe_connection  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_it_runs_a_backfill_from_the_page_and_reports_progress(
    world: World,
    stripe_connection: Connection,  # noqa: F811
    seeded: RunningEmulator,  # noqa: F811
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = world.client_for(world.bob)  # an accountant may run syncs
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("syncs:run_start", args=[world.alice_tenant.slug]),
            {"connection": stripe_connection.pk, "start": "2026-10-01", "end": "2026-10-20"},
        )
    run = SyncRun.objects.exclude(pk=world.alice_run.pk).get()
    assert response.url == reverse("syncs:run_detail", args=[world.alice_tenant.slug, run.pk])
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (
        BalanceTransaction.objects.for_tenant(world.alice_tenant).count() == run.transactions_seen
    )
    partial = client.get(
        reverse("syncs:run_detail", args=[world.alice_tenant.slug, run.pk]),
        headers={"HX-Request": "true"},
    )
    assert partial.status_code == 286  # finished: htmx stops polling
    assert "100%" in partial.content.decode() and "<html" not in partial.content.decode()


def test_it_keeps_polling_while_running(world: World) -> None:
    partial = world.client_for(world.alice).get(
        reverse("syncs:run_detail", args=[world.alice_tenant.slug, world.alice_run.pk]),
        headers={"HX-Request": "true"},
    )
    assert partial.status_code == 200
    assert 'hx-trigger="every 2s"' in partial.content.decode()


def test_it_refuses_another_organisations_stripe_account(world: World) -> None:
    response = world.client_for(world.charlie).post(
        reverse("syncs:run_start", args=[world.charlie_tenant.slug]),
        {"connection": world.alice_connection.pk, "start": "2026-10-01", "end": "2026-10-05"},
    )
    assert response.status_code == 400
    assert SyncRun.objects.count() == 1  # only the world's own


def test_it_refuses_a_backwards_range(world: World) -> None:
    response = world.client_for(world.alice).post(
        reverse("syncs:run_start", args=[world.alice_tenant.slug]),
        {"connection": world.alice_connection.pk, "start": "2026-10-05", "end": "2026-10-01"},
    )
    assert response.status_code == 400
    assert "Choose an end date after the start date." in response.content.decode()
