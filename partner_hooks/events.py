"""The `data` of each event type, built from the engine's rows.

Money is integer minor units with its ISO currency; ids are ours (run, document, tie-out) and
the Stripe or QuickBooks ids they concern. Nothing secret, nothing a partner could not see on
the organisation's pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from syncs.models import OutboxDocument, Reconciliation, SyncRun


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def dashboard_url(name: str, slug: str, *args: object) -> str:
    """The absolute address of an organisation's page, for event bodies and emails."""
    return settings.SITE_URL + reverse(name, args=[slug, *args])


def sync_finished(run: SyncRun) -> dict[str, Any]:
    return {
        "run": {
            "id": run.pk,
            "kind": run.kind,
            "trigger": run.trigger,
            "status": run.status,
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "transactions_seen": run.transactions_seen,
            "transactions_new": run.transactions_new,
            "documents_planned": run.documents_planned,
            "documents_posted": run.documents_posted,
            "documents_waiting": run.documents_waiting,
            "documents_needing_action": run.documents_needing_action,
            "problems": run.problems,
            "error": run.error,
            "url": dashboard_url("syncs:run_detail", run.tenant.slug, run.pk),
        },
        "stripe_account": run.connection.external_id,
    }


def error_raised(document: OutboxDocument) -> dict[str, Any]:
    txn = document.balance_transaction
    return {
        "document": {
            "id": document.pk,
            "entity": document.entity,
            "doc_number": document.doc_number,
            "amount": document.amount,
            "currency": document.currency,
            "status": document.status,
            "message": document.last_error,
            "stripe_balance_transaction": txn.stripe_id if txn else None,
            "url": dashboard_url("syncs:document_detail", document.tenant.slug, document.pk),
        },
        "quickbooks_company": document.quickbooks.external_id,
    }


def tie_out_broken(row: Reconciliation) -> dict[str, Any]:
    return {
        "tie_out": {
            "id": row.pk,
            "kind": row.kind,
            "subject": row.subject,
            "currency": row.currency,
            "stripe_amount": row.stripe_amount,
            "quickbooks_amount": row.quickbooks_amount,
            "difference": row.difference,
            "explanation": row.explanation,
            "checked_at": _iso(row.checked_at),
            "url": dashboard_url("syncs:tie_out", row.tenant.slug),
        },
        "stripe_account": row.stripe.external_id,
    }
