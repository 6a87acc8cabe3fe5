"""Stripe: OAuth (Connect and Stripe Apps), restricted-key checks and account reads.

One function per endpoint, each returning a typed value; every error is classified here.
Base URLs come from settings, so the same code talks to Stripe or to emulators/stripe.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import stripe
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from stripe.oauth_error import OAuthError

from connections.providers.errors import AuthRevoked, MissingPermissions, ProviderError
from connections.providers.stripe.types import (
    AppTokens,
    ConnectGrant,
    KeyCheck,
    StripeBalanceTransaction,
    StripePayout,
)

APP_ACCESS_TOKEN_LIFETIME = timedelta(hours=1)

# What a restricted key must be allowed to read, in the words of Stripe's key editor.
REQUIRED_READS: list[tuple[str, str]] = [
    ("balance", "Balance — Read"),
    ("balance_transactions", "Balance transaction sources — Read"),
    ("charges", "Charges and refunds — Read"),
    ("disputes", "Disputes — Read"),
    ("payouts", "Payouts — Read"),
    ("customers", "Customers — Read"),
    ("events", "Events — Read"),
]


def flow_missing_settings(flow: str) -> list[str]:
    """The settings a connect flow needs that this server lacks (empty when it can run)."""
    needed = {
        "connect": ["STRIPE_SECRET_KEY", "STRIPE_CONNECT_CLIENT_ID"],
        "app": ["STRIPE_APP_CLIENT_ID", "STRIPE_APP_CLIENT_SECRET"],
        "key": [],
    }[flow]
    return [name for name in needed if not getattr(settings, name)]


def require_flow(flow: str) -> None:
    missing = flow_missing_settings(flow)
    if missing:
        raise ProviderError(
            "This Tieout server is not set up for that way of connecting Stripe yet (an "
            f"administrator must set {', '.join(missing)}).",
            permanent=True,
        )


def _base_addresses() -> dict[str, str]:
    return {"api": settings.STRIPE_API_BASE, "connect": settings.STRIPE_CONNECT_BASE}


def client_for_key(key: str, *, account: str | None = None) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        stripe_account=account,
        base_addresses=_base_addresses(),  # type: ignore[arg-type]
        max_network_retries=2,
    )


def platform_client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        client_id=settings.STRIPE_CONNECT_CLIENT_ID,
        base_addresses=_base_addresses(),  # type: ignore[arg-type]
        max_network_retries=2,
    )


def redirect_uri() -> str:
    return settings.SITE_URL + reverse("connections:stripe_callback")


def _classify(error: stripe.StripeError) -> ProviderError:
    if isinstance(error, OAuthError):
        return AuthRevoked(
            "Stripe did not accept the approval. Start the connection again.", code=error.code or ""
        )
    if isinstance(error, stripe.AuthenticationError):
        return AuthRevoked("Stripe no longer accepts this credential.", code="authentication")
    if isinstance(error, stripe.RateLimitError | stripe.APIConnectionError):
        return ProviderError("Stripe is busy or unreachable; we'll try again.", permanent=False)
    if isinstance(error, stripe.APIError):
        return ProviderError("Stripe had a temporary problem.", permanent=False)
    return ProviderError(
        f"Stripe refused the request: {error.user_message or 'invalid request'}.", permanent=True
    )


# --- Connect OAuth --------------------------------------------------------------------


def connect_authorize_url(state: str) -> str:
    # Reference: https://docs.stripe.com/connect/oauth-reference#get-authorize
    require_flow("connect")
    return platform_client().oauth.authorize_url(
        {
            "response_type": "code",
            "scope": "read_write",
            "redirect_uri": redirect_uri(),
            "state": state,
            "stripe_landing": "login",
        }
    )


def connect_exchange_code(code: str) -> ConnectGrant:
    # Reference: https://docs.stripe.com/connect/oauth-reference#post-token
    try:
        token = platform_client().oauth.token({"grant_type": "authorization_code", "code": code})
    except stripe.StripeError as error:
        raise _classify(error) from None
    return ConnectGrant(
        stripe_user_id=token.stripe_user_id, livemode=bool(token.livemode), scope=token.scope or ""
    )


def connect_deauthorize(account_id: str) -> None:
    # Reference: https://docs.stripe.com/connect/oauth-reference#post-deauthorize
    try:
        platform_client().oauth.deauthorize({"stripe_user_id": account_id})
    except stripe.StripeError as error:
        raise _classify(error) from None


# --- Stripe Apps OAuth ------------------------------------------------------------------


def app_authorize_url(state: str) -> str:
    # Reference: https://docs.stripe.com/stripe-apps/api-authentication/oauth
    require_flow("app")
    query = urlencode(
        {"client_id": settings.STRIPE_APP_CLIENT_ID, "redirect_uri": redirect_uri(), "state": state}
    )
    return f"{settings.STRIPE_APP_AUTHORIZE_URL}?{query}"


def _app_token(**params: str) -> AppTokens:
    # Reference: https://docs.stripe.com/stripe-apps/api-authentication/oauth#refresh-access-token
    # The app publisher's own secret key authenticates the exchange; Stripe rotates the refresh
    # token on every use, so the caller stores the new one before using the access token.
    developer = client_for_key(settings.STRIPE_APP_CLIENT_SECRET)
    try:
        response = developer.raw_request("post", "/v1/oauth/token", **params)
        token: Any = developer.deserialize(response, api_mode="V1")
    except stripe.StripeError as error:
        raise _classify(error) from None
    return AppTokens(
        stripe_user_id=token.stripe_user_id,
        livemode=bool(token.livemode),
        access_token=token.access_token,
        refresh_token=token.refresh_token,
        access_expires_at=timezone.now() + APP_ACCESS_TOKEN_LIFETIME,
        scope=getattr(token, "scope", "") or "",
    )


def app_exchange_code(code: str) -> AppTokens:
    return _app_token(grant_type="authorization_code", code=code)


def app_refresh(refresh_token: str) -> AppTokens:
    return _app_token(grant_type="refresh_token", refresh_token=refresh_token)


# --- Account reads ---------------------------------------------------------------------


def account_display_name(client: stripe.StripeClient) -> str:
    # Reference: https://docs.stripe.com/api/accounts/retrieve
    try:
        account = client.v1.accounts.retrieve_current()
    except stripe.StripeError:
        return ""
    profile = account.business_profile
    settings_ = account.settings
    return (
        (profile.name if profile and profile.name else "")
        or (settings_.dashboard.display_name if settings_ and settings_.dashboard else "")
        or (account.email or "")
    )


def _readable(client: stripe.StripeClient, resource: str) -> bool:
    service = getattr(client.v1, resource)
    try:
        if resource == "balance":
            service.retrieve()
        else:
            service.list({"limit": 1})
    except stripe.PermissionError:
        return False
    return True


def check_restricted_key(key: str) -> KeyCheck:
    """Validate a pasted key with read calls; list what it may not read, in Stripe's words."""
    if not key.startswith(("rk_live_", "rk_test_")):
        raise ProviderError(
            "Paste a restricted key (it starts with rk_live_ or rk_test_). Secret keys give "
            "full access to the account; Tieout only needs to read.",
            permanent=True,
        )
    client = client_for_key(key)
    try:
        missing = [label for resource, label in REQUIRED_READS if not _readable(client, resource)]
        account = client.v1.accounts.retrieve_current()
    except stripe.PermissionError:
        raise MissingPermissions(
            "The key cannot read its own account details (Account — Read).",
            missing=["Account — Read"],
        ) from None
    except stripe.StripeError as error:
        raise _classify(error) from None
    if missing:
        raise MissingPermissions(
            "This key is missing read access to: " + ", ".join(missing) + ". Edit the key in "
            "Stripe (Developers → API keys) to allow these, then paste it again.",
            missing=missing,
        )
    return KeyCheck(
        account_id=account.id,
        display_name=account_display_name(client),
        livemode=key.startswith("rk_live_"),
        missing=[],
    )


