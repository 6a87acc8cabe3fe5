"""Every object kind, created and listed through the real stripe library."""

from __future__ import annotations

import pytest
import stripe

from emulators.stripe.testing import RunningEmulator
from tests.emulators.stripe.conftest import pay


def test_it_creates_retrieves_and_lists_customers(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        {"email": "jane@example.com", "name": "Jane", "metadata": {"crm": "42"}}
    )
    assert customer.id.startswith("cus_")
    assert customer.metadata.to_dict() == {"crm": "42"}
    assert client.v1.customers.retrieve(customer.id).email == "jane@example.com"
    updated = client.v1.customers.update(customer.id, {"name": "Jane Doe"})
    assert updated.name == "Jane Doe"
    listed = client.v1.customers.list({"email": "jane@example.com"})
    assert [c.id for c in listed.data] == [customer.id]
    assert listed.object == "list" and listed.url == "/v1/customers"


def test_it_deletes_customers(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "gone@example.com"})
    assert client.v1.customers.delete(customer.id).deleted is True
    assert client.v1.customers.retrieve(customer.id).deleted is True
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.update(customer.id, {"name": "Ghost"})
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"


def test_it_creates_products_and_prices(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Pro plan"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "unit_amount": 4900,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )
    assert price.id.startswith("price_") and price.type == "recurring"
    assert client.v1.products.retrieve(product.id).default_price == price.id
    assert [p.id for p in client.v1.prices.list({"product": product.id}).data] == [price.id]
    assert [p.id for p in client.v1.products.list().data] == [product.id]


def test_it_charges_a_payment_intent_with_stripe_fees(client: stripe.StripeClient) -> None:
    charge = pay(client, 10000)
    bt = charge.balance_transaction
    assert charge.id.startswith("ch_") and charge.status == "succeeded" and charge.paid
    assert bt.id.startswith("txn_") and bt.source == charge.id
    assert (bt.amount, bt.fee, bt.net) == (10000, 320, 9680)  # 2.9 % + 30¢
    assert [(d.type, d.amount) for d in bt.fee_details] == [("stripe_fee", 320)]
    assert bt.reporting_category == "charge" and bt.status == "pending"
    assert bt.exchange_rate is None


def test_it_adds_the_international_and_conversion_fees(client: stripe.StripeClient) -> None:
    charge = pay(client, 10000, "eur", "pm_card_gb")
    bt = charge.balance_transaction
    assert charge.currency == "eur" and charge.amount == 10000
    assert bt.currency == "usd" and bt.exchange_rate == 1.08
    assert bt.amount == 10800
    # 2.9 % + 1.5 % international + 1 % conversion = 5.4 % of 10800 = 583.2 → 583, + 30
    assert bt.fee == 613 and bt.net == 10800 - 613


def test_it_settles_in_an_added_settlement_currency_without_conversion(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    account = client.v1.accounts.create(
        {"type": "standard", "country": "US", "default_currency": "usd"}
    )
    client.v1.accounts.external_accounts.create(
        account.id,
        {
            "external_account": {
                "object": "bank_account",
                "country": "US",
                "currency": "eur",
                "account_number": "000123456789",
            }
        },
    )
    charge = pay(client, 5000, "eur", "pm_card_de", {"stripe_account": account.id})
    assert charge.balance_transaction.currency == "eur"
    assert charge.balance_transaction.exchange_rate is None


def test_it_declines_pm_card_charge_declined_with_a_card_error(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.create(
            {
                "amount": 500,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
            }
        )
    assert raised.value.code == "card_declined"
    assert raised.value.http_status == 402
    failed = client.v1.charges.list().data[0]
    assert failed.status == "failed" and failed.balance_transaction is None
    assert client.v1.payment_intents.list().data[0].status == "requires_payment_method"


def test_it_makes_bypass_pending_funds_available_at_once(client: stripe.StripeClient) -> None:
    charge = pay(client, 2000, card="pm_card_bypassPending")
    assert charge.balance_transaction.status == "available"
    available = client.v1.balance.retrieve().available
    assert [(a.currency, a.amount) for a in available] == [("usd", 2000 - 88)]


def test_it_confirms_a_payment_intent_in_a_second_step(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "two@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    pi = client.v1.payment_intents.create(
        {"amount": 1500, "currency": "usd", "customer": customer.id}
    )
    assert pi.status == "requires_payment_method"
    pi = client.v1.payment_intents.confirm(pi.id, {"payment_method": pm.id})
    assert pi.status == "succeeded" and pi.amount_received == 1500
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method == pm.id
    assert charge.payment_method_details.card.brand == "mastercard"
    assert [p.id for p in client.v1.payment_intents.list({"customer": customer.id}).data] == [pi.id]


def test_it_creates_legacy_charges_from_test_tokens(client: stripe.StripeClient) -> None:
    charge = client.v1.charges.create({"amount": 1200, "currency": "usd", "source": "tok_visa"})
    assert charge.status == "succeeded" and charge.payment_intent is None


def test_it_refunds_partially_then_fully(client: stripe.StripeClient) -> None:
    charge = pay(client, 3000)
    first = client.v1.refunds.create({"charge": charge.id, "amount": 1000})
    second = client.v1.refunds.create({"payment_intent": charge.payment_intent})
    assert first.id.startswith("re_") and (first.amount, second.amount) == (1000, 2000)
    charge = client.v1.charges.retrieve(charge.id)
    assert charge.refunded and charge.amount_refunded == 3000
    assert [r.id for r in client.v1.refunds.list({"charge": charge.id}).data] == [
        second.id,
        first.id,
    ]
    bt = client.v1.balance_transactions.retrieve(first.balance_transaction)
    assert (bt.type, bt.reporting_category, bt.amount, bt.fee) == ("refund", "refund", -1000, 0)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"charge": charge.id, "amount": 1})
    assert raised.value.param == "amount"


def test_it_invoices_with_taxes_and_invoice_payments(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "inv@example.com"})
    rate = client.v1.tax_rates.create(
        {"display_name": "Sales tax", "percentage": 10, "inclusive": False}
    )
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "default_tax_rates": [rate.id], "auto_advance": False}
    )
    client.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "amount": 1000,
            "currency": "usd",
            "description": "Consulting",
        }
    )
    invoice = client.v1.invoices.finalize_invoice(invoice.id)
    assert invoice.status == "open" and invoice.total == 1100
    assert [(t.amount, t.taxable_amount) for t in invoice.total_taxes] == [(100, 1000)]
    paid = client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})
    assert paid.status == "paid" and paid.amount_paid == 1100
    lines = client.v1.invoices.line_items.list(invoice.id)
    assert [(line.amount, line.description) for line in lines.data] == [(1000, "Consulting")]
    payments = client.v1.invoice_payments.list({"invoice": invoice.id})
    assert payments.data[0].status == "paid" and payments.data[0].amount_paid == 1100
    pi = payments.data[0].payment.payment_intent
    by_pi = client.v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": pi}}
    )
    assert [p.id for p in by_pi.data] == [payments.data[0].id]
    expanded = client.v1.invoices.retrieve(invoice.id, {"expand": ["payments"]})
    assert expanded.payments.data[0].id == payments.data[0].id


