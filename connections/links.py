"""Connect links: a client connects Stripe and QuickBooks without a dashboard account."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from connections.models import ConnectLink
from tenants.models import Tenant, hash_token

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

LINK_TTL = timedelta(days=14)


@dataclass(frozen=True)
class IssuedLink:
    link: ConnectLink
    url: str


def connect_link_create(*, tenant: Tenant, created_by: AbstractBaseUser) -> IssuedLink:
    token = secrets.token_urlsafe(32)
    link = ConnectLink.objects.create(
        tenant=tenant,
        token_hash=hash_token(token),
        created_by=created_by,
        expires_at=timezone.now() + LINK_TTL,
    )
    return IssuedLink(link=link, url=settings.SITE_URL + reverse("client_connect", args=[token]))


def connect_link_find(*, token: str) -> ConnectLink | None:
    link = ConnectLink.objects.select_related("tenant").filter(token_hash=hash_token(token)).first()
    return link if link and link.is_usable else None


def connect_link_revoke(*, link: ConnectLink) -> None:
    ConnectLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())


def connect_link_touch(*, link: ConnectLink) -> None:
    ConnectLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
