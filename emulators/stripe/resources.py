"""One handler per Stripe endpoint. A handler gets a `Ctx` (the acting ledger, decoded params)
and returns a Stripe-shaped object; the server renders it (expand, private keys stripped).

`ROUTES` lists (path, methods, handler, restricted-key permission). Restricted keys need
"read" for GET and "write" for POST/DELETE on that permission.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from emulators.stripe import forms, ledger, oauth, shapes
from emulators.stripe.errors import StripeError, invalid, missing_param, no_such
from emulators.stripe.fees import round_minor
from emulators.stripe.store import DAY, PLATFORM_ACCOUNT, Store, ledger_key

EVENT_RETENTION = 30 * DAY
MAX_EXPAND_DEPTH = 4


@dataclass
class Ctx:
    store: Store
    book: ledger.Book
    params: dict[str, Any]
    method: str
    path: str
    key: str
    key_info: dict[str, Any]

    @property
    def livemode(self) -> bool:
        return self.book.livemode


Handler = Callable[..., dict[str, Any]]
ROUTES: list[tuple[str, list[str], Handler, str]] = []


def route(path: str, methods: str, permission: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append((path, methods.split(), handler, permission))
        return handler

    return register


# --- shared helpers --------------------------------------------------------------------------

NAMES = {
    "customer": "customer",
    "payment_intent": "payment_intent",
    "charge": "charge",
    "refund": "refund",
    "dispute": "dispute",
    "invoice": "invoice",
    "balance_transaction": "balance transaction",
    "payout": "payout",
    "topup": "topup",
    "event": "event",
    "webhook_endpoint": "webhook endpoint",
    "product": "product",
    "price": "price",
    "tax_rate": "tax rate",
    "invoice_payment": "invoice payment",
    "payment_method": "PaymentMethod",
    "invoiceitem": "invoice item",
}


def fetch(ctx: Ctx, kind: str, object_id: str, param: str = "id") -> dict[str, Any]:
    obj = ctx.book.get(object_id)
    if obj is None or obj.get("object") != kind or obj.get("deleted"):
        raise no_such(NAMES.get(kind, kind), object_id, param)
    if kind == "event" and obj["created"] < ctx.store.now - EVENT_RETENTION:
        raise no_such("event", object_id, param)
    return obj


def created_filter(value: Any) -> Callable[[int], bool]:
    if value in (None, ""):
        return lambda _created: True
    if not isinstance(value, dict):
        exact = int(value)
        return lambda created: created == exact
    bounds = {op: int(v) for op, v in value.items()}
    checks = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    for op in bounds:
        if op not in checks:
            raise invalid(f"Invalid created[{op}]", param=f"created[{op}]")
    return lambda created: all(checks[op](created, bound) for op, bound in bounds.items())


def paginate(ctx: Ctx, items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    """Newest first; `starting_after` / `ending_before` are ids within the filtered list."""
    limit = forms.as_int(ctx.params, "limit") or 10
    if not 1 <= limit <= 100:
        raise invalid("Invalid integer: must be between 1 and 100", param="limit")
    after = forms.as_str(ctx.params, "starting_after")
    before = forms.as_str(ctx.params, "ending_before")
    ids = [item["id"] for item in items]
    if after:
        start = _position(ids, after, "starting_after") + 1
        page = items[start : start + limit]
        has_more = start + limit < len(items)
    elif before:
        end = _position(ids, before, "ending_before")
        page = items[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page, has_more = items[:limit], len(items) > limit
    return shapes.list_object(url, page, has_more)


def _position(ids: list[str], object_id: str, param: str) -> int:
    try:
        return ids.index(object_id)
    except ValueError:
        raise no_such("object", object_id, param) from None


def newest_first(ctx: Ctx, kind: str, keep: Callable[[dict[str, Any]], bool]) -> list[dict]:
    created = created_filter(ctx.params.get("created"))
    found = [
        o
        for o in ctx.store.objects(ctx.book.lk, kind)
        if not o.get("deleted") and created(o["created"]) and keep(o)
    ]
    found.reverse()
    return found


def list_of(ctx: Ctx, kind: str, url: str, **equal: str) -> dict[str, Any]:
    """A list endpoint whose filters are equality on top-level fields named like the params."""
    wanted = {
        field: ctx.params[param]
        for field, param in equal.items()
        if ctx.params.get(param) not in (None, "")
    }
    items = newest_first(ctx, kind, lambda o: all(o.get(f) == v for f, v in wanted.items()))
    return paginate(ctx, items, url)


def amount_param(ctx: Ctx, name: str = "amount") -> int:
    amount = forms.as_int(ctx.params, name, required=True)
    assert amount is not None
    if amount < 0:
        raise invalid("This value must be greater than or equal to 0.", param=name)
    return amount


def currency_param(ctx: Ctx) -> str:
    currency = (forms.as_str(ctx.params, "currency", required=True) or "").lower()
    if len(currency) != 3:
        raise invalid(f"Invalid currency: {currency}", param="currency")
    return currency


def with_metadata(ctx: Ctx) -> dict[str, Any]:
    params = dict(ctx.params)
    params["metadata"] = forms.metadata(ctx.params)
    return params


def update_metadata(ctx: Ctx, obj: dict[str, Any]) -> None:
    if "metadata" in ctx.params:
        if ctx.params["metadata"] == "":
            obj["metadata"] = {}
            return
        for key, value in ctx.params["metadata"].items():
            if value == "":
                obj["metadata"].pop(key, None)
            else:
                obj["metadata"][key] = str(value)


# --- accounts ------------------------------------------------------------------------------


def render_account(ctx: Ctx, account: dict[str, Any]) -> dict[str, Any]:
    rendered = copy.deepcopy(account)
    banks = [
        {k: v for k, v in b.items() if not k.startswith("_")}
        for b in account["_bank_accounts"].values()
    ]
    rendered["external_accounts"] = shapes.list_object(
        f"/v1/accounts/{account['id']}/external_accounts", banks
    )
    return rendered


@route("/v1/account", "GET", "account")
def account_current(ctx: Ctx) -> dict[str, Any]:
    return render_account(ctx, ctx.book.acct)


@route("/v1/accounts/<account_id>", "GET", "account")
def account_retrieve(ctx: Ctx, account_id: str) -> dict[str, Any]:
    return render_account(ctx, _own_account(ctx, account_id))


def _own_account(ctx: Ctx, account_id: str) -> dict[str, Any]:
    account = ctx.store.account(account_id)
    mine = account is not None and (
        account_id == ctx.book.account or account.get("_platform") == ctx.book.account
    )
    if not mine or account is None:
        raise StripeError(
            403 if account else 404,
            f"The provided key does not have access to account '{account_id}' (or "
            "that account does not exist).",
            code="account_invalid",
        )
    return account


@route("/v1/accounts", "GET", "connected_account")
def account_list(ctx: Ctx) -> dict[str, Any]:
    accounts = [
        render_account(ctx, a)
        for a in reversed(ctx.store.state["accounts"].values())
        if a.get("_platform") == ctx.book.account and not a.get("_revoked")
    ]
    return paginate(ctx, accounts, "/v1/accounts")


@route("/v1/accounts", "POST", "connected_account")
def account_create(ctx: Ctx) -> dict[str, Any]:
    if ctx.book.account != PLATFORM_ACCOUNT:
        raise invalid(
            "Only a Connect platform can create accounts.", code="platform_api_key_expired"
        )
    p = ctx.params
    account = ctx.store.add_account(
        None,
        platform=PLATFORM_ACCOUNT,
        name=(p.get("business_profile") or {}).get("name", ""),
        country=p.get("country", "US"),
        currency=p.get("default_currency", "usd"),
        email=p.get("email"),
        account_type=p.get("type", "standard"),
    )
    account["metadata"] = forms.metadata(p)
    _apply_account_settings(ctx, account)
    if isinstance(p.get("external_account"), dict):
        _add_bank(ctx, account, p["external_account"])
    return render_account(ctx, account)


@route("/v1/accounts/<account_id>", "POST", "connected_account")
def account_update(ctx: Ctx, account_id: str) -> dict[str, Any]:
    account = _own_account(ctx, account_id)
    _apply_account_settings(ctx, account)
    update_metadata(ctx, account)
    return render_account(ctx, account)


def _apply_account_settings(ctx: Ctx, account: dict[str, Any]) -> None:
    schedule = ((ctx.params.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    target = account["settings"]["payouts"]["schedule"]
    if schedule.get("interval"):
        if schedule["interval"] not in ("manual", "daily", "weekly"):
            raise invalid("Invalid payout interval", param="settings[payouts][schedule][interval]")
        target["interval"] = schedule["interval"]
    if schedule.get("delay_days"):
        target["delay_days"] = int(schedule["delay_days"])
    if schedule.get("weekly_anchor"):
        target["weekly_anchor"] = schedule["weekly_anchor"]
    currencies = ctx.params.get("settlement_currencies")  # emulator extension
    if currencies:
        account["_settlement_currencies"] = forms.as_list(ctx.params, "settlement_currencies")


def _add_bank(ctx: Ctx, account: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    number = params.get("account_number")
    if not number:
        raise missing_param("external_account[account_number]")
    bank = shapes.bank_account(
        ctx.store,
        account["id"],
        account_number=number,
        currency=params.get("currency", account["default_currency"]).lower(),
        country=params.get("country", account["country"]),
        routing_number=params.get("routing_number", "110000000"),
        holder=params.get("account_holder_name"),
    )
    for other in account["_bank_accounts"].values():
        if other["currency"] == bank["currency"]:
            other["default_for_currency"] = False
    account["_bank_accounts"][bank["id"]] = bank
    if bank["currency"] not in account["_settlement_currencies"]:
        account["_settlement_currencies"].append(bank["currency"])
    return bank


@route("/v1/accounts/<account_id>/external_accounts", "POST", "connected_account")
def external_account_create(ctx: Ctx, account_id: str) -> dict[str, Any]:
    account = _own_account(ctx, account_id)
    params = ctx.params.get("external_account")
    if not isinstance(params, dict):
        raise missing_param("external_account")
    return _add_bank(ctx, account, params)


# --- customers, products, prices, tax rates --------------------------------------------------


@route("/v1/customers", "POST", "customer")
def customer_create(ctx: Ctx) -> dict[str, Any]:
    customer = ctx.book.put(shapes.customer(ctx.store, ctx.livemode, with_metadata(ctx)))
    ctx.book.emit("customer.created", customer)
    return customer


@route("/v1/customers", "GET", "customer")
def customer_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "customer", "/v1/customers", email="email")


@route("/v1/customers/<customer_id>", "GET", "customer")
def customer_retrieve(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    found = ctx.book.get(customer_id)
    if found is not None and found.get("object") == "customer" and found.get("deleted"):
        # Stripe still answers for a deleted customer, with a stub.
        return {"id": customer_id, "object": "customer", "deleted": True}
    return fetch(ctx, "customer", customer_id)


@route("/v1/customers/<customer_id>", "POST", "customer")
def customer_update(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    customer = fetch(ctx, "customer", customer_id)
    previous = {}
    for field in ("name", "email", "description", "phone"):
        if field in ctx.params:
            previous[field] = customer[field]
            customer[field] = ctx.params[field] or None
    update_metadata(ctx, customer)
    ctx.book.emit("customer.updated", customer, previous)
    return customer


@route("/v1/customers/<customer_id>", "DELETE", "customer")
def customer_delete(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    customer = fetch(ctx, "customer", customer_id)
    customer["deleted"] = True
    ctx.book.emit("customer.deleted", customer)
    return {"id": customer_id, "object": "customer", "deleted": True}


@route("/v1/products", "POST", "product")
def product_create(ctx: Ctx) -> dict[str, Any]:
    forms.as_str(ctx.params, "name", required=True)
    product = ctx.book.put(shapes.product(ctx.store, ctx.livemode, with_metadata(ctx)))
    ctx.book.emit("product.created", product)
    return product


@route("/v1/products", "GET", "product")
def product_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "product", "/v1/products")


@route("/v1/products/<product_id>", "GET", "product")
def product_retrieve(ctx: Ctx, product_id: str) -> dict[str, Any]:
    return fetch(ctx, "product", product_id)


@route("/v1/prices", "POST", "price")
def price_create(ctx: Ctx) -> dict[str, Any]:
    product_id = forms.as_str(ctx.params, "product", required=True) or ""
    product = fetch(ctx, "product", product_id, "product")
    amount_param(ctx, "unit_amount")
    params = with_metadata(ctx)
    params["currency"] = currency_param(ctx)
    price = ctx.book.put(shapes.price(ctx.store, ctx.livemode, params))
    if product["default_price"] is None:
        product["default_price"] = price["id"]
    ctx.book.emit("price.created", price)
    return price


@route("/v1/prices", "GET", "price")
def price_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "price", "/v1/prices", product="product", currency="currency")


@route("/v1/prices/<price_id>", "GET", "price")
def price_retrieve(ctx: Ctx, price_id: str) -> dict[str, Any]:
    return fetch(ctx, "price", price_id)


@route("/v1/tax_rates", "POST", "tax_rate")
def tax_rate_create(ctx: Ctx) -> dict[str, Any]:
    forms.as_str(ctx.params, "display_name", required=True)
    percentage = forms.as_str(ctx.params, "percentage", required=True) or "0"
    params = with_metadata(ctx)
    params["percentage"] = float(percentage)
    rate = ctx.book.put(shapes.tax_rate(ctx.store, ctx.livemode, params))
    ctx.book.emit("tax_rate.created", rate)
    return rate


@route("/v1/tax_rates", "GET", "tax_rate")
def tax_rate_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "tax_rate", "/v1/tax_rates")


@route("/v1/tax_rates/<rate_id>", "GET", "tax_rate")
def tax_rate_retrieve(ctx: Ctx, rate_id: str) -> dict[str, Any]:
    return fetch(ctx, "tax_rate", rate_id)


# --- payment methods, payment intents, charges -----------------------------------------------


@route("/v1/payment_methods/<pm_id>", "GET", "payment_method")
def payment_method_retrieve(ctx: Ctx, pm_id: str) -> dict[str, Any]:
    return fetch(ctx, "payment_method", pm_id)


@route("/v1/payment_methods/<pm_id>/attach", "POST", "payment_method")
def payment_method_attach(ctx: Ctx, pm_id: str) -> dict[str, Any]:
    customer_id = forms.as_str(ctx.params, "customer", required=True) or ""
    fetch(ctx, "customer", customer_id, "customer")
    pm = ledger.resolve_card(ctx.book, pm_id, customer_id)
    pm["customer"] = customer_id
    ctx.book.emit("payment_method.attached", pm)
    return pm


@route("/v1/payment_intents", "POST", "payment_intent")
def payment_intent_create(ctx: Ctx) -> dict[str, Any]:
    amount_param(ctx)
    params = with_metadata(ctx)
    params["currency"] = currency_param(ctx)
    if params.get("customer"):
        fetch(ctx, "customer", params["customer"], "customer")
    pi = ctx.book.put(shapes.payment_intent(ctx.store, ctx.livemode, params))
    pm = forms.as_str(ctx.params, "payment_method")
    if pm:
        pi["status"] = "requires_confirmation"
        pi["payment_method"] = pm
    ctx.book.emit("payment_intent.created", pi)
    if forms.as_bool(ctx.params, "confirm"):
        ledger.confirm_payment_intent(ctx.book, pi, pm)
    return pi


@route("/v1/payment_intents/<pi_id>/confirm", "POST", "payment_intent")
def payment_intent_confirm(ctx: Ctx, pi_id: str) -> dict[str, Any]:
    pi = fetch(ctx, "payment_intent", pi_id)
    ledger.confirm_payment_intent(ctx.book, pi, forms.as_str(ctx.params, "payment_method"))
    return pi


@route("/v1/payment_intents/<pi_id>/cancel", "POST", "payment_intent")
def payment_intent_cancel(ctx: Ctx, pi_id: str) -> dict[str, Any]:
    pi = fetch(ctx, "payment_intent", pi_id)
    if pi["status"] in ("succeeded", "canceled"):
        raise invalid(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}.",
            code="payment_intent_unexpected_state",
        )
    pi.update(
        {
            "status": "canceled",
            "canceled_at": ctx.store.now,
            "cancellation_reason": ctx.params.get("cancellation_reason"),
        }
    )
    ctx.book.emit("payment_intent.canceled", pi)
    return pi


@route("/v1/payment_intents", "GET", "payment_intent")
def payment_intent_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "payment_intent", "/v1/payment_intents", customer="customer")


@route("/v1/payment_intents/<pi_id>", "GET", "payment_intent")
def payment_intent_retrieve(ctx: Ctx, pi_id: str) -> dict[str, Any]:
    return fetch(ctx, "payment_intent", pi_id)


@route("/v1/charges", "POST", "charge")
def charge_create(ctx: Ctx) -> dict[str, Any]:
    amount = amount_param(ctx)
    currency = currency_param(ctx)
    reference = forms.as_str(ctx.params, "source") or forms.as_str(ctx.params, "payment_method")
    if not reference:
        raise missing_param("source")
    customer = forms.as_str(ctx.params, "customer")
    if customer:
        fetch(ctx, "customer", customer, "customer")
    pm = ledger.resolve_card(ctx.book, reference, customer)
    return ledger.charge_card(
        ctx.book,
        amount=amount,
        currency=currency,
        pm=pm,
        customer=customer,
        payment_intent=None,
        description=forms.as_str(ctx.params, "description"),
        metadata=forms.metadata(ctx.params),
    )


@route("/v1/charges", "GET", "charge")
def charge_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(
        ctx, "charge", "/v1/charges", customer="customer", payment_intent="payment_intent"
    )


@route("/v1/charges/<charge_id>", "GET", "charge")
def charge_retrieve(ctx: Ctx, charge_id: str) -> dict[str, Any]:
    return fetch(ctx, "charge", charge_id)


@route("/v1/charges/<charge_id>/refunds", "GET", "charge")
def charge_refunds(ctx: Ctx, charge_id: str) -> dict[str, Any]:
    fetch(ctx, "charge", charge_id)
    items = newest_first(ctx, "refund", lambda r: r["charge"] == charge_id)
    return paginate(ctx, items, f"/v1/charges/{charge_id}/refunds")


# --- refunds and disputes --------------------------------------------------------------------


@route("/v1/refunds", "POST", "refund")
def refund_create(ctx: Ctx) -> dict[str, Any]:
    charge_id = forms.as_str(ctx.params, "charge")
    pi_id = forms.as_str(ctx.params, "payment_intent")
    if pi_id and not charge_id:
        pi = fetch(ctx, "payment_intent", pi_id, "payment_intent")
        charge_id = pi["latest_charge"]
        if not charge_id or pi["status"] != "succeeded":
            raise invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
            )
    if not charge_id:
        raise missing_param("charge")
    charge = fetch(ctx, "charge", charge_id, "charge")
    reason = ctx.params.get("reason")
    if reason and reason not in ("duplicate", "fraudulent", "requested_by_customer"):
        raise invalid(f"Invalid reason: {reason}", param="reason")
    amount = forms.as_int(ctx.params, "amount")
    return ledger.create_refund(ctx.book, charge, amount, with_metadata(ctx))


@route("/v1/refunds", "GET", "refund")
def refund_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "refund", "/v1/refunds", charge="charge", payment_intent="payment_intent")


@route("/v1/refunds/<refund_id>", "GET", "refund")
def refund_retrieve(ctx: Ctx, refund_id: str) -> dict[str, Any]:
    return fetch(ctx, "refund", refund_id)


@route("/v1/disputes", "GET", "dispute")
def dispute_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "dispute", "/v1/disputes", charge="charge", payment_intent="payment_intent")


@route("/v1/disputes/<dispute_id>", "GET", "dispute")
def dispute_retrieve(ctx: Ctx, dispute_id: str) -> dict[str, Any]:
    return fetch(ctx, "dispute", dispute_id)


@route("/v1/disputes/<dispute_id>", "POST", "dispute")
def dispute_update(ctx: Ctx, dispute_id: str) -> dict[str, Any]:
    dispute = fetch(ctx, "dispute", dispute_id)
    update_metadata(ctx, dispute)
    evidence = ctx.params.get("evidence") or {}
    if evidence or "submit" in ctx.params:
        submit = forms.as_bool(ctx.params, "submit", default=True)
        ledger.submit_evidence(ctx.book, dispute, evidence, submit)
    return dispute


@route("/v1/disputes/<dispute_id>/close", "POST", "dispute")
def dispute_close(ctx: Ctx, dispute_id: str) -> dict[str, Any]:
    dispute = fetch(ctx, "dispute", dispute_id)
    if dispute["status"] in ("won", "lost", "warning_closed"):
        raise invalid("This dispute is already closed", code="dispute_already_closed")
    ledger.close_dispute(ctx.book, dispute, won=False)
    return dispute


# --- invoices --------------------------------------------------------------------------------


@route("/v1/invoices", "POST", "invoice")
def invoice_create(ctx: Ctx) -> dict[str, Any]:
    customer_id = forms.as_str(ctx.params, "customer", required=True) or ""
    customer = fetch(ctx, "customer", customer_id, "customer")
    invoice = shapes.invoice(ctx.store, ctx.livemode, customer, with_metadata(ctx), ctx.book.acct)
    for rate_id in forms.as_list(ctx.params, "default_tax_rates"):
        fetch(ctx, "tax_rate", rate_id, "default_tax_rates")
        invoice["default_tax_rates"].append(rate_id)
    ctx.book.put(invoice)
    ctx.book.emit("invoice.created", invoice)
    return invoice


@route("/v1/invoiceitems", "POST", "invoice")
def invoice_item_create(ctx: Ctx) -> dict[str, Any]:
    params = with_metadata(ctx)
    fetch(ctx, "customer", forms.as_str(params, "customer", required=True) or "", "customer")
    invoice = fetch(ctx, "invoice", forms.as_str(params, "invoice", required=True) or "", "invoice")
    if invoice["status"] != "draft":
        raise invalid("You can only add invoice items to draft invoices.", param="invoice")
    quantity = forms.as_int(params, "quantity") or 1
    price_id = forms.as_str(params, "price")
    if price_id:
        price = fetch(ctx, "price", price_id, "price")
        amount, currency = price["unit_amount"] * quantity, price["currency"]
    else:
        amount, currency = amount_param(ctx), currency_param(ctx)
    if currency != invoice["currency"]:
        raise invalid("The currency of the item must match the invoice.", param="currency")
    item = shapes.invoice_item(
        ctx.store, ctx.livemode, params, amount, quantity, currency, price_id
    )
    if price_id:  # Stripe names the price's product on the item and its invoice line
        item["pricing"]["price_details"]["product"] = price["product"]
    item["tax_rates"] = [
        fetch(ctx, "tax_rate", r, "tax_rates") for r in forms.as_list(params, "tax_rates")
    ]
    ctx.book.put(item)
    _recompute_invoice(ctx, invoice)
    ctx.book.emit("invoiceitem.created", item)
    return item


@route("/v1/invoiceitems", "GET", "invoice")
def invoice_item_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "invoiceitem", "/v1/invoiceitems", invoice="invoice", customer="customer")


def _tax_entry(rate: dict[str, Any], taxable: int) -> dict[str, Any]:
    amount = round_minor(Decimal(str(rate["percentage"])) * taxable / 100)
    return {
        "amount": amount,
        "tax_behavior": "exclusive",
        "taxability_reason": "standard_rated",
        "taxable_amount": taxable,
        "type": "tax_rate_details",
        "tax_rate_details": {"tax_rate": rate["id"]},
    }


def _recompute_invoice(ctx: Ctx, invoice: dict[str, Any]) -> None:
    """Lines from the invoice's items; exclusive taxes per line, summed per tax rate."""
    items = [
        i for i in ctx.store.objects(ctx.book.lk, "invoiceitem") if i["invoice"] == invoice["id"]
    ]
    lines: list[dict[str, Any]] = []
    totals: dict[str, dict[str, Any]] = {}
    for item in items:
        rates = item["tax_rates"] or [ctx.book.get(r) for r in invoice["default_tax_rates"]]
        taxes = [_tax_entry(r, item["amount"]) for r in rates if r]
        for tax in taxes:
            rate_id = tax["tax_rate_details"]["tax_rate"]
            total = totals.setdefault(rate_id, {**tax, "amount": 0, "taxable_amount": 0})
            total["amount"] += tax["amount"]
            total["taxable_amount"] += tax["taxable_amount"]
        lines.append(shapes.line_item(ctx.store, ctx.livemode, item, invoice["id"], taxes))
    subtotal = sum(line["amount"] for line in lines)
    tax_total = sum(t["amount"] for t in totals.values())
    invoice["lines"]["data"] = lines
    invoice["total_taxes"] = list(totals.values())
    invoice.update(
        {
            "subtotal": subtotal,
            "subtotal_excluding_tax": subtotal,
            "total_excluding_tax": subtotal,
            "total": subtotal + tax_total,
            "amount_due": subtotal + tax_total,
            "amount_remaining": subtotal + tax_total,
        }
    )


