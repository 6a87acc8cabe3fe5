"""Invoice lines reach QuickBooks: a charge that paid an invoice posts one SalesReceipt line per
invoice line, a mapped Stripe product on its own item (Stripe emulator → backfill → plan → post
into the QuickBooks emulator)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from connections.models import Connection
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.stripe.server import StripeEmulator as StripeApp
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from mappings.defaults import CustomerPolicy
from mappings.models import ProductItem, SyncProfile
from mappings.selectors import mappings_for
from syncs import adapt, plan, services, setup
from syncs.models import BalanceTransaction, OutboxDocument, SourceObject, SyncRun
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks
from tests.mappings.company import account_id, add
from tests.qbo_schema import assert_valid_qbo
from tests.syncs.emulated import backfill_everything, emulated_profile

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def stripe_paths(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every path the Stripe emulator served, counted."""
    paths: Counter[str] = Counter()
    serve = StripeApp.__call__

    def counting(self: StripeApp, environ: dict[str, Any], start_response: Any) -> Any:
        paths[environ["PATH_INFO"]] += 1
        return serve(self, environ, start_response)

    monkeypatch.setattr(StripeApp, "__call__", counting)
    return paths


@pytest.fixture
def profile(world: World, qbo: QboEmulator, stripe_emu: StripeEmulator) -> SyncProfile:
    client = world.client_for(world.alice)
    assert client.get(connect_quickbooks(client, world.alice_tenant.slug)).status_code == 302
    company = Connection.objects.filter(provider="quickbooks", tenant=world.alice_tenant).latest(
        "pk"
    )
    return emulated_profile(world.alice_tenant, company)


def _ingest(profile: SyncProfile, stripe_emu: StripeEmulator) -> SyncRun:
    """A backfill of the whole emulated history (with a set-up profile it also plans and posts)."""
    run = backfill_everything(profile, stripe_emu)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return run


def _paid_invoice(
    stripe_emu: StripeEmulator,
    lines: list[tuple[str, int, int]],
    *,
    tax_percent: str | None = None,
) -> str:
    """An invoice with one line per (product name, unit amount, quantity), paid by card; the
    ids of the products, by name, come back through the invoice's lines."""
    api = stripe_emu.client()
    customer = api.v1.customers.create({"name": "Ada Lovelace", "email": "ada@example.com"})
    params: dict[str, Any] = {"customer": customer.id}
    if tax_percent is not None:
        rate = api.v1.tax_rates.create(
            {"display_name": "Sales tax", "percentage": tax_percent, "inclusive": False}
        )
        params["default_tax_rates"] = [rate.id]
    invoice = api.v1.invoices.create(params)
    for name, unit_amount, quantity in lines:
        product = api.v1.products.create({"name": name})
        price = api.v1.prices.create(
            {"product": product.id, "unit_amount": unit_amount, "currency": "usd"}
        )
        api.v1.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "price": price.id,
                "quantity": quantity,
            }
        )
    return api.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"}).id


