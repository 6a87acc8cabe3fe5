"""Post the outbox to QuickBooks exactly once per document.

One poster per QuickBooks company at a time (a lease row, taken with a conditional UPDATE).
Rows are claimed in batches of ≤ 30 and sent with a requestid derived from the batch's
members, so a re-sent batch replays QuickBooks' stored answer. No database transaction is open
while QuickBooks is called. An answer that never came leaves the rows `unknown`; they are
resolved by one DocNumber query per entity type — found means posted (after an amount
check), not found means planned again under the same requestid. Reads therefore happen only
on recovery, never before a create.
"""

from __future__ import annotations

import hashlib
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connections import services as connection_services
from connections.providers.errors import AuthRevoked, ProviderError, RateLimited
from connections.providers.quickbooks import client as qbo
from syncs import customers
from syncs.models import OutboxDocument, PostingLease
from syncs.planner import canonical_json
from syncs.throttle import Throttle

logger = logging.getLogger(__name__)

BATCH_SIZE = 30
LEASE_TTL = timedelta(minutes=5)
PAUSE_AFTER_429 = timedelta(seconds=60)
# QuickBooks' codes for "a document with this number exists" and "this name is taken"
# (quickbooks-api.md §5): both mean "maybe already ours" and lead to a lookup.
DUPLICATE_CODES = {"6140", "6240"}
# How a document is found again: transactions by DocNumber, list entities by their unique name.
IDENTITY_FIELD = {
    "Account": "Name",
    "Item": "Name",
    "Vendor": "DisplayName",
    "Customer": "DisplayName",
}
RETRYABLE_FAULTS = {"5010", "3001", "3200", "500", "10000"}
# "Object not found" (inactive) and "invalid reference" (missing): for a receipt naming a linked
# customer, often that customer deleted or made inactive in QuickBooks after we linked it (§7).
MISSING_REFERENCE_FAULTS = {"610", "2500"}

Status = OutboxDocument.Status


@dataclass
class PostReport:
    skipped: bool = False
    batches: int = 0
    posted: int = 0
    adopted: int = 0
    needs_action: int = 0
    retrying: int = 0
    unknown: int = 0
    reads: int = 0


# --- The lease ------------------------------------------------------------------------------


def lease_acquire(*, quickbooks_id: int, holder: str) -> bool:
    PostingLease.objects.get_or_create(quickbooks_id=quickbooks_id)
    now = timezone.now()
    taken = PostingLease.objects.filter(
        Q(expires_at__lte=now) | Q(holder=holder), quickbooks_id=quickbooks_id
    ).update(holder=holder, expires_at=now + LEASE_TTL)
    return taken == 1


def lease_release(*, quickbooks_id: int, holder: str) -> None:
    PostingLease.objects.filter(quickbooks_id=quickbooks_id, holder=holder).update(
        holder="", expires_at=timezone.now()
    )


# --- Posting --------------------------------------------------------------------------------


def outbox_post(
    *,
    quickbooks_id: int,
    holder: str | None = None,
    max_batches: int = 1000,
    throttle: Throttle | None = None,
    roles: tuple[str, ...] | None = None,
) -> PostReport:
    """Post what is due for one QuickBooks company; safe to call from any number of workers.

    `roles` limits posting to those outbox roles (the customers a planning pass needs first).
    """
    holder = holder or uuid.uuid4().hex
    report = PostReport()
    if not lease_acquire(quickbooks_id=quickbooks_id, holder=holder):
        report.skipped = True
        return report
    throttle = throttle or Throttle()
    try:
        if not _recover(quickbooks_id, report):
            return report  # QuickBooks could not be asked; the unknown rows wait for next time
        while report.batches < max_batches:
            rows = _claim_batch(quickbooks_id, roles)
            if not rows:
                break
            throttle.acquire(str(quickbooks_id), "batch")
            report.batches += 1
            if not _send(quickbooks_id, rows, report):
                break
            if not lease_acquire(quickbooks_id=quickbooks_id, holder=holder):
                break  # renewing failed: someone else took over after we overran the lease
    finally:
        lease_release(quickbooks_id=quickbooks_id, holder=holder)
    return report


def _due(quickbooks_id: int, roles: tuple[str, ...] | None = None) -> Any:
    due = OutboxDocument.objects.filter(
        quickbooks_id=quickbooks_id,
        status__in=[Status.PLANNED, Status.FAILED],
        next_attempt_at__lte=timezone.now(),
    )
    return due.filter(role__in=roles) if roles else due


