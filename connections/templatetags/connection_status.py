"""Connection status for pages outside connections/ (organisation home, All clients, banner).

A template tag keeps the layering: tenants' templates can show connection state without the
tenants app importing connections.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from connections.models import Connection
from tenants.models import Tenant

register = template.Library()


@dataclass(frozen=True)
class Summary:
    state: str  # "connected", "needs_reconnect", "disconnected" or "none"
    label: str
    names: list[str]
    test_mode: bool


_LABELS = {
    "connected": "Connected",
    "needs_reconnect": "Needs reconnect",
    "disconnected": "Disconnected",
    "none": "Not connected",
}


@register.simple_tag
def connection_summary(tenant: Tenant, provider: str) -> Summary:
    rows = list(Connection.objects.for_tenant(tenant).filter(provider=provider))
    active = [c for c in rows if c.status != Connection.Status.DISCONNECTED]
    if any(c.needs_reconnect for c in active):
        state = "needs_reconnect"
    elif active:
        state = "connected"
    elif rows:
        state = "disconnected"
    else:
        state = "none"
    shown = active or rows
    return Summary(
        state=state,
        label=_LABELS[state],
        names=[c.display_name or c.external_id for c in shown],
        test_mode=any(not c.livemode for c in active),
    )


@register.simple_tag
def connection_alerts(tenant: Tenant) -> list[Connection]:
    return list(
        Connection.objects.for_tenant(tenant).filter(status=Connection.Status.NEEDS_RECONNECT)
    )
