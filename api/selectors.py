"""Reads the API needs that the dashboard computes inside its page module.

The error inbox groups documents awaiting a decision by cause. The grouping rule is
`syncs.pages.cause_of` itself, and the key is computed the same way as the Attention page's,
so a key from the API and one from the dashboard name the same group.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from syncs import services as sync_services
from syncs.models import OutboxDocument
from syncs.pages import cause_of
from tenants.models import Tenant


@dataclass
class ErrorGroup:
    key: str
    cause: str
    status: str
    first_seen: datetime
    documents: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.documents)


def cause_key(cause: str) -> str:
    return hashlib.sha256(cause.encode()).hexdigest()[:16]


def error_groups(tenant: Tenant) -> list[ErrorGroup]:
    groups: dict[str, ErrorGroup] = {}
    rows = (
        OutboxDocument.objects.for_tenant(tenant)
        .filter(status__in=sync_services.AWAITING_DECISION)
        .order_by("created", "pk")
        .values_list("pk", "last_error", "status", "created")
    )
    for pk, last_error, status, created in rows:
        cause = cause_of(last_error or "No reason recorded.")
        group = groups.get(cause)
        if group is None:
            group = groups[cause] = ErrorGroup(cause_key(cause), cause, status, created)
        group.documents.append(pk)
    return sorted(groups.values(), key=lambda g: -g.count)


def error_group(tenant: Tenant, key: str) -> ErrorGroup | None:
    return next((g for g in error_groups(tenant) if g.key == key), None)
