"""Choosing existing QuickBooks accounts, vendor and items, product → item, customer policy:
checked against the emulated company's own lists, and read back by the planner."""

from __future__ import annotations

import pytest

from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from mappings import catalog
from mappings.defaults import CustomerPolicy, Purpose, Ref
from mappings.models import ProductItem, QboRef, SyncProfile
from mappings.selectors import mappings_for
from mappings.services import (
    MappingError,
    choose,
    choose_account,
    choose_guest_customer,
    choose_sales_item,
    choose_vendor,
    map_product,
    set_customer_policy,
    unmap_product,
)
from syncs.ledger import LineItem
from tests.conftest import World
from tests.mappings.company import (
    account_id,
    add,
    add_account,
    connected_profile,
    query_count,
    set_up,
    turn_multicurrency_on,
)
from tests.syncs.ledger_data import plan, txn

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(world: World, qbo: QboEmulator, stripe_emu: StripeEmulator) -> SyncProfile:
    profile = connected_profile(world, qbo)
    set_up(profile)
    return profile


def _refs(profile: SyncProfile) -> list[tuple[str, str, str, str]]:
    return list(
        QboRef.objects.filter(profile=profile)
        .order_by("purpose", "currency")
        .values_list("purpose", "currency", "qbo_id", "qbo_name")
    )


def test_it_saves_an_existing_account_of_the_right_type_and_the_planner_posts_to_it(
    profile: SyncProfile, qbo: QboEmulator
) -> None:
    bank_charges = account_id(qbo, profile, "Bank Charges")  # Expense / BankCharges, seeded
    ref = choose_account(profile=profile, purpose="fees", currency="", qbo_id=bank_charges)

    assert (ref.qbo_id, ref.qbo_name, ref.entity) == (bank_charges, "Bank Charges", "Account")
    mappings = mappings_for(profile)
    assert mappings.fees == Ref(bank_charges, "Bank Charges")
    fee = plan(txn("charge", 10000, 320), mappings=mappings).documents[1]
    assert fee.entity == "Purchase"
    accounts = [
        line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] for line in fee.payload["Line"]
    ]
    assert accounts == [bank_charges]


def test_it_refuses_an_account_of_the_wrong_type_and_changes_nothing(
    profile: SyncProfile, qbo: QboEmulator
) -> None:
    before = _refs(profile)
    checking = account_id(qbo, profile, "Checking")
    with pytest.raises(MappingError) as refused:
        choose_account(profile=profile, purpose="fees", currency="", qbo_id=checking)

    assert refused.value.field == "qbo_id"
    assert refused.value.message.startswith(
        "“Checking” is a Bank account, but the Stripe fees account must be an Expense, Other "
        "Expense, or Cost of Goods Sold account: Stripe's fees are a cost."
    )
    assert _refs(profile) == before


@pytest.mark.parametrize(
    ("purpose", "currency", "qbo_id", "field", "says"),
    [
        ("fees", "", "999999", "qbo_id", "QuickBooks has no active account with id 999999"),
        ("fees", "", "", "qbo_id", "Choose account."),
        ("no_such_purpose", "", "1", "purpose", "Choose what the account is for."),
        ("clearing", "", "1", "currency", "Say which Stripe currency"),
        ("clearing", "usdollars", "1", "currency", "Say which Stripe currency"),
        ("fees", "usd", "1", "currency", "serves every currency"),
    ],
)
def test_it_refuses_bad_input_in_words(
    profile: SyncProfile, purpose: str, currency: str, qbo_id: str, field: str, says: str
) -> None:
    before = _refs(profile)
    with pytest.raises(MappingError) as refused:
        choose(profile=profile, purpose=purpose, currency=currency, qbo_id=qbo_id)
    assert refused.value.field == field
    assert says in refused.value.message
    assert _refs(profile) == before