def _plain_sale(stripe_emu: StripeEmulator, amount: int) -> None:
    stripe_emu.client().v1.payment_intents.create(
        {"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )


def _products(stripe_emu: StripeEmulator) -> dict[str, str]:
    return {p.name: p.id for p in stripe_emu.client().v1.products.list({"limit": 100}).data}


def _receipts(qbo: QboEmulator, profile: SyncProfile) -> dict[Decimal, dict[str, Any]]:
    company = qbo.company(profile.quickbooks.external_id)
    receipts = list(company.entities.get("SalesReceipt", {}).values())
    by_total = {Decimal(str(r["TotalAmt"])): r for r in receipts}
    assert len(by_total) == len(receipts)
    return by_total


def _item_lines(receipt: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return [
        (line["SalesItemLineDetail"]["ItemRef"]["value"], Decimal(str(line["Amount"])))
        for line in receipt["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    ]


def _set_up(profile: SyncProfile, qbo: QboEmulator) -> None:
    report = setup.profile_autosetup(profile=profile)
    assert not report.problems, report.problems


def _validate_outbox() -> None:
    sales = OutboxDocument.objects.filter(entity="SalesReceipt")
    assert sales.exists()
    for doc in sales:
        assert_valid_qbo(doc.entity, doc.payload)


def test_an_invoiced_sale_posts_one_line_per_invoice_line_on_the_mapped_item(
    profile: SyncProfile,
    qbo: QboEmulator,
    stripe_emu: StripeEmulator,
    stripe_paths: Counter[str],
) -> None:
    invoice_id = _paid_invoice(stripe_emu, [("Espresso beans", 1200, 2), ("Grinder", 800, 1)])
    _plain_sale(stripe_emu, 5000)
    products = _products(stripe_emu)

    _ingest(profile, stripe_emu)
    # One invoice read per new charge with a payment intent (two here), none for anything else.
    assert stripe_paths["/v1/invoice_payments"] == 2
    invoice_row = SourceObject.objects.get(connection=profile.stripe, stripe_id=invoice_id)
    assert invoice_row.object_type == "invoice"
    assert len(invoice_row.raw["lines"]["data"]) == 2
    # The invoice's customer came with it, stored as customer matching reads it.
    customer = SourceObject.objects.get(
        connection=profile.stripe, stripe_id=invoice_row.raw["customer"]
    )
    assert (customer.object_type, customer.customer_id) == ("customer", customer.stripe_id)
    assert customer.raw["email"] == "ada@example.com"

    _set_up(profile, qbo)
    income = account_id(qbo, profile, "Sales of Product Income")
    beans = add(
        qbo,
        profile,
        "Item",
        {"Name": "Beans", "Type": "Service", "IncomeAccountRef": {"value": income}},
    )
    ProductItem.objects.create(
        profile=profile, stripe_product=products["Espresso beans"], qbo_id=beans, qbo_name="Beans"
    )
    default_item = mappings_for(profile).sales_item.value
    SyncProfile.objects.filter(pk=profile.pk).update(customer_policy=CustomerPolicy.MATCH)

    stripe_paths.clear()
    run = _ingest(profile, stripe_emu)  # the charges are known: no invoice is read again
    assert stripe_paths["/v1/invoice_payments"] == 0
    assert not [p for p in stripe_paths if p.startswith("/v1/customers")]
    assert run.documents_needing_action == 0, run.problems
    # The invoice's customer was matched from the stored object, without a read of its own.
    customer_ref = _receipts(qbo, profile)[Decimal("32.00")]["CustomerRef"]["value"]
    company = qbo.company(profile.quickbooks.external_id)
    assert company.entities["Customer"][customer_ref]["DisplayName"] == "Ada Lovelace"

    receipts = _receipts(qbo, profile)
    invoiced = receipts[Decimal("32.00")]
    assert sorted(_item_lines(invoiced)) == sorted(
        [(beans, Decimal("24.00")), (default_item, Decimal("8.00"))]
    )
    assert sum(amount for _, amount in _item_lines(invoiced)) == Decimal("32.00")
    assert _item_lines(receipts[Decimal("50.00")]) == [(default_item, Decimal("50.00"))]
    _validate_outbox()


def test_a_taxed_invoice_whose_lines_do_not_add_up_posts_one_line_with_a_warning(
    profile: SyncProfile, qbo: QboEmulator, stripe_emu: StripeEmulator
) -> None:
    _paid_invoice(stripe_emu, [("Espresso beans", 1000, 1), ("Grinder", 1000, 1)], tax_percent="10")
    products = _products(stripe_emu)
    _ingest(profile, stripe_emu)
    _set_up(profile, qbo)
    ProductItem.objects.create(
        profile=profile, stripe_product=products["Espresso beans"], qbo_id="1", qbo_name="Any"
    )

    report = plan.outbox_plan(profile=profile)
    assert any("do not add up to 2200" in w for w in report.warnings), report.warnings
    services.outbox_post(quickbooks_id=profile.quickbooks_id)

    receipt = _receipts(qbo, profile)[Decimal("22.00")]
    assert _item_lines(receipt) == [(mappings_for(profile).sales_item.value, Decimal("22.00"))]
    _validate_outbox()


def test_the_lines_are_read_after_their_discounts_and_need_the_charges_currency(
    profile: SyncProfile, stripe_emu: StripeEmulator
) -> None:
    _paid_invoice(stripe_emu, [("Espresso beans", 1200, 2), ("Grinder", 800, 1)])
    products = _products(stripe_emu)
    _ingest(profile, stripe_emu)
    row = BalanceTransaction.objects.get(connection=profile.stripe, type="charge")
    sources = adapt.sources_for([row])
    txn = adapt.ledger_txn(row, sources)
    assert [(i.product_id, i.amount, i.quantity) for i in txn.line_items] == [
        (products["Espresso beans"], 2400, 2),
        (products["Grinder"], 800, 1),
    ]
    assert txn.invoice_id is not None

    invoice = sources[txn.invoice_id]
    invoice["lines"]["data"][0]["discount_amounts"] = [{"amount": 400, "discount": "di_1"}]
    assert [i.amount for i in adapt.ledger_txn(row, sources).line_items] == [2000, 800]
    invoice["currency"] = "eur"
    assert adapt.ledger_txn(row, sources).line_items == ()


def test_a_key_that_cannot_read_invoices_still_backfills_on_one_line(
    profile: SyncProfile, stripe_emu: StripeEmulator, stripe_paths: Counter[str]
) -> None:
    _paid_invoice(stripe_emu, [("Espresso beans", 1200, 1)])
    _paid_invoice(stripe_emu, [("Grinder", 800, 1)])
    key = stripe_emu.restricted_key(
        {
            "balance": "read",
            "balance_transaction": "read",
            "charge": "read",
            "payout": "read",
            "customer": "read",
            "event": "read",
        }
    )
    Connection.objects.filter(pk=profile.stripe_id).update(api_key=key)
    profile.stripe.refresh_from_db()

    _ingest(profile, stripe_emu)
    assert stripe_paths["/v1/invoice_payments"] == 1  # refused once, not asked again
    rows = list(BalanceTransaction.objects.filter(connection=profile.stripe, type="charge"))
    assert len(rows) == 2
    sources = adapt.sources_for(rows)
    assert all(adapt.ledger_txn(row, sources).line_items == () for row in rows)
