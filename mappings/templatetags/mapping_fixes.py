"""`{% fix_link tenant stripe_connection_id message as fix %}`: the setting that fixes a problem
shown on a page (the run page's problems), as {"label", "url"}, or None."""

from __future__ import annotations

from django import template

from mappings import fixes
from mappings.models import SyncProfile
from tenants.models import Tenant

register = template.Library()


@register.simple_tag
def fix_link(
    tenant: Tenant, stripe_connection_id: int | None, message: str
) -> dict[str, str] | None:
    fix = fixes.fix_for(message)
    if fix is None:
        return None
    profile_id = (
        SyncProfile.objects.for_tenant(tenant)
        .filter(stripe_id=stripe_connection_id)
        .values_list("pk", flat=True)
        .first()
    )
    return {"label": fix.label, "url": fixes.fix_url(fix, slug=tenant.slug, profile_id=profile_id)}
