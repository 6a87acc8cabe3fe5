"""Sync state for pages outside syncs/ (organisation home, All clients)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from syncs.models import OutboxDocument, Reconciliation, SyncRun
from syncs.money import Money
from tenants.models import Tenant

register = template.Library()


@dataclass(frozen=True)
class SyncSummary:
    last_run: SyncRun | None
    needs_action: int
    waiting: int
    tie_out: str  # "ok", "off" or "unknown"
    differences: list[Reconciliation]


@register.simple_tag
def sync_summary(tenant: Tenant) -> SyncSummary:
    documents = OutboxDocument.objects.for_tenant(tenant).exclude(role="setup")
    checks = list(Reconciliation.objects.for_tenant(tenant))
    off = [r for r in checks if not r.ok]
    return SyncSummary(
        last_run=SyncRun.objects.for_tenant(tenant).order_by("-created").first(),
        needs_action=documents.filter(status=OutboxDocument.Status.NEEDS_ACTION).count(),
        waiting=documents.filter(
            status__in=[OutboxDocument.Status.PLANNED, OutboxDocument.Status.FAILED]
        ).count(),
        tie_out="unknown" if not checks else ("off" if off else "ok"),
        differences=off,
    )


@register.filter
def money(amount: int, currency: str) -> str:
    """Minor units as an amount with its currency: 12345, "usd" → "123.45 USD"."""
    if amount is None or not currency:
        return ""
    return str(Money(int(amount), currency.lower()))


@register.filter
def words(key: str) -> str:
    """ "guest_customer" → "Guest customer"."""
    text = str(key).replace("_", " ")
    return text[:1].upper() + text[1:]