def batch_request_id(rows: list[OutboxDocument]) -> str:
    """Deterministic from the members: the same batch re-sent replays QuickBooks' answer."""
    members = "|".join(sorted(row.request_id for row in rows))
    return "b" + hashlib.sha256(members.encode()).hexdigest()[:35]


def _claim_batch(quickbooks_id: int, roles: tuple[str, ...] | None = None) -> list[OutboxDocument]:
    with transaction.atomic():
        rows = list(_due(quickbooks_id, roles).order_by("created", "pk")[:BATCH_SIZE])
        if not rows:
            return []
        batch_id = batch_request_id(rows)
        OutboxDocument.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=Status.SENDING, batch_id=batch_id, sent_at=timezone.now()
        )
    for row in rows:
        row.batch_id = batch_id
    return rows


def _send(quickbooks_id: int, rows: list[OutboxDocument], report: PostReport) -> bool:
    """Send one batch; return False when posting should stop for now."""
    items = [
        qbo.BatchCreate(bid=str(index), entity=row.entity, body=row.body)
        for index, row in enumerate(rows)
    ]
    try:
        results = connection_services.quickbooks_call(
            connection_id=quickbooks_id,
            call=lambda token, realm: qbo.batch(
                token, realm, request_id=rows[0].batch_id, items=items
            ),
        )
    except RateLimited:
        _pause_company(quickbooks_id, rows)
        return False
    except AuthRevoked:
        _replan(rows, delay=timedelta(0), error="Waiting for QuickBooks to be reconnected.")
        return False
    except ProviderError as error:
        if error.permanent:
            _needs_action(rows, f"QuickBooks refused the whole batch: {error}")
            report.needs_action += len(rows)
            return True
        # No answer (timeout, 5xx, dropped connection): QuickBooks may have posted them.
        _mark(rows, Status.UNKNOWN, error=str(error))
        report.unknown += len(rows)
        return _recover(quickbooks_id, report)
    _apply_results(quickbooks_id, rows, results, report)
    return True


def _apply_results(
    quickbooks_id: int,
    rows: list[OutboxDocument],
    results: list[qbo.BatchItemResult],
    report: PostReport,
) -> None:
    by_bid = {result.bid: result for result in results}
    duplicates: list[OutboxDocument] = []
    missing_refs: list[tuple[OutboxDocument, qbo.BatchItemResult]] = []
    # One commit for the batch's answers, not one per document. Only database writes happen
    # inside; the follow-up lookups below talk to QuickBooks outside any transaction. A crash
    # before the commit leaves the rows `sending`, which recovery resolves by DocNumber.
    with transaction.atomic():
        _record_results(rows, by_bid, report, duplicates, missing_refs)
    if duplicates:
        _adopt(quickbooks_id, duplicates, report)
    if missing_refs:
        _check_customers(quickbooks_id, missing_refs, report)


def _record_results(
    rows: list[OutboxDocument],
    by_bid: dict[str, qbo.BatchItemResult],
    report: PostReport,
    duplicates: list[OutboxDocument],
    missing_refs: list[tuple[OutboxDocument, qbo.BatchItemResult]],
) -> None:
    for index, row in enumerate(rows):
        result = by_bid.get(str(index))
        if result is None:
            _mark([row], Status.UNKNOWN, error="QuickBooks did not answer for this document.")
            report.unknown += 1
        elif result.entity is not None:
            _posted(row, str(result.entity.get("Id", "")))
            report.posted += 1
        elif result.fault_code in DUPLICATE_CODES:
            duplicates.append(row)
        elif result.fault_code in RETRYABLE_FAULTS:
            _replan([row], delay=_backoff(row.attempts), error=result.fault_message)
            report.retrying += 1
        elif result.fault_code in MISSING_REFERENCE_FAULTS and _customer_of(row):
            missing_refs.append((row, result))
        else:
            _needs_action([row], _explain_fault(row, result))
            report.needs_action += 1


# --- Recovery by DocNumber ----------------------------------------------------------------


def _recover(quickbooks_id: int, report: PostReport) -> bool:
    """Resolve rows whose outcome we do not know (a crash mid-send, or no answer).

    Returns False when QuickBooks could not be asked: the rows stay `unknown` for next time.
    """
    stuck = list(
        OutboxDocument.objects.filter(
            quickbooks_id=quickbooks_id, status__in=[Status.SENDING, Status.UNKNOWN]
        )
    )
    if not stuck:
        return True
    try:
        found = _lookup(quickbooks_id, stuck, report)
    except ProviderError as error:
        _mark(stuck, Status.UNKNOWN, error=f"Checking QuickBooks failed: {error}")
        return False
    for row in stuck:
        _resolve(row, found.get((row.entity, row.doc_number)), report, replan_missing=True)
    return True


