"""Mappings through the API, against the emulated QuickBooks company: auto-setup, choosing
existing objects (checked like on the Mapping page), products → items, customer policy."""

from __future__ import annotations

import pytest

from api import services
from api.models import ApiKey
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from mappings.models import QboRef, SyncProfile
from tests.api.conftest import call, url
from tests.conftest import World
from tests.mappings.company import account_id, connected_profile

pytestmark = pytest.mark.slow


@pytest.fixture
def setting(world: World, qbo: QboEmulator, stripe_emu: StripeEmulator) -> tuple[SyncProfile, str]:
    profile = connected_profile(world, qbo)
    token = services.api_key_create(
        tenant=world.alice_tenant, name="t", access=ApiKey.Access.READ_WRITE, created_by=None
    ).token
    return profile, token


def _ref(profile: SyncProfile, purpose: str) -> tuple[str, str]:
    ref = QboRef.objects.get(profile=profile, purpose=purpose, currency="")
    return ref.qbo_id, ref.qbo_name


def test_it_sets_up_chooses_and_maps_products(
    setting: tuple[SyncProfile, str], qbo: QboEmulator
) -> None:
    profile, token = setting
    slug = profile.tenant.slug
    response = call("post", url("mapping_autosetup", slug=slug, pk=profile.pk), token)
    assert response.status_code == 200, response.content
    assert response.json()["created"] and not response.json()["problems"]
    assert {"fees", "clearing"} <= {r["purpose"] for r in response.json()["mapping"]["refs"]}

    refs = url("mapping_refs", slug=slug, pk=profile.pk)
    bank_charges = account_id(qbo, profile, "Bank Charges")
    response = call("post", refs, token, {"purpose": "fees", "qbo_id": bank_charges})
    assert response.status_code == 200, response.content
    assert _ref(profile, "fees") == (bank_charges, "Bank Charges")

    # A bank account cannot take fees: refused with the field named, nothing changed.
    clearing = QboRef.objects.get(profile=profile, purpose="clearing").qbo_id
    response = call("post", refs, token, {"purpose": "fees", "qbo_id": clearing})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "qbo_id"
    assert _ref(profile, "fees") == (bank_charges, "Bank Charges")

    item = QboRef.objects.get(profile=profile, purpose="sales_item").qbo_id
    products = url("mapping_products", slug=slug, pk=profile.pk)
    response = call("post", products, token, {"product_id": "prod_Espresso", "qbo_id": item})
    assert response.status_code == 200, response.content
    assert [p["product_id"] for p in response.json()["product_items"]] == ["prod_Espresso"]
    one = url("mapping_product", slug=slug, pk=profile.pk, product_id="prod_Espresso")
    assert call("delete", one, token).status_code == 204
    assert call("delete", one, token).status_code == 404

    mapping = url("mapping", slug=slug, pk=profile.pk)
    body = {"customer_policy": "match_by_email", "schedule": "daily", "batch_time": "07:30"}
    response = call("patch", mapping, token, body)
    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    assert (profile.customer_policy, profile.schedule) == ("match_by_email", "daily")
    assert response.json()["batch_time"] == "07:30"