# --- Ledger reads -------------------------------------------------------------------------


def _id_of(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value.get("id")) if isinstance(value, dict) else None


def _balance_transaction(data: dict[str, Any]) -> StripeBalanceTransaction:
    source = data.get("source")
    expanded = source if isinstance(source, dict) else None
    return StripeBalanceTransaction(
        **{
            k: data[k] for k in StripeBalanceTransaction.model_fields if k in data and k != "source"
        },
        source_id=_id_of(source) or "",
        source_type=str(expanded.get("object", "")) if expanded else "",
        source=expanded,
        raw=data,
    )


def list_balance_transactions(
    client: stripe.StripeClient, *, created_gte: int, created_lt: int
) -> Iterator[StripeBalanceTransaction]:
    """Every balance transaction created in [gte, lt), sources expanded, oldest page first.

    Reference: https://docs.stripe.com/api/balance_transactions/list
    """
    params: dict[str, Any] = {
        "created": {"gte": created_gte, "lt": created_lt},
        "limit": 100,
        "expand": ["data.source"],
    }
    try:
        for item in client.v1.balance_transactions.list(params).auto_paging_iter():
            yield _balance_transaction(item.to_dict(for_json=False))
    except stripe.StripeError as error:
        raise _classify(error) from None


def invoice_payment_of(
    client: stripe.StripeClient, payment_intent_id: str
) -> dict[str, Any] | None:
    """The paid InvoicePayment of a payment intent, its `invoice` expanded (lines included, first
    page; `invoice.customer` expanded too), or None when the payment paid no invoice. One read.

    Since API 2025-03-31.basil a charge and a payment intent no longer name their invoice; the
    link is an InvoicePayment (docs/stripe-api.md §4.5). A key that may not read invoices gets
    MissingPermissions.

    Reference: https://docs.stripe.com/api/invoice-payment/list
    """
    params: dict[str, Any] = {
        "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
        "limit": 10,
        # The invoice, and its customer, so customer matching needs no read of its own.
        "expand": ["data.invoice.customer"],
    }
    try:
        page = client.v1.invoice_payments.list(params)
    except stripe.PermissionError:
        raise MissingPermissions(
            "This key cannot read invoices (Invoices — Read).", missing=["Invoices — Read"]
        ) from None
    except stripe.StripeError as error:
        raise _classify(error) from None
    for item in page.data:
        payment = item.to_dict(for_json=True)  # decimal strings stay strings (JSON rows)
        if payment.get("status") == "paid" and isinstance(payment.get("invoice"), dict):
            return payment
    return None