def _adopt(quickbooks_id: int, rows: list[OutboxDocument], report: PostReport) -> None:
    """QuickBooks says the number exists: it is ours if the amount matches (accounting.md §6)."""
    try:
        found = _lookup(quickbooks_id, rows, report)
    except ProviderError as error:
        _mark(rows, Status.UNKNOWN, error=f"Checking QuickBooks failed: {error}")
        return
    for row in rows:
        _resolve(row, found.get((row.entity, identity(row))), report, replan_missing=False)


def identity(row: OutboxDocument) -> str:
    field = IDENTITY_FIELD.get(row.entity, "DocNumber")
    return str(row.payload.get(field, "")) if field != "DocNumber" else row.doc_number


def _lookup(
    quickbooks_id: int, rows: list[OutboxDocument], report: PostReport
) -> dict[tuple[str, str], dict[str, Any]]:
    """One query per entity type and 30 identities: what QuickBooks already has of these."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entity in sorted({row.entity for row in rows}):
        field = IDENTITY_FIELD.get(entity, "DocNumber")
        values = sorted({identity(row) for row in rows if row.entity == entity})
        for start in range(0, len(values), BATCH_SIZE):
            chunk = ", ".join(qbo.quoted(v) for v in values[start : start + BATCH_SIZE])
            statement = f"SELECT * FROM {entity} WHERE {field} IN ({chunk})"  # noqa: S608
            report.reads += 1
            for document in connection_services.quickbooks_call(
                connection_id=quickbooks_id,
                call=lambda token, realm, s=statement: qbo.query(token, realm, s),
            ):
                found[(entity, str(document.get(field, "")))] = document
    return found


def _resolve(
    row: OutboxDocument,
    document: dict[str, Any] | None,
    report: PostReport,
    *,
    replan_missing: bool,
) -> None:
    if document is None:
        if replan_missing:
            # Not there: send again under the same requestid (never a new one), at once the
            # first time, then backing off.
            delay = timedelta(0) if row.attempts == 0 else _backoff(row.attempts)
            _replan([row], delay=delay, error="")
            report.retrying += 1
        elif row.role == customers.ROLE:
            _rename(row, report)  # the name belongs to a vendor or an employee
        else:
            _needs_action([row], "QuickBooks reports this number as taken but it cannot be found.")
            report.needs_action += 1
    elif _same(row, document):
        _posted(row, str(document.get("Id", "")))
        report.adopted += 1
    elif row.role == customers.ROLE:
        # A namesake that is not the customer we create: after a lost answer our create did not
        # happen (send it again); after "name taken", try the next name.
        if replan_missing:
            _resolve(row, None, report, replan_missing=True)
        else:
            _rename(row, report)
    else:
        _needs_action([row], _clash(row, document))
        report.needs_action += 1


def _same(row: OutboxDocument, document: dict[str, Any]) -> bool:
    """Is the document QuickBooks has the one we meant? Same amount, or same account type;
    a customer we create must carry our tag."""
    if row.role == customers.ROLE:
        return customers.is_ours(row, document)
    if row.entity in IDENTITY_FIELD:
        return all(document.get(k) == v for k, v in row.payload.items() if k == "AccountType")
    return _total(document) == _expected_total(row)


def _clash(row: OutboxDocument, document: dict[str, Any]) -> str:
    if row.entity in IDENTITY_FIELD:
        return (
            f"QuickBooks already has a {row.entity} named {identity(row)!r} of another kind "
            f"(id {document.get('Id')}). Rename one of them, or choose it on the mappings page."
        )
    return (
        f"QuickBooks already has a {row.entity} numbered {row.doc_number} (id "
        f"{document.get('Id')}) for {_total(document)}, not {_expected_total(row)}. We did "
        "not create a second one. Check that document, then retry or ignore this one."
    )


def _total(document: dict[str, Any]) -> Decimal:
    return Decimal(str(document.get("TotalAmt", document.get("Amount", "0"))))


def _expected_total(row: OutboxDocument) -> Decimal:
    return _total(row.payload)


# --- Customers --------------------------------------------------------------------------


def _rename(row: OutboxDocument, report: PostReport) -> None:
    """Our customer's name is taken: plan the create again under the next candidate name."""
    name = customers.next_display_name(row)
    if name is None:
        _needs_action(
            [row],
            f"QuickBooks already has a customer, vendor or employee named "
            f"{identity(row)!r} and every other name we could give this customer is taken too. "
            "Rename one of them in QuickBooks, then retry.",
        )
        report.needs_action += 1
        return
    body = row.payload
    body["DisplayName"] = name
    OutboxDocument.objects.filter(pk=row.pk).update(
        body=canonical_json(body),
        request_id=customers.create_request_id(row, name),
        status=Status.PLANNED,
        attempts=row.attempts + 1,
        next_attempt_at=timezone.now(),
        last_error="",
    )
    report.retrying += 1


