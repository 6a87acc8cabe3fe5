"""Every object kind the emulator returns has at least the keys of Stripe's own sample of that
kind (openapi fixtures3.json, read from ../shared at test time), nested dicts included."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from emulators.stripe.testing import RunningEmulator, webhook_sink
from tests.emulators.stripe.conftest import pay
from tests.shared import shared_path


@pytest.fixture(scope="module")
def samples() -> dict[str, Any]:
    path = shared_path("reference", "stripe", "fixtures3.json")
    return json.loads(path.read_text())["resources"]


def missing_keys(sample: Any, ours: Any, path: str = "") -> list[str]:
    """Keys of `sample` absent from `ours`, recursing where both sides are dicts."""
    if not isinstance(sample, dict) or not isinstance(ours, dict):
        return []
    missing = [f"{path}{key}" for key in sample if key not in ours]
    for key, value in sample.items():
        # An event's data.object is whatever object the event is about (a plan in the sample);
        # metadata keys are the sample's own data.
        if key in ours and f"{path}{key}" != "data.object" and key != "metadata":
            missing += missing_keys(value, ours[key], f"{path}{key}.")
    return missing


def every_kind(emu: RunningEmulator, client: stripe.StripeClient) -> dict[str, dict[str, Any]]:
    """One object of each kind, as returned over the wire."""
    found: dict[str, dict[str, Any]] = {}

    def keep(obj: Any) -> Any:
        found[obj["object"]] = obj.to_dict()
        return obj

    with webhook_sink() as sink:
        keep(client.v1.webhook_endpoints.create({"url": sink.url, "enabled_events": ["*"]}))
    customer = keep(client.v1.customers.create({"email": "shape@example.com"}))
    product = keep(client.v1.products.create({"name": "Shape"}))
    keep(client.v1.prices.create({"product": product.id, "unit_amount": 100, "currency": "usd"}))
    rate = keep(client.v1.tax_rates.create({"display_name": "VAT", "percentage": 19}))
    keep(client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id}))
    charge = pay(client, 5000, card="pm_card_createDispute")
    keep(charge)
    keep(charge.balance_transaction)
    keep(client.v1.payment_intents.retrieve(charge.payment_intent))
    keep(client.v1.disputes.list().data[0])
    keep(client.v1.refunds.create({"charge": pay(client, 3000).id, "amount": 100}))
    invoice = client.v1.invoices.create({"customer": customer.id, "default_tax_rates": [rate.id]})
    keep(client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id,
                                         "amount": 700, "currency": "usd"}))  # fmt: skip
    keep(client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"}))
    keep(client.v1.invoices.line_items.list(invoice.id).data[0])
    keep(client.v1.invoice_payments.list({"invoice": invoice.id}).data[0])
    keep(client.v1.topups.create({"amount": 1000, "currency": "usd"}))
    emu.advance(days=2)
    keep(client.v1.payouts.list().data[0])
    keep(client.v1.balance.retrieve())
    keep(client.v1.events.list().data[0])
    account = keep(client.v1.accounts.create({"type": "standard", "country": "US"}))
    keep(account.external_accounts.data[0])
    return found


def test_it_returns_every_kind_with_at_least_stripes_sample_keys(
    emu: RunningEmulator, client: stripe.StripeClient, samples: dict[str, Any]
) -> None:
    objects = every_kind(emu, client)
    assert set(objects) >= {
        "account", "bank_account", "balance", "balance_transaction", "charge", "customer",
        "dispute", "event", "invoice", "invoice_payment", "invoiceitem", "line_item",
        "payment_intent", "payment_method", "payout", "price", "product", "refund",
        "tax_rate", "topup", "webhook_endpoint",
    }  # fmt: skip
    gaps = {kind: missing_keys(samples[kind], obj) for kind, obj in objects.items()}
    assert {kind: keys for kind, keys in gaps.items() if keys} == {}


def test_it_uses_stripes_id_prefixes(emu: RunningEmulator, client: stripe.StripeClient) -> None:
    prefixes = {"customer": "cus_", "product": "prod_", "price": "price_", "charge": "ch_",
                "payment_intent": "pi_", "balance_transaction": "txn_", "payout": "po_",
                "refund": "re_", "dispute": "dp_", "invoice": "in_", "event": "evt_",
                "topup": "tu_", "account": "acct_", "webhook_endpoint": "we_"}  # fmt: skip
    objects = every_kind(emu, client)
    assert {k: objects[k]["id"][: len(p)] for k, p in prefixes.items()} == prefixes
