from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from tenants.models import Membership


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The organisation switcher in the header lists the user's organisations."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"site_name": settings.SITE_NAME}
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("tenant")
        .order_by("tenant__name")
    )
    return {"site_name": settings.SITE_NAME, "nav_memberships": memberships}
