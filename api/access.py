"""Who may see or change what through the API, built on tenants.access.

A session user goes through `get_tenant_for_user` exactly like a dashboard page. A key reaches
only its own organisation (organisation key) or the organisations its partner manages
(partner key); any other slug is 404, like an id that does not exist. A read key holds only
`Perm.VIEW`, so every write answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request

from api.models import ApiKey
from tenants.access import get_tenant_for_user
from tenants.models import Tenant
from tenants.roles import Perm

# Keys never manage owners or mint keys: those stay with a person in the dashboard.
KEY_PERMS: dict[str, frozenset[Perm]] = {
    ApiKey.Access.READ: frozenset({Perm.VIEW}),
    ApiKey.Access.READ_WRITE: frozenset(set(Perm) - {Perm.MANAGE_OWNERS, Perm.MANAGE_API_KEYS}),
}


@dataclass(frozen=True)
class ApiAccess:
    tenant: Tenant
    perms: frozenset[Perm]
    # The person acting, for "created by"/"invited by"; None for a key.
    user: User | None

    def can(self, perm: Perm) -> bool:
        return perm in self.perms


def api_key_of(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def tenants_for(request: Request) -> QuerySet[Tenant]:
    """The organisations this caller may address (a Tenant queryset)."""
    key = api_key_of(request)
    if key is None:
        return Tenant.objects.for_user(request.user)
    if key.kind == ApiKey.Kind.ORGANISATION:
        return Tenant.objects.filter(pk=key.tenant_id)
    return Tenant.objects.filter(partners=key.partner_id)


def get_tenant_for_api(request: Request, slug: str, perm: Perm = Perm.VIEW) -> ApiAccess:
    key = api_key_of(request)
    if key is None:
        access = get_tenant_for_user(request, slug, perm)
        perms = frozenset(p for p in Perm if access.can(p))
        return ApiAccess(tenant=access.tenant, perms=perms, user=request.user)
    tenant = tenants_for(request).filter(slug=slug).first()
    if tenant is None:
        raise NotFound
    perms = KEY_PERMS[key.access]
    if perm not in perms:
        raise PermissionDenied(
            "This API key is read-only."
            if key.access == ApiKey.Access.READ
            else "API keys cannot do this; ask an owner in the dashboard."
        )
    return ApiAccess(tenant=tenant, perms=perms, user=None)
