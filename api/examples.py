"""Example objects for the OpenAPI document (realistic, consistent with each other)."""

from __future__ import annotations

from typing import Any

WHEN = "2026-11-05T14:03:27Z"
SLUG = "4f9c2a17be"


def page(*results: Any) -> dict[str, Any]:
    return {"next": None, "previous": None, "results": list(results)}


ORGANISATION = {
    "slug": SLUG,
    "name": "Northwind Coffee Roasters",
    "time_zone": "America/New_York",
    "locale": "en-US",
    "created": WHEN,
}
MEMBER = {"id": 12, "email": "ada@northwind.test", "role": "accountant", "joined": WHEN}
INVITATION = {
    "id": 7,
    "email": "grace@northwind.test",
    "role": "viewer",
    "status": "pending",
    "created": WHEN,
    "sent_at": WHEN,
    "expires_at": "2026-11-12T14:03:27Z",
}
CONNECTION = {
    "id": 3,
    "provider": "stripe",
    "method": "stripe_connect",
    "external_id": "acct_1Nv0FGQ9RKHgCVdK",
    "display_name": "Northwind Coffee",
    "livemode": False,
    "status": "connected",
    "last_error": "",
    "home_currency": "",
    "created": WHEN,
    "disconnected_at": None,
}
CONNECT_LINK = {
    "id": 5,
    "created": WHEN,
    "expires_at": "2026-11-19T14:03:27Z",
    "last_used_at": None,
    "revoked_at": None,
    "usable": True,
}
ISSUED_CONNECT_LINK = {**CONNECT_LINK, "url": "https://app.tieout.test/connect/Qm9vdF9...c2lnbg/"}
REF = {
    "purpose": "clearing",
    "currency": "usd",
    "entity": "Account",
    "qbo_id": "92",
    "qbo_name": "Stripe Clearing (USD)",
}
MAPPING = {
    "id": 2,
    "stripe_connection": 3,
    "quickbooks_connection": 4,
    "schedule": "real_time",
    "scan_every_minutes": 30,
    "batch_time": "06:00",
    "batch_weekday": 0,
    "closed_period": "first_open_date",
    "customer_policy": "single",
    "created": WHEN,
    "refs": [REF],
    "product_items": [
        {
            "product_id": "prod_NffrFeUfNV2Hib",
            "product_name": "Espresso beans 1 kg",
            "qbo_id": "31",
            "qbo_name": "Espresso beans",
        }
    ],
}
AUTOSETUP = {
    "created": ["Stripe Clearing (USD)", "Stripe Fees"],
    "reused": ["Undeposited Funds"],
    "problems": [],
    "mapping": MAPPING,
}
SYNC_RUN = {
    "id": 41,
    "connection": 3,
    "kind": "backfill",
    "trigger": "api",
    "status": "running",
    "range_start": "2026-10-01T04:00:00Z",
    "range_end": "2026-11-05T05:00:00Z",
    "progress": {"done": 12, "total": 35, "percent": 34},
    "transactions_seen": 418,
    "transactions_new": 418,
    "payouts_linked": 9,
    "documents_planned": 0,
    "documents_posted": 0,
    "documents_waiting": 0,
    "documents_needing_action": 0,
    "problems": [],
    "error": "",
    "created": WHEN,
    "started_at": WHEN,
    "finished_at": None,
}
LINEAGE = {
    "balance_transaction": "txn_3Nv0FGQ9RKHgCVdK0aB1cD2e",
    "type": "charge",
    "source": "ch_3Nv0FGQ9RKHgCVdK0xY9zW8v",
    "source_type": "charge",
    "payout": "po_1Nv0FGQ9RKHgCVdKq1R2s3T4",
    "net": {"amount": 4681, "currency": "usd"},
}
DOCUMENT = {
    "id": 311,
    "type": "SalesReceipt",
    "role": "sale",
    "doc_number": "S-3NV0FGQ9RK",
    "status": "posted",
    "amount": {"amount": 5000, "currency": "usd"},
    "quickbooks_connection": 4,
    "qbo_id": "1487",
    "stripe": LINEAGE,
    "attempts": 1,
    "last_error": "",
    "created": WHEN,
    "sent_at": WHEN,
    "posted_at": WHEN,
}
DOCUMENT_DETAIL = {
    **DOCUMENT,
    "related_documents": [312],
    "quickbooks_body": '{"DocNumber":"S-3NV0FGQ9RK","Line":[...]}',
}
ERROR_GROUP = {
    "key": "8c1f0e4b2a9d7c35",
    "cause": "QuickBooks refused it: the account … is inactive.",
    "status": "needs_action",
    "count": 3,
    "documents": [318, 319, 322],
    "first_seen": WHEN,
}
TIE_OUT = {
    "id": 9,
    "kind": "payout",
    "subject": "po_1Nv0FGQ9RKHgCVdKq1R2s3T4",
    "stripe_connection": 3,
    "stripe_amount": {"amount": 128450, "currency": "usd"},
    "quickbooks_amount": {"amount": 128450, "currency": "usd"},
    "difference": {"amount": 0, "currency": "usd"},
    "ok": True,
    "explanation": "",
    "checked_at": WHEN,
}
WEBHOOK_ENDPOINT = {
    "id": 4,
    "url": "https://hooks.platform.test/tieout",
    "description": "Platform notifications",
    "event_types": ["sync.finished", "error.raised"],
    "active": True,
    "created": WHEN,
    "secret_rolled_at": None,
}
ISSUED_WEBHOOK_ENDPOINT = {**WEBHOOK_ENDPOINT, "secret": "whsec_5c0f…e91a"}
DELIVERY = {
    "id": 77,
    "endpoint": 4,
    "event": {"id": "evt_8e1f6c2a90b3d4e5f6a7b8c9", "type": "sync.finished", "created": WHEN},
    "state": "succeeded",
    "attempts": 1,
    "next_attempt_at": WHEN,
    "last_status": 200,
    "last_error": "",
    "last_duration_ms": 84,
    "last_attempt_at": WHEN,
    "delivered_at": WHEN,
    "created": WHEN,
}