def test_it_checks_the_currency_of_clearing_and_payout_accounts(
    profile: SyncProfile, qbo: QboEmulator
) -> None:
    turn_multicurrency_on(qbo, profile)
    checking = account_id(qbo, profile, "Checking")  # USD
    with pytest.raises(MappingError) as refused:
        choose_account(profile=profile, purpose="payout_bank", currency="eur", qbo_id=checking)
    assert "“Checking” holds USD, but this bank account payouts land in is for EUR" in (
        refused.value.message
    )
    assert not QboRef.objects.filter(profile=profile, currency="eur").exists()

    euro_bank = add_account(qbo, profile, "Euro Bank", "Bank", "Checking", "EUR")
    ref = choose_account(profile=profile, purpose="payout_bank", currency="EUR", qbo_id=euro_bank)
    assert (ref.currency, ref.qbo_id) == ("eur", euro_bank)
    assert mappings_for(profile).payout_bank["eur"] == Ref(euro_bank, "Euro Bank")

    # One reserve account serves every currency: it must hold the home currency.
    euro_asset = add_account(
        qbo, profile, "Euro Deposit", "Other Current Asset", "OtherCurrentAssets", "EUR"
    )
    with pytest.raises(MappingError, match="must be in the company's home currency \\(USD\\)"):
        choose_account(profile=profile, purpose="reserve", currency="", qbo_id=euro_asset)


def test_it_keeps_a_clearing_account_apart(profile: SyncProfile, qbo: QboEmulator) -> None:
    clearing = QboRef.objects.get(profile=profile, purpose=Purpose.CLEARING, currency="usd")
    with pytest.raises(MappingError, match="already the Stripe clearing account for USD"):
        choose_account(
            profile=profile, purpose="payout_bank", currency="usd", qbo_id=clearing.qbo_id
        )
    savings = account_id(qbo, profile, "Savings")
    choose_account(profile=profile, purpose="payout_bank", currency="usd", qbo_id=savings)
    with pytest.raises(MappingError, match="“Savings” is already the bank account payouts"):
        choose_account(profile=profile, purpose="clearing", currency="usd", qbo_id=savings)
    assert QboRef.objects.get(profile=profile, purpose="clearing").qbo_id == clearing.qbo_id


def test_it_finds_an_account_made_in_quickbooks_after_the_list_was_read(
    profile: SyncProfile, qbo: QboEmulator
) -> None:
    catalog.qbo_accounts(profile.quickbooks)  # cached now
    fresh = add_account(qbo, profile, "Merchant Fees", "Expense", "BankCharges")
    ref = choose_account(profile=profile, purpose="fees", currency="", qbo_id=fresh)
    assert ref.qbo_name == "Merchant Fees"


def test_it_reads_each_list_once_until_refreshed(profile: SyncProfile, qbo: QboEmulator) -> None:
    catalog.forget(profile.quickbooks)
    before = query_count(qbo)
    first = catalog.qbo_accounts(profile.quickbooks)
    again = catalog.qbo_accounts(profile.quickbooks)
    assert first == again and query_count(qbo) == before + 1
    assert {"Checking", "Stripe Clearing – USD"} <= {a.name for a in first}
    catalog.qbo_accounts(profile.quickbooks, refresh=True)
    assert query_count(qbo) == before + 2


def test_it_pages_through_a_long_chart_of_accounts(
    profile: SyncProfile, qbo: QboEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "PAGE_SIZE", 5)
    catalog.forget(profile.quickbooks)
    before = query_count(qbo)
    accounts = catalog.qbo_accounts(profile.quickbooks)
    in_books = qbo.company(profile.quickbooks.external_id).all("Account")
    assert len(accounts) == len(in_books) > 10
    assert query_count(qbo) - before == len(in_books) // 5 + 1


def test_it_checks_vendor_and_sales_item(profile: SyncProfile, qbo: QboEmulator) -> None:
    turn_multicurrency_on(qbo, profile)
    euro_vendor = add(
        qbo, profile, "Vendor", {"DisplayName": "Stripe EU", "CurrencyRef": {"value": "EUR"}}
    )
    with pytest.raises(MappingError, match="“Stripe EU” is billed in EUR, but this vendor pays"):
        choose_vendor(profile=profile, currency="", qbo_id=euro_vendor)
    ref = choose_vendor(profile=profile, currency="eur", qbo_id=euro_vendor)
    assert mappings_for(profile).vendors == {"eur": Ref(euro_vendor, "Stripe EU")}
    assert ref.entity == "Vendor"

    income = account_id(qbo, profile, "Sales of Product Income")
    boxes = add(
        qbo,
        profile,
        "Item",
        {"Name": "Boxes", "Type": "Inventory", "IncomeAccountRef": {"value": income}},
    )
    with pytest.raises(MappingError, match="“Boxes” is an inventory item"):
        choose_sales_item(profile=profile, qbo_id=boxes)
    service = add(
        qbo,
        profile,
        "Item",
        {"Name": "Subscriptions", "Type": "Service", "IncomeAccountRef": {"value": income}},
    )
    choose_sales_item(profile=profile, qbo_id=service)
    assert mappings_for(profile).sales_item == Ref(service, "Subscriptions")


