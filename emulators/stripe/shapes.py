"""Object builders in the current API shape (2026-10-28.endive).

Every builder returns all the keys of Stripe's own sample of that kind (openapi
fixtures3.json), with realistic values. Private bookkeeping lives in keys starting with `_`,
which the server strips before answering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulators.stripe.cards import SUCCEEDING_ACCOUNT_NUMBER, TEST_ROUTING_NUMBER, TestCard

if TYPE_CHECKING:
    from emulators.stripe.store import Store

API_VERSION = "2026-10-28.endive"


def _address(country: str | None = None) -> dict[str, Any]:
    return {
        "city": None,
        "country": country,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    }


def list_object(url: str, data: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def account(
    store: Store,
    account_id: str,
    *,
    name: str,
    country: str,
    currency: str,
    email: str | None,
    account_type: str,
) -> dict[str, Any]:
    requirements = {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": None,
            "name": name,
            "product_description": None,
            "support_address": None,
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": None,
            "minority_owned_business_designation": None,
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account" if account_type == "standard" else "application"},
        "country": country,
        "created": store.now,
        "default_currency": currency,
        "details_submitted": True,
        "email": email,
        "external_accounts": list_object(f"/v1/accounts/{account_id}/external_accounts", []),
        "future_requirements": dict(requirements),
        "metadata": {},
        "payouts_enabled": True,
        "requirements": dict(requirements),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": False},
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": name or None, "timezone": "Etc/UTC"},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": None},
            "payments": {
                "statement_descriptor": None,
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": store.pricing.availability_days, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": store.now, "ip": "127.0.0.1", "user_agent": None},
        "type": account_type,
    }


def bank_account(
    store: Store,
    account_id: str,
    *,
    account_number: str,
    currency: str,
    country: str,
    routing_number: str = TEST_ROUTING_NUMBER,
    holder: str | None = None,
) -> dict[str, Any]:
    return {
        "id": store.new_id("ba"),
        "object": "bank_account",
        "account": account_id,
        "account_holder_name": holder,
        "account_holder_type": "company",
        "account_type": None,
        "available_payout_methods": ["standard"],
        "bank_name": "STRIPE TEST BANK",
        "country": country,
        "currency": currency,
        "customer": None,
        "default_for_currency": True,
        "fingerprint": store.new_id("fp", 10)[3:],
        "last4": account_number[-4:],
        "metadata": {},
        "routing_number": routing_number,
        "status": "new",
        "_account_number": account_number,
    }


def add_default_bank_account(
    store: Store, acct: dict[str, Any], number: str = SUCCEEDING_ACCOUNT_NUMBER
) -> dict[str, Any]:
    currency = acct["default_currency"]
    bank = bank_account(
        store, acct["id"], account_number=number, currency=currency, country=acct["country"]
    )
    for other in acct["_bank_accounts"].values():
        if other["currency"] == currency:
            other["default_for_currency"] = False
    acct["_bank_accounts"][bank["id"]] = bank
    return bank


def customer(store: Store, livemode: bool, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = store.new_id("cus")
    return {
        "id": customer_id,
        "object": "customer",
        "address": params.get("address") or None,
        "balance": 0,
        "created": store.now,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "discount": None,
        "email": params.get("email"),
        "invoice_prefix": customer_id[-8:].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": livemode,
        "metadata": params.get("metadata", {}),
        "name": params.get("name"),
        "next_invoice_sequence": 1,
        "phone": params.get("phone"),
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
        "customer_account": None,
    }


def product(store: Store, livemode: bool, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": params.get("id") or store.new_id("prod"),
        "object": "product",
        "active": True,
        "created": store.now,
        "default_price": None,
        "description": params.get("description"),
        "images": [],
        "livemode": livemode,
        "marketing_features": [],
        "metadata": params.get("metadata", {}),
        "name": params["name"],
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": store.now,
        "url": None,
    }


def price(store: Store, livemode: bool, params: dict[str, Any]) -> dict[str, Any]:
    recurring = params.get("recurring")
    if recurring:
        recurring = {
            "interval": recurring["interval"],
            "interval_count": int(recurring.get("interval_count", 1)),
            "meter": None,
            "usage_type": "licensed",
            "trial_period_days": None,
        }
    unit_amount = int(params["unit_amount"])
    return {
        "id": store.new_id("price"),
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": store.now,
        "currency": params["currency"],
        "custom_unit_amount": None,
        "livemode": livemode,
        "lookup_key": params.get("lookup_key"),
        "metadata": params.get("metadata", {}),
        "nickname": params.get("nickname"),
        "product": params["product"],
        "recurring": recurring or None,
        "tax_behavior": params.get("tax_behavior", "unspecified"),
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def tax_rate(store: Store, livemode: bool, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": store.new_id("txr"),
        "object": "tax_rate",
        "active": True,
        "country": params.get("country"),
        "created": store.now,
        "description": params.get("description"),
        "display_name": params["display_name"],
        "effective_percentage": params["percentage"],
        "flat_amount": None,
        "inclusive": params.get("inclusive", "false") == "true",
        "jurisdiction": params.get("jurisdiction"),
        "jurisdiction_level": None,
        "livemode": livemode,
        "metadata": params.get("metadata", {}),
        "percentage": params["percentage"],
        "rate_type": "percentage",
        "state": params.get("state"),
        "tax_type": params.get("tax_type"),
    }


def card_details(card: TestCard) -> dict[str, Any]:
    return {
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
        "country": card.country,
        "display_brand": card.brand,
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": f"fp{card.brand[:3]}{card.last4}{card.country}",
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def payment_method(
    store: Store, livemode: bool, test_id: str, card: TestCard, customer_id: str | None
) -> dict[str, Any]:
    return {
        "id": store.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": _address(),
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": card_details(card),
        "created": store.now,
        "customer": customer_id,
        "customer_account": None,
        "livemode": livemode,
        "metadata": {},
        "type": "card",
        "_test_id": test_id,
    }


def payment_intent(store: Store, livemode: bool, params: dict[str, Any]) -> dict[str, Any]:
    pi_id = store.new_id("pi")
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": int(params["amount"]),
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pi_id}_secret_{store.new_id('s', 24)[2:]}",
        "confirmation_method": "automatic",
        "created": store.now,
        "currency": params["currency"],
        "customer": params.get("customer"),
        "customer_account": None,
        "description": params.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": livemode,
        "managed_payments": None,
        "metadata": params.get("metadata", {}),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(
    store: Store,
    livemode: bool,
    *,
    amount: int,
    currency: str,
    card: TestCard,
    payment_method_id: str,
    customer_id: str | None,
    payment_intent_id: str | None,
    description: str | None,
    metadata: dict[str, str],
) -> dict[str, Any]:
    charge_id = store.new_id("ch")
    details = card_details(card)
    details.update(
        {
            "amount_authorized": amount,
            "authorization_code": "123456",
            "extended_authorization": {"status": "disabled"},
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card.brand,
            "network_token": {"used": False},
            "network_transaction_id": "1041029786787710",
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "three_d_secure": None,
            "transaction_link_id": None,
        }
    )
    for key in ("display_brand", "generated_from", "networks", "three_d_secure_usage"):
        details.pop(key)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {
            "address": _address(),
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "TIEOUT EMULATOR",
        "captured": False,
        "created": store.now,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": livemode,
        "metadata": metadata,
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": False,
        "payment_intent": payment_intent_id,
        "payment_method": payment_method_id,
        "payment_method_details": {"card": details, "type": "card"},
        "presentment_details": None,
        "radar_options": {},
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id}",
        "refunded": False,
        "refunds": list_object(f"/v1/charges/{charge_id}/refunds", []),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "pending",
        "transfer_data": None,
        "transfer_group": None,
    }


def balance_transaction(
    store: Store,
    *,
    amount: int,
    currency: str,
    type_: str,
    reporting_category: str,
    source: str | None,
    description: str | None,
    fee_details: list[dict[str, Any]],
    available_on: int,
    exchange_rate: str | None = None,
) -> dict[str, Any]:
    fee = sum(detail["amount"] for detail in fee_details)
    return {
        "id": store.new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": store.now,
        "currency": currency,
        "description": description,
        "exchange_rate": exchange_rate,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "available" if available_on <= store.now else "pending",
        "type": type_,
        "_payout": None,
    }


def refund(
    store: Store, livemode: bool, charge: dict[str, Any], amount: int, params: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": store.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": store.now,
        "currency": charge["currency"],
        "customer": charge["customer"],
        "customer_account": None,
        "description": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
                "reference": None,
            },
            "type": "card",
        },
        "failure_balance_transaction": None,
        "failure_reason": None,
        "livemode": livemode,
        "metadata": params.get("metadata", {}),
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": params.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def dispute(
    store: Store, livemode: bool, charge: dict[str, Any], *, inquiry: bool, due_by: int
) -> dict[str, Any]:
    evidence: dict[str, Any] = dict.fromkeys(EVIDENCE_FIELDS)
    evidence["enhanced_evidence"] = {}
    card = charge["payment_method_details"]["card"]
    return {
        "id": store.new_id("dp"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": store.now,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": evidence,
        "evidence_details": {
            "due_by": due_by,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": livemode,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": card["brand"],
                "case_type": "inquiry" if inquiry else "chargeback",
                "network_reason_code": "10.4",
                "network": card["brand"],
            },
            "type": "card",
        },
        "reason": "general" if inquiry else "fraudulent",
        "status": "warning_needs_response" if inquiry else "needs_response",
    }


def payout(
    store: Store,
    livemode: bool,
    *,
    amount: int,
    currency: str,
    automatic: bool,
    destination: str,
    arrival_date: int,
    description: str | None,
    metadata: dict[str, str],
) -> dict[str, Any]:
    return {
        "id": store.new_id("po"),
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": automatic,
        "balance_transaction": None,
        "created": store.now,
        "currency": currency,
        "description": description or "STRIPE PAYOUT",
        "destination": destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": livemode,
        "metadata": metadata,
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "in_progress" if automatic else "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }


def topup(store: Store, livemode: bool, params: dict[str, Any], available: int) -> dict[str, Any]:
    return {
        "id": store.new_id("tu"),
        "object": "topup",
        "amount": int(params["amount"]),
        "balance_transaction": None,
        "created": store.now,
        "currency": params["currency"],
        "description": params.get("description"),
        "expected_availability_date": available,
        "failure_code": None,
        "failure_message": None,
        "initiated_by": None,
        "livemode": livemode,
        "metadata": params.get("metadata", {}),
        "source": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "status": "pending",
        "transfer_group": params.get("transfer_group"),
    }


def invoice(
    store: Store,
    livemode: bool,
    customer: dict[str, Any],
    params: dict[str, Any],
    account: dict[str, Any],
) -> dict[str, Any]:
    invoice_id = store.new_id("in")
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": account["country"],
        "account_name": account["business_profile"]["name"],
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": params.get("auto_advance") == "true",
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": params.get("collection_method", "charge_automatically"),
        "confirmation_secret": None,
        "created": store.now,
        "currency": params.get("currency", account["default_currency"]),
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": params.get("description"),
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(f"/v1/invoices/{invoice_id}/lines", []),
        "livemode": livemode,
        "metadata": params.get("metadata", {}),
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": store.now,
        "period_start": store.now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": None,
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": None,
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": store.now,
    }


def invoice_item(
    store: Store,
    livemode: bool,
    params: dict[str, Any],
    amount: int,
    quantity: int,
    currency: str,
    price_id: str | None,
) -> dict[str, Any]:
    return {
        "id": store.new_id("ii"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": currency,
        "customer": params["customer"],
        "customer_account": None,
        "date": store.now,
        "description": params.get("description"),
        "discountable": True,
        "discounts": [],
        "invoice": params.get("invoice"),
        "livemode": livemode,
        "metadata": params.get("metadata", {}),
        "net_amount": amount,
        "parent": None,
        "period": {"end": store.now, "start": store.now},
        "pricing": {
            "price_details": {"price": price_id, "product": None} if price_id else None,
            "type": "price_details",
            "unit_amount_decimal": str(amount // quantity),
        },
        "proration": False,
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": [],
        "test_clock": None,
    }


def line_item(
    store: Store, livemode: bool, item: dict[str, Any], invoice_id: str, taxes: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": store.new_id("il"),
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": livemode,
        "metadata": item["metadata"],
        "parent": {
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": item["period"],
        "pretax_credit_amounts": [],
        "pricing": item["pricing"],
        "quantity": item["quantity"],
        "quantity_decimal": item["quantity_decimal"],
        "subscription": None,
        "subtotal": item["amount"],
        "taxes": taxes,
    }


def invoice_payment(
    store: Store, livemode: bool, invoice: dict[str, Any], payment_intent_id: str
) -> dict[str, Any]:
    return {
        "id": store.new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": invoice["amount_due"],
        "amount_requested": invoice["amount_due"],
        "created": store.now,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": livemode,
        "payment": {"payment_intent": payment_intent_id, "type": "payment_intent"},
        "status": "paid",
        "status_transitions": {"canceled_at": None, "paid_at": store.now},
    }


def event(
    store: Store,
    livemode: bool,
    type_: str,
    obj: dict[str, Any],
    account: str | None,
    previous: dict[str, Any] | None,
    request: dict[str, Any],
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    evt: dict[str, Any] = {
        "id": store.new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": store.now,
        "data": data,
        "livemode": livemode,
        "pending_webhooks": 0,
        "request": request,
        "type": type_,
    }
    if account is not None:
        evt["account"] = account
        evt["context"] = account
    return evt


def webhook_endpoint(store: Store, livemode: bool, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": store.new_id("we"),
        "object": "webhook_endpoint",
        "api_version": params.get("api_version"),
        "application": None,
        "connect": params.get("connect") == "true",
        "created": store.now,
        "description": params.get("description"),
        "enabled_events": params["enabled_events"],
        "livemode": livemode,
        "metadata": params.get("metadata", {}),
        "secret": "whsec_" + store.new_id("x", 32)[2:],
        "status": "enabled",
        "url": params["url"],
    }


def balance(livemode: bool, available: dict[str, int], pending: dict[str, int]) -> dict[str, Any]:
    currencies = sorted(set(available) | set(pending))

    def entries(source: dict[str, int]) -> list[dict[str, Any]]:
        return [
            {"amount": source.get(c, 0), "currency": c, "source_types": {"card": source.get(c, 0)}}
            for c in currencies
        ]

    return {
        "object": "balance",
        "available": entries(available),
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "livemode": livemode,
        "pending": entries(pending),
        "refund_and_dispute_prefunding": None,
    }
