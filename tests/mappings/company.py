"""A connected profile on both emulators, with the recommended accounts set up: the starting
point of the mapping tests (tests/mappings, tests/syncs/test_mapping_editor.py)."""

from __future__ import annotations

from typing import Any

from connections.models import Connection
from emulators.quickbooks.store import Company, new_account
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.stripe import store as stripe_store
from emulators.stripe import testing as stripe_testing
from mappings.models import SyncProfile
from syncs import setup
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks
from tests.factories import ConnectionFactory


def connected_profile(world: World, qbo: QboEmulator, *, key: str = "") -> SyncProfile:
    """alice's Stripe account (a restricted key on the Stripe emulator) → a new QBO company."""
    client = world.client_for(world.alice)
    assert client.get(connect_quickbooks(client, world.alice_tenant.slug)).status_code == 302
    company = Connection.objects.filter(provider="quickbooks", tenant=world.alice_tenant).latest(
        "pk"
    )
    stripe = ConnectionFactory(
        tenant=world.alice_tenant,
        method="stripe_key",
        external_id=stripe_store.PLATFORM_ACCOUNT,
        api_key=key or stripe_testing.READONLY_KEY,
    )
    return SyncProfile.objects.create(tenant=world.alice_tenant, stripe=stripe, quickbooks=company)


def set_up(profile: SyncProfile) -> None:
    report = setup.profile_autosetup(profile=profile)
    assert not report.problems, report.problems


def books(qbo: QboEmulator, profile: SyncProfile) -> Company:
    return qbo.company(profile.quickbooks.external_id)


def add(qbo: QboEmulator, profile: SyncProfile, entity: str, body: dict[str, Any]) -> str:
    """Put an entity straight into the emulated company (as if made in QuickBooks); its id."""
    return str(qbo.store.stamp_new(books(qbo, profile), entity, body)["Id"])


def add_account(
    qbo: QboEmulator,
    profile: SyncProfile,
    name: str,
    account_type: str,
    sub_type: str,
    currency: str = "USD",
) -> str:
    account = new_account(name, account_type, sub_type, currency)
    return add(qbo, profile, "Account", account)


def account_id(qbo: QboEmulator, profile: SyncProfile, name: str) -> str:
    found = [a for a in books(qbo, profile).all("Account") if a["Name"] == name]
    assert len(found) == 1, name
    return str(found[0]["Id"])


def turn_multicurrency_on(qbo: QboEmulator, profile: SyncProfile) -> None:
    prefs = books(qbo, profile).preferences
    prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] = True
    Connection.objects.filter(pk=profile.quickbooks_id).update(multicurrency_enabled=True)
    profile.quickbooks.refresh_from_db()


def query_count(qbo: QboEmulator) -> int:
    return sum(1 for e in list(qbo.app.log.entries) if str(e.get("path", "")).endswith("/query"))