def test_it_maps_a_product_to_an_item_and_a_planned_sale_uses_it(
    profile: SyncProfile, qbo: QboEmulator
) -> None:
    income = account_id(qbo, profile, "Services")
    coaching = add(
        qbo,
        profile,
        "Item",
        {"Name": "Coaching", "Type": "Service", "IncomeAccountRef": {"value": income}},
    )
    map_product(profile=profile, product_id="prod_Coach1", qbo_id=coaching, product_name="Coach")
    mappings = mappings_for(profile)
    assert mappings.product_items == {"prod_Coach1": Ref(coaching, "Coaching")}

    lines = (
        LineItem("Coaching session", 6000, 1, "prod_Coach1"),
        LineItem("E-book", 4000, 1, "prod_Other"),
    )
    sale = plan(txn("charge", 10000, 320, line_items=lines), mappings=mappings).documents[0]
    assert sale.entity == "SalesReceipt"
    items = [line["SalesItemLineDetail"]["ItemRef"]["value"] for line in sale.payload["Line"]]
    assert items == [coaching, mappings.sales_item.value]

    # Mapping again replaces; removing goes back to the default item.
    map_product(profile=profile, product_id="prod_Coach1", qbo_id=mappings.sales_item.value)
    assert ProductItem.objects.get(profile=profile).qbo_id == mappings.sales_item.value
    assert unmap_product(profile=profile, product_id="prod_Coach1")
    assert mappings_for(profile).product_items == {}
    assert not unmap_product(profile=profile, product_id="prod_Coach1")


@pytest.mark.parametrize("product_id", ["", "prod x", "prod_" + "x" * 70, "<script>"])
def test_it_refuses_a_product_id_stripe_cannot_have(
    profile: SyncProfile, qbo: QboEmulator, product_id: str
) -> None:
    sales_item = mappings_for(profile).sales_item.value
    with pytest.raises(MappingError) as refused:
        map_product(profile=profile, product_id=product_id, qbo_id=sales_item)
    assert refused.value.field == "product_id"
    assert not ProductItem.objects.exists()


def test_it_saves_the_customer_policy(profile: SyncProfile) -> None:
    set_customer_policy(profile=profile, policy="match_by_email")
    profile.refresh_from_db()
    assert profile.customer_policy == "match_by_email"
    assert mappings_for(profile).customer_policy == CustomerPolicy.MATCH_BY_EMAIL
    with pytest.raises(MappingError):
        set_customer_policy(profile=profile, policy="everyone_is_jane")
    profile.refresh_from_db()
    assert profile.customer_policy == "match_by_email"


def test_it_lists_stripe_products_or_says_why_it_cannot(
    world: World, qbo: QboEmulator, stripe_emu: StripeEmulator
) -> None:
    stripe_emu.client().v1.products.create({"name": "Gold plan"})
    profile = connected_profile(world, qbo)
    listed = catalog.stripe_products(profile.stripe)
    assert listed.problem == "" and "Gold plan" in [name for _, name in listed.choices]

    no_products = stripe_emu.restricted_key({"balance": "read", "charge": "read"})
    profile.stripe.api_key = no_products
    profile.stripe.save()
    catalog.forget(profile.stripe)
    refused = catalog.stripe_products(profile.stripe)
    assert refused.choices == () and refused.problem == catalog.NO_PRODUCT_READ


def test_it_finds_the_guest_customer_by_its_display_name(
    profile: SyncProfile, qbo: QboEmulator
) -> None:
    walk_in = add(qbo, profile, "Customer", {"DisplayName": "Walk-in O'Brien"})
    ref = choose_guest_customer(profile=profile, currency="usd", name="  Walk-in   O'Brien ")
    assert (ref.purpose, ref.currency, ref.entity) == ("guest_customer", "", "Customer")
    assert mappings_for(profile).guest_customer == Ref(walk_in, "Walk-in O'Brien")

    before = _refs(profile)
    with pytest.raises(MappingError, match="no active customer named “Nobody”") as refused:
        choose_guest_customer(profile=profile, currency="", name="Nobody")
    assert refused.value.field == "name"
    turn_multicurrency_on(qbo, profile)
    with pytest.raises(MappingError, match="is billed in USD, but this guest customer is for EUR"):
        choose_guest_customer(profile=profile, currency="eur", name="Walk-in O'Brien")
    assert _refs(profile) == before
