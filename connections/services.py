"""Writes for connections: create from OAuth or a key, refresh, mark failed, disconnect."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.models import Connection, InboundEvent, Provider
from connections.providers.errors import AccessTokenExpired, AuthRevoked, ProviderError
from connections.providers.quickbooks import client as qbo_client
from connections.providers.quickbooks import types as qbo_types
from connections.providers.stripe import client as stripe_client
from tenants.models import Tenant
from tenants.services import email_admins_on_commit

if TYPE_CHECKING:
    import stripe
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    """What a provider hands back after a successful connect; secrets stay in memory only."""

    external_id: str
    display_name: str = ""
    livemode: bool = False
    access_token: str = ""
    refresh_token: str = ""
    api_key: str = ""
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def connection_save_credentials(
    *,
    tenant: Tenant,
    provider: Provider,
    method: Connection.Method,
    credentials: Credentials,
    connected_by: AbstractBaseUser | None,
) -> Connection:
    """Create the connection, or bring an existing one for the same account back to life.

    Reconnecting keeps the row (and so its history and webhook endpoint); an account that is
    already connected to another organisation is refused by the database constraint.
    """
    with transaction.atomic():
        connection = (
            Connection.objects.select_for_update()
            .filter(
                tenant=tenant,
                provider=provider,
                external_id=credentials.external_id,
                livemode=credentials.livemode,
            )
            .first()
        ) or Connection(
            tenant=tenant,
            provider=provider,
            external_id=credentials.external_id,
            livemode=credentials.livemode,
        )
        connection.method = method
        connection.display_name = credentials.display_name or connection.display_name
        connection.status = Connection.Status.CONNECTED
        connection.access_token = credentials.access_token
        connection.refresh_token = credentials.refresh_token
        connection.api_key = credentials.api_key
        connection.access_expires_at = credentials.access_expires_at
        connection.refresh_expires_at = credentials.refresh_expires_at
        connection.token_refreshed_at = timezone.now()
        connection.scope = credentials.scope
        connection.last_error = ""
        connection.disconnected_at = None
        connection.connected_by = connected_by  # type: ignore[assignment]
        connection.save()
    return connection


def connection_mark_needs_reconnect(*, connection: Connection, reason: str) -> None:
    """The provider refused our credential for good: pause syncs and tell the admins."""
    updated = (
        Connection.objects.filter(pk=connection.pk)
        .exclude(status=Connection.Status.DISCONNECTED)
        .update(status=Connection.Status.NEEDS_RECONNECT, last_error=reason)
    )
    if updated:
        _notify_admins(connection, subject="needs to be reconnected", body=reason)


def connection_mark_disconnected(*, connection: Connection, reason: str) -> None:
    updated = (
        Connection.objects.filter(pk=connection.pk)
        .exclude(status=Connection.Status.DISCONNECTED)
        .update(
            status=Connection.Status.DISCONNECTED,
            last_error=reason,
            disconnected_at=timezone.now(),
            access_token="",
            refresh_token="",
            api_key="",
        )
    )
    if updated:
        _notify_admins(connection, subject="was disconnected", body=reason)


def _notify_admins(connection: Connection, *, subject: str, body: str) -> None:
    name = (
        f"{connection.get_provider_display()} ({connection.display_name or connection.external_id})"
    )
    email_admins_on_commit(
        tenant_id=connection.tenant_id,
        subject=f"Tieout: {name} {subject}",
        message=f"{body}\n\nOpen Tieout to reconnect. Nothing already synced is lost.\n",
    )


def handle_stripe_account_events(event: InboundEvent) -> None:
    """Connection-level Stripe events: the account owner revoked our access."""
    if event.type != "account.application.deauthorized" or event.connection is None:
        return
    connection_mark_disconnected(
        connection=event.connection,
        reason=(
            f"The Stripe account {event.connection.display_name or event.account} removed "
            "Tieout's access. Syncing from it is paused; nothing already posted is affected. "
            "Connect it again to resume."
        ),
    )


# --- QuickBooks ------------------------------------------------------------------------

REFRESH_MARGIN = timedelta(minutes=5)


def quickbooks_connect_complete(
    *, tenant: Tenant, code: str, realm_id: str, connected_by: AbstractBaseUser | None
) -> Connection:
    tokens = qbo_client.exchange_code(code, realm_id)
    info = qbo_client.company_info(tokens.access_token, realm_id)
    connection = connection_save_credentials(
        tenant=tenant,
        provider=Provider.QUICKBOOKS,
        method=Connection.Method.INTUIT_OAUTH,
        credentials=Credentials(
            external_id=realm_id,
            display_name=info.company_name,
            livemode=settings.INTUIT_ENVIRONMENT == "production",
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            access_expires_at=tokens.access_expires_at,
            refresh_expires_at=tokens.refresh_expires_at,
            scope="com.intuit.quickbooks.accounting",
        ),
        connected_by=connected_by,
    )
    _save_company_facts(connection, qbo_client.preferences(tokens.access_token, realm_id), info)
    return connection


def _save_company_facts(
    connection: Connection, prefs: qbo_types.Preferences, info: qbo_types.CompanyInfo
) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        display_name=info.company_name or connection.display_name,
        home_currency=prefs.home_currency,
        multicurrency_enabled=prefs.multicurrency_enabled,
        custom_txn_numbers=prefs.custom_txn_numbers,
        books_closed_on=prefs.books_closed_on,
        company_info_refreshed_at=timezone.now(),
    )


def quickbooks_token_refresh(
    *, connection_id: int, failed_access_token: str = "", margin: timedelta = REFRESH_MARGIN
) -> Connection:
    """Refresh the QuickBooks access token once, however many workers ask at the same moment."""
    return _refresh_single_flight(
        connection_id=connection_id,
        failed_access_token=failed_access_token,
        margin=margin,
        exchange=lambda connection: qbo_client.refresh(connection.refresh_token),
        revoked_reason=_reconnect_reason,
    )


class _RotatedTokens(Protocol):
    access_token: str
    refresh_token: str
    access_expires_at: datetime


def _refresh_single_flight(
    *,
    connection_id: int,
    failed_access_token: str,
    margin: timedelta,
    exchange: Callable[[Connection], _RotatedTokens],
    revoked_reason: Callable[[Connection], str],
) -> Connection:
    """The row lock serialises refreshes per connection; whoever comes second finds a fresh
    token (or one that differs from the one that failed) and uses it. Refresh tokens rotate
    (Intuit, Stripe Apps), so the new pair is saved in the same transaction, before anyone
    uses it."""
    revoked: AuthRevoked | None = None
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        if connection.status != Connection.Status.CONNECTED:
            raise AuthRevoked(connection.last_error or "This connection is not connected.")
        still_fresh = not connection.access_expires_within(margin)
        if still_fresh and connection.access_token != failed_access_token:
            return connection
        try:
            tokens = exchange(connection)
        except AuthRevoked as error:
            revoked = error
        else:
            connection.access_token = tokens.access_token
            connection.refresh_token = tokens.refresh_token
            connection.access_expires_at = tokens.access_expires_at
            connection.refresh_expires_at = getattr(tokens, "refresh_expires_at", None)
            connection.token_refreshed_at = timezone.now()
            connection.save(
                update_fields=[
                    "access_token",
                    "refresh_token",
                    "access_expires_at",
                    "refresh_expires_at",
                    "token_refreshed_at",
                ]
            )
            return connection
    # Outside the transaction, so that the status change is not rolled back with it.
    connection_mark_needs_reconnect(connection=connection, reason=revoked_reason(connection))
    raise revoked


def _reconnect_reason(connection: Connection) -> str:
    return (
        f"QuickBooks disconnected Tieout from {connection.display_name or 'your company'} "
        "(the approval expired or was revoked). Syncing is paused; nothing is lost. "
        "Reconnect QuickBooks to resume."
    )


def quickbooks_call[T](*, connection_id: int, call: Callable[[str, str], T]) -> T:
    """Run `call(access_token, realm_id)`; on a refused token refresh once and retry once."""
    connection = Connection.objects.get(pk=connection_id)
    if connection.access_expires_within(REFRESH_MARGIN):
        connection = quickbooks_token_refresh(connection_id=connection_id)
    try:
        return call(connection.access_token, connection.external_id)
    except AccessTokenExpired:
        connection = quickbooks_token_refresh(
            connection_id=connection_id, failed_access_token=connection.access_token
        )
        return call(connection.access_token, connection.external_id)


def quickbooks_refresh_company_facts(*, connection_id: int) -> None:
    info = quickbooks_call(connection_id=connection_id, call=qbo_client.company_info)
    prefs = quickbooks_call(connection_id=connection_id, call=qbo_client.preferences)
    _save_company_facts(Connection.objects.get(pk=connection_id), prefs, info)


# --- Stripe ----------------------------------------------------------------------------


def stripe_connect_complete(
    *, tenant: Tenant, code: str, connected_by: AbstractBaseUser | None
) -> Connection:
    grant = stripe_client.connect_exchange_code(code)
    # API calls use the platform key with Stripe-Account (Stripe's advice), so no token is kept.
    name = stripe_client.account_display_name(
        stripe_client.client_for_key(settings.STRIPE_SECRET_KEY, account=grant.stripe_user_id)
    )
    return connection_save_credentials(
        tenant=tenant,
        provider=Provider.STRIPE,
        method=Connection.Method.STRIPE_CONNECT,
        credentials=Credentials(
            external_id=grant.stripe_user_id,
            display_name=name,
            livemode=grant.livemode,
            scope=grant.scope,
        ),
        connected_by=connected_by,
    )


def stripe_app_complete(
    *, tenant: Tenant, code: str, connected_by: AbstractBaseUser | None
) -> Connection:
    tokens = stripe_client.app_exchange_code(code)
    name = stripe_client.account_display_name(stripe_client.client_for_key(tokens.access_token))
    return connection_save_credentials(
        tenant=tenant,
        provider=Provider.STRIPE,
        method=Connection.Method.STRIPE_APP,
        credentials=Credentials(
            external_id=tokens.stripe_user_id,
            display_name=name,
            livemode=tokens.livemode,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            access_expires_at=tokens.access_expires_at,
            scope=tokens.scope,
        ),
        connected_by=connected_by,
    )


def stripe_app_token_refresh(
    *, connection_id: int, margin: timedelta = REFRESH_MARGIN
) -> Connection:
    """Stripe Apps rotate refresh tokens too: the same single-flight rule as QuickBooks."""
    return _refresh_single_flight(
        connection_id=connection_id,
        failed_access_token="",
        margin=margin,
        exchange=lambda connection: stripe_client.app_refresh(connection.refresh_token),
        revoked_reason=lambda connection: (
            "Stripe no longer accepts Tieout's access to "
            f"{connection.display_name or 'the account'}. Syncing is paused; nothing is lost. "
            "Reinstall the app from the Connections page."
        ),
    )


def stripe_key_connect(
    *, tenant: Tenant, api_key: str, connected_by: AbstractBaseUser | None
) -> Connection:
    check = stripe_client.check_restricted_key(api_key)
    return connection_save_credentials(
        tenant=tenant,
        provider=Provider.STRIPE,
        method=Connection.Method.STRIPE_KEY,
        credentials=Credentials(
            external_id=check.account_id,
            display_name=check.display_name,
            livemode=check.livemode,
            api_key=api_key,
        ),
        connected_by=connected_by,
    )


def connection_set_webhook_secret(*, connection: Connection, secret: str) -> None:
    connection.webhook_secret = secret
    connection.save(update_fields=["webhook_secret"])


def connection_disconnect(*, connection: Connection, by: AbstractBaseUser) -> str:
    """Revoke our access at the provider (best effort) and forget the credentials.

    Returns a note for the user when the provider could not be told.
    """
    note = ""
    try:
        if connection.method == Connection.Method.INTUIT_OAUTH and connection.refresh_token:
            qbo_client.revoke(connection.refresh_token)
        elif connection.method == Connection.Method.STRIPE_CONNECT:
            stripe_client.connect_deauthorize(connection.external_id)
    except ProviderError:
        note = (
            " We could not reach the provider to revoke our access; it ends on its own when "
            "unused, or you can remove Tieout from the app's settings."
        )
    connection_mark_disconnected(
        connection=connection, reason=f"Disconnected by {getattr(by, 'email', 'a user')}."
    )
    return note


def stripe_client_for(connection: Connection) -> stripe.StripeClient:
    """An API client acting for this connection's account, whatever way it was connected."""
    if connection.method == Connection.Method.STRIPE_CONNECT:
        return stripe_client.client_for_key(
            settings.STRIPE_SECRET_KEY, account=connection.external_id
        )
    if connection.method == Connection.Method.STRIPE_APP:
        connection = stripe_app_token_refresh(connection_id=connection.pk)
        return stripe_client.client_for_key(connection.access_token)
    return stripe_client.client_for_key(connection.api_key)
