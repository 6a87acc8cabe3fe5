from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse

from mappings.models import SyncProfile
from syncs import services
from syncs.models import SyncRun
from tests.conftest import World
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def profile(world: World) -> SyncProfile:
    company = ConnectionFactory(tenant=world.alice_tenant, provider="quickbooks", external_id="7")
    SyncRun.objects.all().delete()
    return SyncProfile.objects.create(
        tenant=world.alice_tenant, stripe=world.alice_connection, quickbooks=company
    )


def _last_run_at(profile: SyncProfile, when: datetime) -> None:
    run = SyncRun.objects.create(
        tenant=profile.tenant,
        connection=profile.stripe,
        kind="scan",
        trigger="schedule",
        status="succeeded",
    )
    SyncRun.objects.filter(pk=run.pk).update(created=when)


def test_it_scans_a_real_time_profile_every_n_minutes(profile: SyncProfile) -> None:
    assert services.scans_due(now=MONDAY_9) == [profile]  # never scanned
    _last_run_at(profile, MONDAY_9 - timedelta(minutes=10))
    assert services.scans_due(now=MONDAY_9) == []
    assert services.scans_due(now=MONDAY_9 + timedelta(minutes=20)) == [profile]


def test_it_runs_a_daily_batch_once_after_its_time_in_the_tenant_zone(
    profile: SyncProfile,
) -> None:
    profile.tenant.time_zone = "America/New_York"  # 09:00 UTC is 04:00 there
    profile.tenant.save(update_fields=["time_zone"])
    SyncProfile.objects.filter(pk=profile.pk).update(schedule="daily", batch_time=time(6, 0))
    _last_run_at(profile, MONDAY_9 - timedelta(hours=20))  # yesterday 08:00 New York
    assert services.scans_due(now=MONDAY_9) == []  # not yet 06:00 in New York
    assert [p.pk for p in services.scans_due(now=MONDAY_9 + timedelta(hours=2))] == [profile.pk]
    _last_run_at(profile, MONDAY_9 + timedelta(hours=2))
    assert services.scans_due(now=MONDAY_9 + timedelta(hours=5)) == []


def test_it_runs_a_weekly_batch_on_its_day(profile: SyncProfile) -> None:
    SyncProfile.objects.filter(pk=profile.pk).update(
        schedule="weekly",
        batch_time=time(6, 0),
        batch_weekday=2,  # Wednesday, UTC tenant
    )
    _last_run_at(profile, MONDAY_9 - timedelta(days=4))  # last Thursday
    assert services.scans_due(now=MONDAY_9) == []
    assert services.scans_due(now=MONDAY_9 + timedelta(days=2)) != []  # Wednesday 09:00


def test_it_skips_webhook_re_reads_for_batch_profiles(profile: SyncProfile) -> None:
    from connections.inbox import Incoming, Route, inbox_store
    from connections.models import InboundEvent
    from connections.tasks import dispatch_inbound_event

    SyncProfile.objects.filter(pk=profile.pk).update(schedule="daily")
    incoming = Incoming(
        "stripe", "evt_batch", profile.stripe.external_id, False, "charge.succeeded", {}
    )
    inbox_store(incoming=incoming, route=Route(profile.stripe_id, profile.tenant_id))
    dispatch_inbound_event(InboundEvent.objects.get(event_id="evt_batch").pk)
    assert not SyncRun.objects.filter(kind="webhook").exists()


def test_it_saves_a_schedule_from_the_setup_page(world: World, profile: SyncProfile) -> None:
    prefix = f"p{profile.pk}-"
    response = world.client_for(world.alice).post(
        reverse("syncs:schedule", args=[world.alice_tenant.slug, profile.pk]),
        {
            prefix + "schedule": "weekly",
            prefix + "scan_every_minutes": "60",
            prefix + "batch_time": "07:30",
            prefix + "batch_weekday": "4",
            prefix + "closed_period": "hold",
        },
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.schedule, profile.batch_time, profile.batch_weekday, profile.closed_period) == (
        "weekly",
        time(7, 30),
        4,
        "hold",
    )


def test_it_refuses_a_scan_interval_under_five_minutes(world: World, profile: SyncProfile) -> None:
    prefix = f"p{profile.pk}-"
    page = world.client_for(world.alice).post(
        reverse("syncs:schedule", args=[world.alice_tenant.slug, profile.pk]),
        {
            prefix + "schedule": "real_time",
            prefix + "scan_every_minutes": "1",
            prefix + "batch_weekday": "0",
            prefix + "closed_period": "hold",
        },
        follow=True,
    )
    assert "greater than or equal to 5" in page.content.decode()
    profile.refresh_from_db()
    assert profile.scan_every_minutes == 30
