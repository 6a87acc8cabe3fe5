"""Writes for API keys and partners, and the few API-only writes the dashboard does inline.

Keys are 40 random base62 characters (≈238 bits) behind a type prefix: `tk_org_…` for an
organisation, `tk_ptr_…` for a partner. Only a SHA-256 is stored (docs/decisions.md).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import ApiKey, Partner
from connections.models import Connection, Provider
from mappings.models import SyncProfile
from tenants import services as tenant_services
from tenants.models import Membership, Tenant, hash_token
from tenants.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

PREFIXES = {ApiKey.Kind.ORGANISATION: "tk_org_", ApiKey.Kind.PARTNER: "tk_ptr_"}
_ALPHABET = string.ascii_letters + string.digits
_SECRET_LENGTH = 40
_VISIBLE = 8  # random characters kept in the visible prefix
# last_used_at is informational: one write a minute per key is enough.
TOUCH_EVERY = timedelta(minutes=1)


class ApiKeyError(Exception):
    """The key cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str  # shown once, never stored


def _new_token(kind: ApiKey.Kind) -> str:
    return PREFIXES[kind] + "".join(secrets.choice(_ALPHABET) for _ in range(_SECRET_LENGTH))


def _issue(key: ApiKey, token: str | None = None) -> IssuedKey:
    token = token or _new_token(ApiKey.Kind(key.kind))
    key.token_hash = hash_token(token)
    key.prefix = token[: len(PREFIXES[ApiKey.Kind(key.kind)]) + _VISIBLE]
    key.save()
    return IssuedKey(key=key, token=token)


def api_key_create(
    *,
    tenant: Tenant,
    name: str,
    access: ApiKey.Access,
    created_by: AbstractBaseUser | None,
    token: str | None = None,
) -> IssuedKey:
    """An organisation key. `token` is only for the demo seed (a known key on a local machine)."""
    key = ApiKey(
        kind=ApiKey.Kind.ORGANISATION,
        tenant=tenant,
        name=name.strip(),
        access=access,
        created_by=created_by,
    )
    return _issue(key, token)


def partner_key_create(
    *, partner: Partner, name: str, access: ApiKey.Access, created_by: AbstractBaseUser | None
) -> IssuedKey:
    key = ApiKey(
        kind=ApiKey.Kind.PARTNER,
        partner=partner,
        name=name.strip(),
        access=access,
        created_by=created_by,
    )
    return _issue(key)


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_key_find(*, token: str) -> ApiKey | None:
    """The active key for `token`, or None (unknown and revoked keys look the same)."""
    if not token.startswith(tuple(PREFIXES.values())) or len(token) > 100:
        return None
    return (
        ApiKey.objects.active()
        .select_related("tenant", "partner")
        .filter(token_hash=hash_token(token))
        .first()
    )


def api_key_touch(*, key: ApiKey) -> None:
    """Stamp last_used_at, at most once a minute (a conditional UPDATE, no read-modify-write)."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < TOUCH_EVERY:
        return
    ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gt=now - TOUCH_EVERY).update(
        last_used_at=now
    )


class PartnerError(Exception):
    """The partner cannot be changed as asked; the message says why."""


def partner_create(*, name: str, owner: AbstractBaseUser) -> Partner:
    """A partner owned by `owner` (any signed-in user may make one: docs/decisions.md)."""
    name = name.strip()
    if not name:
        raise PartnerError("Give the partner a name.")
    return Partner.objects.create(name=name, owner=owner)


def partner_rename(*, partner: Partner, name: str) -> None:
    name = name.strip()
    if not name:
        raise PartnerError("Give the partner a name.")
    Partner.objects.filter(pk=partner.pk).update(name=name)
    partner.name = name


def partner_delete(*, partner: Partner) -> None:
    """Delete the partner with its keys (they stop working at once). The organisations it
    managed stay as they are, with their owners, teams and own keys."""
    partner.delete()


def partner_manage(*, partner: Partner, tenant: Tenant, by: AbstractBaseUser) -> None:
    """Let `partner` manage `tenant`. Only an owner of the organisation may consent to that."""
    if not Membership.objects.filter(tenant=tenant, user=by, role=Role.OWNER).exists():
        raise PartnerError(f"Only an owner of {tenant.name} can let a partner manage it.")
    if partner.tenants.filter(pk=tenant.pk).exists():
        raise PartnerError(f"{partner.name} already manages {tenant.name}.")
    partner.tenants.add(tenant)


def partner_unmanage(*, partner: Partner, tenant: Tenant) -> None:
    """Stop `partner` managing `tenant`: its partner keys no longer reach it. Nothing else
    changes (the organisation, its members and its own keys stay)."""
    partner.tenants.remove(tenant)


def partner_remove_from_tenant(*, partner: Partner, tenant: Tenant, by: AbstractBaseUser) -> None:
    """An owner of `tenant` withdraws the consent an owner gave (`partner_manage`): the
    partner's keys stop reaching the organisation. Any owner may, not only the partner's."""
    if not Membership.objects.filter(tenant=tenant, user=by, role=Role.OWNER).exists():
        raise PartnerError(f"Only an owner of {tenant.name} can remove a partner from it.")
    partner_unmanage(partner=partner, tenant=tenant)


def partner_tenant_create(*, partner: Partner, name: str) -> Tenant:
    """A new organisation owned by the partner's owner and managed by the partner."""
    with transaction.atomic():
        tenant = tenant_services.tenant_create(name=name, owner=partner.owner)
        partner.tenants.add(tenant)
    return tenant


# --- Mappings: the dashboard does these two inline in syncs/pages.py ---------------------


class ProfileError(Exception):
    """The mapping cannot be created or changed as asked; the message says why."""


def profile_create(*, tenant: Tenant, stripe: Connection, quickbooks: Connection) -> SyncProfile:
    if stripe.tenant_id != tenant.pk or quickbooks.tenant_id != tenant.pk:
        raise ProfileError("Both connections must belong to this organisation.")
    if stripe.provider != Provider.STRIPE or quickbooks.provider != Provider.QUICKBOOKS:
        raise ProfileError("Link a Stripe account to a QuickBooks company.")
    if stripe.syncs_paused or quickbooks.syncs_paused:
        raise ProfileError("Both connections must be connected.")
    try:
        with transaction.atomic():
            return SyncProfile.objects.create(tenant=tenant, stripe=stripe, quickbooks=quickbooks)
    except IntegrityError:
        raise ProfileError("This Stripe account already posts into a company.") from None


# The customer policy has its own service (mappings.services.set_customer_policy).
PROFILE_FIELDS = ("schedule", "scan_every_minutes", "batch_time", "batch_weekday", "closed_period")


def profile_update(*, profile: SyncProfile, changes: dict[str, Any]) -> None:
    fields = {name: value for name, value in changes.items() if name in PROFILE_FIELDS}
    if fields:
        SyncProfile.objects.filter(pk=profile.pk).update(**fields)
        for name, value in fields.items():
            setattr(profile, name, value)