def _customer_of(row: OutboxDocument) -> str:
    if row.role not in ("sale", "refund"):
        return ""
    return str((row.payload.get("CustomerRef") or {}).get("value") or "")


def _check_customers(
    quickbooks_id: int,
    refused: list[tuple[OutboxDocument, qbo.BatchItemResult]],
    report: PostReport,
) -> None:
    """Receipts refused for a missing reference: is it their customer (deleted or inactive in
    QuickBooks after we linked it)? One query for the lot; this is recovery, not steady state."""
    ids = sorted({_customer_of(row) for row, _ in refused})
    chunk = ", ".join(qbo.quoted(i) for i in ids)
    statement = f"SELECT * FROM Customer WHERE Id IN ({chunk})"  # noqa: S608
    report.reads += 1
    try:
        found = connection_services.quickbooks_call(
            connection_id=quickbooks_id,
            call=lambda token, realm: qbo.query(token, realm, statement),
        )
    except ProviderError:
        found = [{"Id": i} for i in ids]  # cannot tell: explain the refusal as it came
    alive = {str(c.get("Id")) for c in found if c.get("Active") is not False}
    gone: dict[str, bool] = {}
    for row, result in refused:
        customer = _customer_of(row)
        if customer in alive:
            _needs_action([row], _explain_fault(row, result))
        else:
            if customer not in gone:
                gone[customer] = customers.customer_gone(
                    quickbooks_id=quickbooks_id, qbo_id=customer
                )
            if gone[customer] or row.rematch:  # rematch: retried by hand before the next plan
                OutboxDocument.objects.filter(pk=row.pk).update(
                    status=Status.NEEDS_ACTION, rematch=True, last_error=customers.GONE_MESSAGE
                )
            else:
                _needs_action(
                    [row],
                    f"The QuickBooks customer {customer} of this {row.entity} is deleted or "
                    "inactive. Make it active again in QuickBooks (or choose another customer on "
                    "the mappings page), then retry.",
                )
        report.needs_action += 1


# --- Row transitions ----------------------------------------------------------------------


def _posted(row: OutboxDocument, qbo_id: str) -> None:
    OutboxDocument.objects.filter(pk=row.pk).update(
        status=Status.POSTED, qbo_id=qbo_id, posted_at=timezone.now(), last_error=""
    )


def _mark(rows: list[OutboxDocument], status: str, *, error: str) -> None:
    OutboxDocument.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=status, last_error=error
    )


def _backoff(attempts: int) -> timedelta:
    # Exponential with full jitter, capped at an hour.
    ceiling = min(3600.0, 10.0 * 2**attempts)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311


def _replan(rows: list[OutboxDocument], *, delay: timedelta, error: str) -> None:
    for row in rows:
        OutboxDocument.objects.filter(pk=row.pk).update(
            status=Status.FAILED if error else Status.PLANNED,
            attempts=row.attempts + 1,
            next_attempt_at=timezone.now() + delay,
            last_error=error,
        )


def _pause_company(quickbooks_id: int, rows: list[OutboxDocument]) -> None:
    # After a 429 QuickBooks asks for 60 s of silence from the whole company.
    _replan(rows, delay=PAUSE_AFTER_429, error="QuickBooks asked us to slow down; retrying.")
    resume = timezone.now() + PAUSE_AFTER_429
    _due(quickbooks_id).update(next_attempt_at=resume)


def _needs_action(rows: list[OutboxDocument], message: str) -> None:
    _mark(rows, Status.NEEDS_ACTION, error=message)


def _explain_fault(row: OutboxDocument, result: qbo.BatchItemResult) -> str:
    detail = result.fault_detail or result.fault_message or "no detail given"
    return (
        f"QuickBooks refused {row.entity} {row.doc_number} (code {result.fault_code}): {detail}. "
        "Fix the cause (often a mapping or a closed period), then retry."
    )