@route("/v1/invoices", "GET", "invoice")
def invoice_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "invoice", "/v1/invoices", customer="customer", status="status")


@route("/v1/invoices/<invoice_id>", "GET", "invoice")
def invoice_retrieve(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    return fetch(ctx, "invoice", invoice_id)


@route("/v1/invoices/<invoice_id>/lines", "GET", "invoice")
def invoice_lines(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    invoice = fetch(ctx, "invoice", invoice_id)
    return paginate(ctx, list(invoice["lines"]["data"]), f"/v1/invoices/{invoice_id}/lines")


@route("/v1/invoices/<invoice_id>/finalize", "POST", "invoice")
def invoice_finalize(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    invoice = fetch(ctx, "invoice", invoice_id)
    if invoice["status"] != "draft":
        raise invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
            code="invoice_not_editable",
        )
    count = sum(1 for i in ctx.store.objects(ctx.book.lk, "invoice") if i["number"])
    invoice.update(
        {
            "status": "open",
            "number": f"{invoice['id'][-8:].upper()}-{count + 1:04d}",
            "effective_at": ctx.store.now,
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{invoice['id']}",
            "invoice_pdf": f"https://pay.stripe.com/invoice/{invoice['id']}/pdf",
        }
    )
    invoice["status_transitions"]["finalized_at"] = ctx.store.now
    ctx.book.emit("invoice.finalized", invoice, {"status": "draft"})
    return invoice


@route("/v1/invoices/<invoice_id>/pay", "POST", "invoice")
def invoice_pay(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    invoice = fetch(ctx, "invoice", invoice_id)
    if invoice["status"] == "draft":
        invoice_finalize(ctx, invoice_id)
    if invoice["status"] != "open":
        raise invalid("Invoice is already paid", code="invoice_already_paid")
    pm = forms.as_str(ctx.params, "payment_method") or forms.as_str(ctx.params, "source")
    if not pm:
        raise missing_param("payment_method")
    pi = ctx.book.put(
        shapes.payment_intent(
            ctx.store,
            ctx.livemode,
            {
                "amount": invoice["amount_due"],
                "currency": invoice["currency"],
                "customer": invoice["customer"],
                "description": f"Invoice {invoice['number']}",
                "metadata": {},
            },
        )
    )
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    ledger.confirm_payment_intent(ctx.book, pi, pm)
    payment = ctx.book.put(shapes.invoice_payment(ctx.store, ctx.livemode, invoice, pi["id"]))
    invoice.update({"status": "paid", "amount_paid": invoice["amount_due"], "amount_remaining": 0})
    invoice["status_transitions"]["paid_at"] = ctx.store.now
    ctx.book.emit("invoice_payment.paid", payment)
    ctx.book.emit("invoice.paid", invoice, {"status": "open"})
    ctx.book.emit("invoice.payment_succeeded", invoice)
    return invoice


@route("/v1/invoice_payments", "GET", "invoice")
def invoice_payment_list(ctx: Ctx) -> dict[str, Any]:
    payment = ctx.params.get("payment") or {}
    wanted_pi = payment.get("payment_intent") if isinstance(payment, dict) else None
    invoice = ctx.params.get("invoice")
    status = ctx.params.get("status")

    def keep(p: dict[str, Any]) -> bool:
        return (
            (not invoice or p["invoice"] == invoice)
            and (not status or p["status"] == status)
            and (not wanted_pi or p["payment"]["payment_intent"] == wanted_pi)
        )

    return paginate(ctx, newest_first(ctx, "invoice_payment", keep), "/v1/invoice_payments")


@route("/v1/invoice_payments/<payment_id>", "GET", "invoice")
def invoice_payment_retrieve(ctx: Ctx, payment_id: str) -> dict[str, Any]:
    return fetch(ctx, "invoice_payment", payment_id)


# --- balance, balance transactions -----------------------------------------------------------


@route("/v1/balance", "GET", "balance")
def balance_retrieve(ctx: Ctx) -> dict[str, Any]:
    return ledger.balance(ctx.book)


def _bt_filter(ctx: Ctx) -> Callable[[dict[str, Any]], bool]:
    p = ctx.params
    payout_id = forms.as_str(p, "payout")
    if payout_id:
        payout = fetch(ctx, "payout", payout_id, "payout")
        if not payout["automatic"]:
            # Stripe: the `payout` filter is "for automatic Stripe payouts only".
            raise invalid(
                "Balance transaction history can only be filtered on automatic "
                "transfers, not manual.",
                param="payout",
            )
    source = forms.as_str(p, "source")
    type_ = forms.as_str(p, "type")
    currency = forms.as_str(p, "currency")

    def keep(bt: dict[str, Any]) -> bool:
        return (
            (not payout_id or bt["_payout"] == payout_id)
            and (not source or bt["source"] == source)
            and (not type_ or bt["type"] == type_)
            and (not currency or bt["currency"] == currency.lower())
        )

    return keep


@route("/v1/balance_transactions", "GET", "balance")
def balance_transaction_list(ctx: Ctx) -> dict[str, Any]:
    items = newest_first(ctx, "balance_transaction", _bt_filter(ctx))
    return paginate(ctx, items, "/v1/balance_transactions")


@route("/v1/balance/history", "GET", "balance")
def balance_history_list(ctx: Ctx) -> dict[str, Any]:
    items = newest_first(ctx, "balance_transaction", _bt_filter(ctx))
    return paginate(ctx, items, "/v1/balance/history")


@route("/v1/balance_transactions/<txn_id>", "GET", "balance")
def balance_transaction_retrieve(ctx: Ctx, txn_id: str) -> dict[str, Any]:
    return fetch(ctx, "balance_transaction", txn_id)


@route("/v1/balance/history/<txn_id>", "GET", "balance")
def balance_history_retrieve(ctx: Ctx, txn_id: str) -> dict[str, Any]:
    return fetch(ctx, "balance_transaction", txn_id)


# --- payouts and top-ups ---------------------------------------------------------------------


@route("/v1/payouts", "POST", "payout")
def payout_create(ctx: Ctx) -> dict[str, Any]:
    amount = amount_param(ctx)
    currency = currency_param(ctx)
    return ledger.create_manual_payout(ctx.book, with_metadata(ctx), amount, currency)


@route("/v1/payouts", "GET", "payout")
def payout_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "payout", "/v1/payouts", status="status", destination="destination")


@route("/v1/payouts/<payout_id>", "GET", "payout")
def payout_retrieve(ctx: Ctx, payout_id: str) -> dict[str, Any]:
    return fetch(ctx, "payout", payout_id)


@route("/v1/payouts/<payout_id>/cancel", "POST", "payout")
def payout_cancel(ctx: Ctx, payout_id: str) -> dict[str, Any]:
    payout = fetch(ctx, "payout", payout_id)
    ledger.cancel_payout(ctx.book, payout)
    return payout


@route("/v1/topups", "POST", "topup")
def topup_create(ctx: Ctx) -> dict[str, Any]:
    amount_param(ctx)
    params = with_metadata(ctx)
    params["currency"] = currency_param(ctx)
    return ledger.create_topup(ctx.book, params)


@route("/v1/topups", "GET", "topup")
def topup_list(ctx: Ctx) -> dict[str, Any]:
    return list_of(ctx, "topup", "/v1/topups", status="status")


@route("/v1/topups/<topup_id>", "GET", "topup")
def topup_retrieve(ctx: Ctx, topup_id: str) -> dict[str, Any]:
    return fetch(ctx, "topup", topup_id)


# --- events and webhook endpoints ------------------------------------------------------------


def _delivered(ctx: Ctx, event_id: str) -> bool:
    return all(
        d["status"] == "succeeded" for d in ctx.store.state["deliveries"] if d["event"] == event_id
    )


@route("/v1/events", "GET", "event")
def event_list(ctx: Ctx) -> dict[str, Any]:
    oldest = ctx.store.now - EVENT_RETENTION
    types = set(forms.as_list(ctx.params, "types"))
    type_ = forms.as_str(ctx.params, "type")
    success = ctx.params.get("delivery_success")

    def keep(event: dict[str, Any]) -> bool:
        if event["created"] < oldest or (types and event["type"] not in types):
            return False
        if type_ and not _type_matches(type_, event["type"]):
            return False
        return success in (None, "") or _delivered(ctx, event["id"]) == (success == "true")

    return paginate(ctx, newest_first(ctx, "event", keep), "/v1/events")


def _type_matches(pattern: str, event_type: str) -> bool:
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


@route("/v1/events/<event_id>", "GET", "event")
def event_retrieve(ctx: Ctx, event_id: str) -> dict[str, Any]:
    return fetch(ctx, "event", event_id)


@route("/v1/webhook_endpoints", "POST", "webhook_endpoint")
def webhook_endpoint_create(ctx: Ctx) -> dict[str, Any]:
    params = with_metadata(ctx)
    forms.as_str(params, "url", required=True)
    params["enabled_events"] = forms.as_list(params, "enabled_events")
    if not params["enabled_events"]:
        raise missing_param("enabled_events")
    return ctx.book.put(shapes.webhook_endpoint(ctx.store, ctx.livemode, params))


@route("/v1/webhook_endpoints", "GET", "webhook_endpoint")
def webhook_endpoint_list(ctx: Ctx) -> dict[str, Any]:
    page = list_of(ctx, "webhook_endpoint", "/v1/webhook_endpoints")
    page["data"] = [{k: v for k, v in e.items() if k != "secret"} for e in page["data"]]
    return page


@route("/v1/webhook_endpoints/<endpoint_id>", "GET", "webhook_endpoint")
def webhook_endpoint_retrieve(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    endpoint = fetch(ctx, "webhook_endpoint", endpoint_id)
    return {k: v for k, v in endpoint.items() if k != "secret"}


@route("/v1/webhook_endpoints/<endpoint_id>", "POST", "webhook_endpoint")
def webhook_endpoint_update(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    endpoint = fetch(ctx, "webhook_endpoint", endpoint_id)
    if ctx.params.get("url"):
        endpoint["url"] = ctx.params["url"]
    if "enabled_events" in ctx.params:
        endpoint["enabled_events"] = forms.as_list(ctx.params, "enabled_events")
    if "disabled" in ctx.params:
        endpoint["status"] = "disabled" if forms.as_bool(ctx.params, "disabled") else "enabled"
    update_metadata(ctx, endpoint)
    return {k: v for k, v in endpoint.items() if k != "secret"}


@route("/v1/webhook_endpoints/<endpoint_id>", "DELETE", "webhook_endpoint")
def webhook_endpoint_delete(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    endpoint = fetch(ctx, "webhook_endpoint", endpoint_id)
    endpoint["deleted"] = True
    endpoint["status"] = "disabled"
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


@route("/v1/oauth/token", "POST", "secret")
def apps_oauth_token(ctx: Ctx) -> dict[str, Any]:
    return oauth.token(ctx.store, ctx.params, ctx.key_info, kind="app")


# --- rendering: expand and embedded snapshots ------------------------------------------------


def refresh_embedded(store: Store, lk: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Embedded copies (dispute BTs, charge refunds) rebuilt from the current objects."""
    out = {k: v for k, v in obj.items() if not k.startswith("_")}
    if obj.get("object") == "dispute":
        ids = [bt["id"] for bt in obj["balance_transactions"]]
        out["balance_transactions"] = [strip(store.get(lk, i) or {}) for i in ids]
    if obj.get("object") == "charge":
        refunds = [r for r in store.objects(lk, "refund") if r["charge"] == obj["id"]]
        out["refunds"] = dict(obj["refunds"], data=[strip(r) for r in reversed(refunds)][:10])
    return out


def strip(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def expand(store: Store, lk: str, obj: Any, paths: Iterable[str]) -> Any:
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_EXPAND_DEPTH:
            raise invalid(
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                f"Property: {path}",
                param="expand",
            )
        obj = _expand_path(store, lk, obj, parts, path)
    return obj


def _expand_path(store: Store, lk: str, node: Any, parts: list[str], path: str) -> Any:
    if isinstance(node, list):
        return [_expand_path(store, lk, item, parts, path) for item in node]
    if not isinstance(node, dict):
        return node
    head, rest = parts[0], parts[1:]
    if head not in node and head != "payments":
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    value = node.get(head)
    if head == "payments" and node.get("object") == "invoice":
        value = _invoice_payments(store, lk, node["id"])
    elif isinstance(value, str):
        target = store.get(lk, value)
        if target is None and value.startswith("acct_"):
            target = store.account(value)
        if target is None and value.startswith("ba_"):
            owner = store.account(lk.split("|")[0]) or {}
            target = owner.get("_bank_accounts", {}).get(value)
        if target is None:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        value = refresh_embedded(store, lk, target)
    if rest and value is not None:
        value = _expand_path(store, lk, value, rest, path)
    return {**node, head: value}


def _invoice_payments(store: Store, lk: str, invoice_id: str) -> dict[str, Any]:
    payments = [
        strip(p) for p in store.objects(lk, "invoice_payment") if p["invoice"] == invoice_id
    ]
    return shapes.list_object(f"/v1/invoice_payments?invoice={invoice_id}", payments)


def render(ctx: Ctx, result: dict[str, Any]) -> dict[str, Any]:
    paths = [str(p) for p in forms.as_list(ctx.params, "expand")]
    lk = ledger_key(ctx.book.account, ctx.livemode)
    if result.get("object") == "list":
        data = [refresh_embedded(ctx.store, lk, item) for item in result["data"]]
        rendered = dict(result, data=data)
        list_paths = []
        for path in paths:
            if not path.startswith("data."):
                raise invalid(f"This property cannot be expanded ({path}).", param="expand")
            list_paths.append(path)
        return expand(ctx.store, lk, rendered, list_paths)
    return expand(ctx.store, lk, refresh_embedded(ctx.store, lk, result), paths)