def test_it_creates_and_lists_top_ups(emu: RunningEmulator, client: stripe.StripeClient) -> None:
    topup = client.v1.topups.create({"amount": 50000, "currency": "usd", "description": "Float"})
    assert topup.id.startswith("tu_") and topup.status == "pending"
    emu.advance(days=3)
    topup = client.v1.topups.retrieve(topup.id)
    assert topup.status == "succeeded"
    bt = client.v1.balance_transactions.retrieve(topup.balance_transaction)
    assert (bt.type, bt.reporting_category, bt.net) == ("topup", "topup", 50000)
    assert [t.id for t in client.v1.topups.list().data] == [topup.id]


def test_it_lists_events_with_type_filters(client: stripe.StripeClient) -> None:
    pay(client, 1000)
    events = client.v1.events.list({"type": "charge.succeeded"})
    assert len(events.data) == 1 and events.data[0].id.startswith("evt_")
    assert events.data[0].data.object.object == "charge"
    wildcard = client.v1.events.list({"type": "payment_intent.*"})
    assert {e.type for e in wildcard.data} == {"payment_intent.created", "payment_intent.succeeded"}
    one = client.v1.events.retrieve(events.data[0].id)
    assert one.api_version == "2026-10-28.endive"


def test_it_forgets_events_after_30_days(emu: RunningEmulator, client: stripe.StripeClient) -> None:
    client.v1.customers.create({"email": "old@example.com"})
    event = client.v1.events.list().data[0]
    emu.advance(days=31)
    assert client.v1.events.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.events.retrieve(event.id)


def test_it_manages_webhook_endpoints(client: stripe.StripeClient) -> None:
    endpoint = client.v1.webhook_endpoints.create(
        {
            "url": "http://127.0.0.1:9/hook",
            "enabled_events": ["*"],
            "connect": True,
            "api_version": "2026-10-28.endive",
        }
    )
    assert endpoint.secret.startswith("whsec_") and endpoint.connect is True
    assert [e.id for e in client.v1.webhook_endpoints.list().data] == [endpoint.id]
    updated = client.v1.webhook_endpoints.update(endpoint.id, {"disabled": True})
    assert updated.status == "disabled"
    assert client.v1.webhook_endpoints.delete(endpoint.id).deleted is True


def test_it_paginates_with_cursors(client: stripe.StripeClient) -> None:
    ids = [client.v1.customers.create({"name": f"c{i}"}).id for i in range(7)]
    newest_first = list(reversed(ids))
    page = client.v1.customers.list({"limit": 3})
    assert [c.id for c in page.data] == newest_first[:3] and page.has_more
    page2 = client.v1.customers.list({"limit": 3, "starting_after": page.data[-1].id})
    assert [c.id for c in page2.data] == newest_first[3:6] and page2.has_more
    page3 = client.v1.customers.list({"limit": 3, "starting_after": page2.data[-1].id})
    assert [c.id for c in page3.data] == newest_first[6:] and not page3.has_more
    back = client.v1.customers.list({"limit": 2, "ending_before": page2.data[0].id})
    assert [c.id for c in back.data] == newest_first[1:3] and back.has_more
    walked = [c.id for c in client.v1.customers.list({"limit": 2}).auto_paging_iter()]
    assert walked == newest_first


def test_it_expands_nested_properties_on_lists(client: stripe.StripeClient) -> None:
    pay(client, 1000)
    intents = client.v1.payment_intents.list({"expand": ["data.latest_charge.balance_transaction"]})
    bt = intents.data[0].latest_charge.balance_transaction
    assert bt.object == "balance_transaction" and bt.amount == 1000
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.charges.list({"expand": ["data.a.b.c.d"]})
    assert "more than 4 levels" in str(raised.value)


def test_it_rejects_an_invalid_parameter_with_its_name(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create({"currency": "usd"})
    assert raised.value.param == "amount" and raised.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"charge": "ch_missing"})
    assert raised.value.http_status == 404 and raised.value.param == "charge"
