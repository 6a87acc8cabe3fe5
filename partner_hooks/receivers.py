"""Signal receivers: the sync engine's announcements become webhook events.

They run inside the engine's transaction; `event_emit` writes the event and its deliveries
there and rings the workers only after commit. Each fact has a dedupe key, so a step that
runs twice announces once.
"""

from __future__ import annotations

from typing import Any

from partner_hooks import events, services
from partner_hooks.models import EventType
from syncs import signals
from syncs.models import OutboxDocument, Reconciliation, SyncRun


def on_sync_finished(sender: Any, *, run_id: int, **kwargs: Any) -> None:
    run = SyncRun.objects.select_related("tenant", "connection").get(pk=run_id)
    services.event_emit(
        tenant_id=run.tenant_id,
        type=EventType.SYNC_FINISHED,
        data=events.sync_finished(run),
        dedupe_key=f"sync.finished:{run.pk}",
    )


def on_problem_raised(sender: Any, *, document_ids: list[int], **kwargs: Any) -> None:
    documents = OutboxDocument.objects.filter(pk__in=document_ids).select_related(
        "tenant", "quickbooks", "balance_transaction"
    )
    tenants = {d.tenant_id for d in documents}
    wanted = {t for t in tenants if services.endpoints_wanting(tenant_id=t, type="error.raised")}
    for document in (d for d in documents if d.tenant_id in wanted):
        # One announcement per attempt that ended needing a person (sent_at marks the attempt).
        stamp = document.sent_at.isoformat() if document.sent_at else "-"
        services.event_emit(
            tenant_id=document.tenant_id,
            type=EventType.ERROR_RAISED,
            data=events.error_raised(document),
            dedupe_key=f"error.raised:{document.pk}:{stamp}",
        )


def on_tie_out_broken(sender: Any, *, reconciliation_id: int, **kwargs: Any) -> None:
    row = Reconciliation.objects.select_related("tenant", "stripe").get(pk=reconciliation_id)
    services.event_emit(
        tenant_id=row.tenant_id,
        type=EventType.TIE_OUT_BROKEN,
        data=events.tie_out_broken(row),
        dedupe_key=f"tie_out.broken:{row.pk}:{row.checked_at.isoformat()}",
    )


def connect() -> None:
    signals.sync_finished.connect(on_sync_finished, dispatch_uid="partner_hooks.sync_finished")
    signals.problem_raised.connect(on_problem_raised, dispatch_uid="partner_hooks.problem")
    signals.tie_out_broken.connect(on_tie_out_broken, dispatch_uid="partner_hooks.tie_out")
