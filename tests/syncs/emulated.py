"""The emulated Stripe platform account as a sync profile, and a backfill of its whole history:
the set-up most end-to-end tests share."""

from __future__ import annotations

from datetime import UTC, datetime

from connections.models import Connection
from emulators.stripe import store as stripe_store
from emulators.stripe import testing as stripe_testing
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from mappings.models import SyncProfile
from syncs import services
from syncs.models import SyncRun
from tenants.models import Tenant
from tests.factories import ConnectionFactory


def emulated_stripe(tenant: Tenant) -> Connection:
    """The emulator's platform account, connected with its read-only key."""
    return ConnectionFactory(
        tenant=tenant,
        method="stripe_key",
        external_id=stripe_store.PLATFORM_ACCOUNT,
        api_key=stripe_testing.READONLY_KEY,
    )


def emulated_profile(tenant: Tenant, company: Connection, **fields: object) -> SyncProfile:
    return SyncProfile.objects.create(
        tenant=tenant, stripe=emulated_stripe(tenant), quickbooks=company, **fields
    )


def backfill_everything(profile: SyncProfile, emulator: StripeEmulator) -> SyncRun:
    """Request, claim and run a backfill of the emulator's whole history, as a worker would."""
    run = services.sync_run_request(
        connection=profile.stripe,
        kind=SyncRun.Kind.BACKFILL,
        trigger=SyncRun.Trigger.USER,
        start=datetime.fromtimestamp(stripe_store.DEFAULT_START, tz=UTC),
        end=datetime.fromtimestamp(emulator.store.now + 1, tz=UTC),
    )
    services.sync_run_claim(run_id=run.pk)
    services.sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run