def payout_balance_transaction_ids(client: stripe.StripeClient, payout_id: str) -> list[str]:
    """The balance transactions an automatic payout paid out (Stripe answers only for those).

    Reference: https://docs.stripe.com/api/balance_transactions/list#balance_transaction_list-payout
    """
    try:
        page = client.v1.balance_transactions.list({"payout": payout_id, "limit": 100})
        return [item.id for item in page.auto_paging_iter()]
    except stripe.StripeError as error:
        raise _classify(error) from None


def payout_from(data: dict[str, Any]) -> StripePayout:
    return StripePayout(
        **{k: data[k] for k in StripePayout.model_fields if k in data and k not in ("raw",)}
        | {
            "balance_transaction": _id_of(data.get("balance_transaction")),
            "failure_balance_transaction": _id_of(data.get("failure_balance_transaction")),
        },
        raw=data,
    )


def paid_payout_ids(client: stripe.StripeClient) -> set[str]:
    """Payouts that reached `paid` (from the last 30 days of events): a payout that failed
    after it was paid must be reversed in QuickBooks, one that failed before must not.

    Reference: https://docs.stripe.com/api/events/list
    """
    try:
        events = client.v1.events.list({"type": "payout.paid", "limit": 100})
        return {event.data.object["id"] for event in events.auto_paging_iter()}
    except stripe.StripeError as error:
        raise _classify(error) from None


def balance_totals(client: stripe.StripeClient) -> dict[str, int]:
    """Available + pending per currency, minor units.

    Reference: https://docs.stripe.com/api/balance/balance_retrieve
    """
    try:
        balance = client.v1.balance.retrieve()
    except stripe.StripeError as error:
        raise _classify(error) from None
    totals: dict[str, int] = {}
    for part in [*balance.available, *balance.pending]:
        totals[part.currency] = totals.get(part.currency, 0) + part.amount
    return totals
