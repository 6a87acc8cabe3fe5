"""The mapping page: pickers of existing QuickBooks accounts, products → items, the customer
policy; errors next to the field; read-only for viewers; and the error inbox's fix links."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from connections.providers.errors import ProviderError
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from mappings import catalog
from mappings.defaults import Ref
from mappings.fixes import Kind, fix_for, fix_url
from mappings.models import ProductItem, QboRef, SyncProfile
from mappings.selectors import mappings_for
from syncs.models import BalanceTransaction, OutboxDocument
from tenants.roles import Role
from tests.conftest import World
from tests.factories import ConnectionFactory
from tests.mappings.company import account_id, add, connected_profile, query_count, set_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(world: World, qbo: QboEmulator, stripe_emu: StripeEmulator) -> SyncProfile:
    profile = connected_profile(world, qbo)
    set_up(profile)
    return profile


def _url(world: World, name: str, profile: SyncProfile) -> str:
    return reverse(name, args=[world.alice_tenant.slug, profile.pk])


def _picker(page: str, anchor: str) -> str:
    """The table row of one picker."""
    found = re.search(rf'<tr id="{re.escape(anchor)}".*?</tr>', page, re.S)
    assert found, anchor
    return found.group(0)


def _refs(profile: SyncProfile) -> list[tuple[str, str, str]]:
    return list(
        QboRef.objects.filter(profile=profile)
        .order_by("purpose", "currency")
        .values_list("purpose", "currency", "qbo_id")
    )


def test_it_offers_only_accounts_of_the_right_type(
    world: World, profile: SyncProfile, qbo: QboEmulator
) -> None:
    page = world.client_for(world.bob).get(_url(world, "syncs:mappings", profile))
    assert page.status_code == 200
    html = page.content.decode()
    fees = _picker(html, "fees")
    assert "Bank Charges" in fees and "Stripe Fees" in fees
    assert ">Checking<" not in fees  # a Bank account is not offered for fees
    clearing = _picker(html, "clearing-usd")
    assert ">Checking<" in clearing and "Bank Charges" not in clearing
    assert "Services" in _picker(html, "sales_item")  # the seeded Service item


def test_it_saves_a_picked_account_and_the_planner_reads_it(
    world: World, profile: SyncProfile, qbo: QboEmulator
) -> None:
    bank_charges = account_id(qbo, profile, "Bank Charges")
    response = world.client_for(world.bob).post(
        _url(world, "syncs:mapping_choose", profile),
        {"purpose": "fees", "currency": "", "qbo_id": bank_charges},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/mappings/#fees")
    assert mappings_for(profile).fees == Ref(bank_charges, "Bank Charges")


def test_it_shows_a_wrong_type_next_to_the_field_and_saves_nothing(
    world: World, profile: SyncProfile, qbo: QboEmulator
) -> None:
    before = _refs(profile)
    response = world.client_for(world.bob).post(
        _url(world, "syncs:mapping_choose", profile),
        {"purpose": "reserve", "currency": "", "qbo_id": account_id(qbo, profile, "Checking")},
    )
    assert response.status_code == 400
    row = _picker(response.content.decode(), "reserve")
    assert 'class="field-error" id="pick-reserve_error"' in row
    assert "“Checking” is a Bank account, but the reserve account must be an Other" in row
    assert _refs(profile) == before


def test_it_refuses_another_companys_account_and_another_organisations_profile(
    world: World, profile: SyncProfile, qbo: QboEmulator, stripe_emu: StripeEmulator
) -> None:
    # Bob's own organisation, with its own QuickBooks company.
    other_company = qbo.store.create_company("Bob's Books Co")
    alices = {a["Id"] for a in qbo.company(profile.quickbooks.external_id).all("Account")}
    foreign = add_account_to(qbo, other_company.realm_id, "Bob's Fees")
    while foreign in alices:  # ids are per company: find one alice's company does not have
        foreign = add_account_to(qbo, other_company.realm_id, f"Bob's Fees {foreign}")
    bob = world.client_for(world.bob)
    before = _refs(profile)
    response = bob.post(
        _url(world, "syncs:mapping_choose", profile),
        {"purpose": "fees", "currency": "", "qbo_id": foreign},
    )
    assert response.status_code == 400
    assert f"QuickBooks has no active account with id {foreign}" in response.content.decode()

    bobs_profile = SyncProfile.objects.create(
        tenant=world.bob_tenant,
        stripe=ConnectionFactory(tenant=world.bob_tenant),
        quickbooks=ConnectionFactory(tenant=world.bob_tenant, provider="quickbooks"),
    )
    # Bob's profile id under alice's organisation: not found, even though bob belongs to both.
    for name, data in [
        ("syncs:mappings", None),
        ("syncs:mapping_choose", {"purpose": "fees", "currency": "", "qbo_id": "1"}),
        ("syncs:mapping_product", {"product_id": "prod_1", "qbo_id": "1"}),
        ("syncs:customer_policy", {"customer_policy": "single"}),
    ]:
        url = reverse(name, args=[world.alice_tenant.slug, bobs_profile.pk])
        answer = bob.get(url) if data is None else bob.post(url, data)
        assert answer.status_code == 404, name
    assert _refs(profile) == before


def add_account_to(qbo: QboEmulator, realm_id: str, name: str) -> str:
    from emulators.quickbooks.store import new_account

    account = new_account(name, "Expense", "BankCharges", "USD")
    return str(qbo.store.stamp_new(qbo.company(realm_id), "Account", account)["Id"])


def test_it_shows_viewers_the_mappings_read_only_without_reading_quickbooks(
    world: World, profile: SyncProfile, qbo: QboEmulator
) -> None:
    world.make_bob(Role.VIEWER)
    catalog.forget(profile.quickbooks)
    before = query_count(qbo)
    page = world.client_for(world.bob).get(_url(world, "syncs:mappings", profile))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Stripe Fees" in _picker(html, "fees")  # the current choice
    assert "<select" not in html and "mapping_choose" not in html
    assert reverse("syncs:mapping_choose", args=[world.alice_tenant.slug, profile.pk]) not in html
    assert query_count(qbo) == before


def test_it_maps_a_typed_product_id_to_an_item_and_removes_it(
    world: World, profile: SyncProfile, qbo: QboEmulator
) -> None:
    income = account_id(qbo, profile, "Services")
    coaching = add(
        qbo,
        profile,
        "Item",
        {"Name": "Coaching", "Type": "Service", "IncomeAccountRef": {"value": income}},
    )
    bob = world.client_for(world.bob)
    response = bob.post(
        _url(world, "syncs:mapping_product", profile),
        {"product_id": " prod_Coach1 ", "qbo_id": coaching},
    )
    assert response.status_code == 302 and response["Location"].endswith("#products")
    assert mappings_for(profile).product_items == {"prod_Coach1": Ref(coaching, "Coaching")}
    page = bob.get(_url(world, "syncs:mappings", profile)).content.decode()
    assert "<code>prod_Coach1</code>" in page

    bob.post(_url(world, "syncs:mapping_product_remove", profile), {"product_id": "prod_Coach1"})
    assert not ProductItem.objects.exists()


def test_it_shows_a_bad_product_mapping_next_to_its_field(
    world: World, profile: SyncProfile, qbo: QboEmulator
) -> None:
    bob = world.client_for(world.bob)
    checking = account_id(qbo, profile, "Checking")  # an account id is not an item id
    response = bob.post(
        _url(world, "syncs:mapping_product", profile),
        {"product_id": "prod 1", "qbo_id": checking},
    )
    assert response.status_code == 400
    assert 'id="id_product_id_error"' in response.content.decode()
    response = bob.post(
        _url(world, "syncs:mapping_product", profile),
        {"product_id": "prod_1", "qbo_id": checking},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_qbo_id_error"' in html and "no active item with id" in html
    assert not ProductItem.objects.exists()


def test_it_lists_stripe_products_and_explains_a_key_that_cannot_read_them(
    world: World, qbo: QboEmulator, stripe_emu: StripeEmulator
) -> None:
    stripe_emu.client().v1.products.create({"name": "Gold plan"})
    profile = connected_profile(world, qbo)
    bob = world.client_for(world.bob)
    html = bob.get(_url(world, "syncs:mappings", profile)).content.decode()
    assert re.search(r'<datalist id="stripe-products"><option value="prod_\w+">Gold plan', html)

    profile.stripe.api_key = stripe_emu.restricted_key({"balance": "read"})
    profile.stripe.save()
    bob.post(_url(world, "syncs:mapping_refresh", profile))
    html = bob.get(_url(world, "syncs:mappings", profile)).content.decode()
    assert "This Stripe key may not read products (Products — Read)" in html
    assert 'name="product_id"' in html  # typing the id still works


def test_it_saves_the_customer_policy(world: World, profile: SyncProfile) -> None:
    bob = world.client_for(world.bob)
    response = bob.post(
        _url(world, "syncs:customer_policy", profile), {"customer_policy": "match_by_email"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#customers")
    profile.refresh_from_db()
    assert profile.customer_policy == "match_by_email"
    page = bob.get(_url(world, "syncs:mappings", profile)).content.decode()
    assert re.search(r'value="match_by_email"[^>]*checked', page)
    assert not re.search(r'value="single"[^>]*checked', page)

    response = bob.post(_url(world, "syncs:customer_policy", profile), {"customer_policy": "x"})
    assert response.status_code == 400
    profile.refresh_from_db()
    assert profile.customer_policy == "match_by_email"


def test_it_says_so_when_quickbooks_cannot_be_read(
    world: World, profile: SyncProfile, qbo: QboEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise ProviderError("The service could not be reached.", permanent=False)

    monkeypatch.setattr(catalog, "_read_all", unreachable)
    catalog.forget(profile.quickbooks)
    bob = world.client_for(world.bob)
    html = bob.get(_url(world, "syncs:mappings", profile)).content.decode()
    assert "QuickBooks could not be read just now (The service could not be reached.)" in html
    assert "Stripe Fees" in _picker(html, "fees")  # the current choice is still shown

    before = _refs(profile)
    response = bob.post(
        _url(world, "syncs:mapping_choose", profile),
        {"purpose": "fees", "currency": "", "qbo_id": "1"},
        follow=True,
    )
    assert "so the choice could not be checked. Nothing was changed" in response.content.decode()
    assert _refs(profile) == before


def test_it_does_not_read_a_disconnected_company(
    world: World, profile: SyncProfile, qbo: QboEmulator
) -> None:
    catalog.forget(profile.quickbooks)
    type(profile.quickbooks).objects.filter(pk=profile.quickbooks_id).update(
        status="needs_reconnect"
    )
    before = query_count(qbo)
    html = world.client_for(world.bob).get(_url(world, "syncs:mappings", profile)).content
    assert b"is not connected, so its accounts cannot be listed" in html
    assert query_count(qbo) == before


# ---- the error inbox links each cause to the setting that fixes it -------------------------

CAUSES = [
    (
        "Map a Stripe Clearing account for EUR (Settings → Accounts)",
        Kind.MAPPING,
        "mappings/#clearing-eur",
    ),
    (
        "Choose the bank account GBP payouts land in (Settings → Accounts)",
        Kind.MAPPING,
        "mappings/#payout_bank-gbp",
    ),
    (
        "Set up the accounts Tieout posts to first (Mappings → Create them for me). Missing: fees.",
        Kind.SETUP,
        "setup/#profile-{pk}",
    ),
    (
        "settled in EUR; turn on multicurrency in QuickBooks and run the account setup again.",
        Kind.SETUP,
        "setup/#profile-{pk}",
    ),
    ("Waiting for QuickBooks to be reconnected.", Kind.RECONNECT, "connections/"),
    (
        "QuickBooks disconnected Tieout from Acme (the approval expired or was revoked). "
        "Syncing is paused; nothing is lost. Reconnect QuickBooks to resume.",
        Kind.RECONNECT,
        "connections/",
    ),
    (
        "QuickBooks refused SalesReceipt … (code 6000): Business Validation Error: the books are "
        "closed through 31 Oct 2026. Fix the cause, then retry.",
        Kind.CLOSED_PERIOD,
        "setup/#schedule-{pk}",
    ),
    (
        "txn_1 is dated 2026-10-03, in the closed period (books closed through 2026-10-31): "
        "approve posting it on 2026-11-01",
        Kind.CLOSED_PERIOD,
        "setup/#schedule-{pk}",
    ),
    (
        "the QuickBooks customer for cus_… (USD) could not be created: the name is taken",
        Kind.MAPPING,
        "mappings/#customers",
    ),
    (
        "QuickBooks refused Purchase … (code 2500): Invalid Reference Id: Account 91. Fix the "
        "cause (often a mapping or a closed period), then retry.",
        Kind.MAPPING,
        "mappings/",
    ),
]


@pytest.mark.parametrize(("message", "kind", "where"), CAUSES)
def test_it_knows_which_setting_fixes_each_cause(
    world: World, message: str, kind: str, where: str
) -> None:
    fix = fix_for(message)
    assert fix is not None and fix.kind == kind
    url = fix_url(fix, slug=world.alice_tenant.slug, profile_id=42)
    assert url.startswith(f"/o/{world.alice_tenant.slug}/")
    assert url.endswith(where.format(pk=42))


def test_it_links_no_fix_it_does_not_know() -> None:
    assert fix_for("QuickBooks asked us to slow down; retrying.") is None
    assert fix_for("QuickBooks reports this number as taken but it cannot be found.") is None
    gone = (
        "The QuickBooks customer of this document was deleted or made inactive after we linked "
        "it. The link is dropped; the next sync matches the Stripe customer again."
    )
    assert fix_for(gone) is None  # nothing to do: it fixes itself


def test_it_shows_each_groups_fix_in_the_inbox(world: World) -> None:
    company = ConnectionFactory(tenant=world.alice_tenant, provider="quickbooks")
    profile = SyncProfile.objects.create(
        tenant=world.alice_tenant, stripe=world.alice_connection, quickbooks=company
    )
    txn = BalanceTransaction.objects.create(
        tenant=world.alice_tenant,
        connection=world.alice_connection,
        stripe_id="txn_inbox",
        type="charge",
        reporting_category="charge",
        amount=1000,
        fee=0,
        net=1000,
        currency="eur",
        status="available",
        created=profile.created,
        available_on=profile.created,
        raw={},
    )
    for number, message in [
        ("SR-1", CAUSES[0][0]),
        ("SR-2", "Waiting for QuickBooks to be reconnected."),
        ("SR-3", "QuickBooks asked us to slow down; retrying."),
    ]:
        OutboxDocument.objects.create(
            tenant=world.alice_tenant,
            quickbooks=company,
            balance_transaction=txn,
            key=f"k-{number}",
            role="sale",
            entity="SalesReceipt",
            request_id=number,
            doc_number=number,
            body="{}",
            amount=1000,
            currency="eur",
            status="needs_action",
            last_error=message,
        )
    html = world.client_for(world.bob).get(reverse("syncs:errors", args=[world.alice_tenant.slug]))
    page = html.content.decode()
    slug = world.alice_tenant.slug
    assert (
        f'<a href="/o/{slug}/setup/{profile.pk}/mappings/#clearing-eur" class="button">'
        "Choose the EUR clearing account</a>"
    ) in page
    assert f'<a href="/o/{slug}/connections/" class="button">Reconnect QuickBooks</a>' in page
    assert page.count('<p class="fix">') == 2  # the slow-down group has nothing to fix


def test_it_links_a_runs_problems_to_their_fix(world: World) -> None:
    company = ConnectionFactory(tenant=world.alice_tenant, provider="quickbooks")
    profile = SyncProfile.objects.create(
        tenant=world.alice_tenant, stripe=world.alice_connection, quickbooks=company
    )
    run = world.alice_run
    run.problems = [
        "2 × Choose the bank account EUR payouts land in (Settings → Accounts)",
        "Map Stripe tax rates to QBO tax codes to post txn_1, which collected tax",
    ]
    run.save()
    slug = world.alice_tenant.slug
    page = world.client_for(world.bob).get(reverse("syncs:run_detail", args=[slug, run.pk]))
    html = page.content.decode()
    assert (
        f'<a href="/o/{slug}/setup/{profile.pk}/mappings/#payout_bank-eur">'
        "Choose the bank EUR payouts land in</a>"
    ) in html
    assert html.count(f"/setup/{profile.pk}/") == 1  # the tax-code problem has no setting yet


def test_it_links_each_account_on_the_accounts_page_to_its_picker(
    world: World, profile: SyncProfile
) -> None:
    slug = world.alice_tenant.slug
    html = world.client_for(world.bob).get(reverse("syncs:setup", args=[slug])).content.decode()
    mapping = reverse("syncs:mappings", args=[slug, profile.pk])
    assert f'<a href="{mapping}#fees">Change' in html
    assert f'<a href="{mapping}#clearing-usd">Change' in html
    assert f'id="schedule-{profile.pk}"' in html  # where closed-period fixes point
    assert "Customers: Put every sale on one customer" in html


def test_it_saves_a_guest_customer_or_says_why_not(
    world: World, profile: SyncProfile, qbo: QboEmulator
) -> None:
    walk_in = add(qbo, profile, "Customer", {"DisplayName": "Walk-in"})
    bob = world.client_for(world.bob)
    url = _url(world, "syncs:mapping_guest", profile)
    response = bob.post(url, {"currency": "", "name": "Walk-in"})
    assert response.status_code == 302 and response["Location"].endswith("#guest_customer")
    assert mappings_for(profile).guest_customer == Ref(walk_in, "Walk-in")

    response = bob.post(url, {"currency": "", "name": "Walk-out"})
    assert response.status_code == 400
    row = _picker(response.content.decode(), "guest_customer")
    assert 'id="guest-guest_customer_error"' in row and "no active customer named" in row
    assert mappings_for(profile).guest_customer == Ref(walk_in, "Walk-in")


JUNK = [
    ("syncs:mapping_choose", {}),
    ("syncs:mapping_choose", {"purpose": "x" * 41, "currency": "usd", "qbo_id": "1"}),
    ("syncs:mapping_choose", {"purpose": "clearing", "currency": "euro", "qbo_id": "1"}),
    ("syncs:mapping_choose", {"purpose": "vendor", "currency": "", "qbo_id": "9" * 40}),
    ("syncs:mapping_choose", {"purpose": "sales_item", "currency": "eur", "qbo_id": "1"}),
    ("syncs:mapping_choose", {"purpose": "guest_customer", "currency": "", "qbo_id": "1"}),
    ("syncs:mapping_product", {"product_id": "prod_\x00", "qbo_id": "1"}),
    ("syncs:mapping_product", {"product_id": "p" * 65, "qbo_id": ""}),
    ("syncs:mapping_product_remove", {}),
    ("syncs:mapping_guest", {"currency": "eu", "name": "Walk-in"}),
    ("syncs:mapping_guest", {"currency": "", "name": "n" * 101}),
    ("syncs:customer_policy", {}),
]


@pytest.mark.parametrize(("name", "data"), JUNK)
def test_it_answers_junk_with_a_form_error_and_changes_nothing(
    world: World, profile: SyncProfile, name: str, data: dict[str, str]
) -> None:
    before = (_refs(profile), list(ProductItem.objects.values_list()), profile.customer_policy)
    response = world.client_for(world.bob).post(_url(world, name, profile), data)
    assert response.status_code in (302, 400), response.status_code
    profile.refresh_from_db()
    after = (_refs(profile), list(ProductItem.objects.values_list()), profile.customer_policy)
    assert after == before
