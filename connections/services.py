"""Writes for connections: create from OAuth or a key, refresh, mark failed, disconnect."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from connections.models import Connection, InboundEvent, Provider
from tenants.models import Membership, Tenant
from tenants.roles import Role

if TYPE_CHECKING:
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
    admins = Membership.objects.filter(
        tenant_id=connection.tenant_id, role__in=[Role.OWNER, Role.ADMIN]
    ).values_list("user__email", flat=True)
    recipients = [email for email in admins if email]
    if not recipients:
        return
    name = (
        f"{connection.get_provider_display()} ({connection.display_name or connection.external_id})"
    )
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Tieout: {name} {subject}",
            message=f"{body}\n\nOpen Tieout to reconnect. Nothing already synced is lost.\n",
            from_email=None,
            recipient_list=recipients,
        )
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
