"""The only place that decides who may see or change what.

Every view (and later the API's permission classes) starts with one of these helpers. An
organisation the user does not belong to, or an object of another organisation, answers 404 —
the same answer as an id that does not exist, so ids leak nothing. A member whose role lacks
the permission gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from tenants.models import Invitation, Membership, Tenant
from tenants.roles import Perm


@dataclass(frozen=True)
class TenantAccess:
    tenant: Tenant
    membership: Membership

    def can(self, perm: Perm) -> bool:
        return self.membership.can(perm)

    @property
    def perms(self) -> frozenset[str]:
        """Permission names, for templates: `{% if "manage_members" in access.perms %}`."""
        return frozenset(str(perm) for perm in Perm if self.can(perm))


def get_tenant_for_user(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW) -> TenantAccess:
    """Return the user's access to the organisation `slug`: 404 if not a member, 403 if the
    member's role lacks `perm`."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("tenant").filter(tenant__slug=slug, user=user).first()
    )
    if membership is None:
        raise Http404
    if not membership.can(perm):
        raise PermissionDenied
    return TenantAccess(tenant=membership.tenant, membership=membership)


def get_membership_for_tenant(tenant: Tenant, membership_id: int) -> Membership:
    membership = (
        Membership.objects.for_tenant(tenant)
        .select_related("user")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def get_invitation_for_tenant(tenant: Tenant, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.for_tenant(tenant).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation
