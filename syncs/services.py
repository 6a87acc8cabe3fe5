"""Writes for sync runs: request, claim, execute a backfill."""

from __future__ import annotations

import logging
import zoneinfo
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from connections import services as connection_services
from connections.models import Connection, InboundEvent, Provider
from connections.providers.errors import ProviderError
from connections.providers.stripe import client as stripe_client
from mappings.models import SyncProfile
from mappings.selectors import MappingsIncomplete
from syncs import ingest, plan, poster, reconcile, signals
from syncs.models import OutboxDocument, Payout, SyncRun

logger = logging.getLogger(__name__)

# Backfills walk the range in windows so that progress is visible and a retry resumes.
BACKFILL_WINDOW = timedelta(days=1)


class SyncRequestError(Exception):
    """The sync cannot start; the message says why in the user's words."""


def sync_run_request(
    *,
    connection: Connection,
    kind: SyncRun.Kind,
    trigger: SyncRun.Trigger,
    start: datetime | None = None,
    end: datetime | None = None,
) -> SyncRun:
    if connection.provider != Provider.STRIPE or connection.syncs_paused:
        raise SyncRequestError("Syncing needs a connected Stripe account.")
    if start and end and start >= end:
        raise SyncRequestError("The start date must be before the end date.")
    run = SyncRun.objects.create(
        tenant_id=connection.tenant_id,
        connection=connection,
        kind=kind,
        trigger=trigger,
        range_start=start,
        range_end=end,
    )
    from syncs import tasks

    transaction.on_commit(lambda: tasks.run_sync.delay(run.pk))
    return run


# run_sync's hard time limit is 30 minutes: a run "running" for longer has no live worker
# (it was killed mid-run) and may be claimed again; it resumes at its cursor.
RUN_ABANDONED_AFTER = timedelta(minutes=31)


def sync_run_claim(*, run_id: int) -> bool:
    # Several workers may receive the same id; the conditional UPDATE lets exactly one win.
    abandoned = Q(
        status=SyncRun.Status.RUNNING, started_at__lt=timezone.now() - RUN_ABANDONED_AFTER
    )
    updated = SyncRun.objects.filter(Q(status=SyncRun.Status.QUEUED) | abandoned, id=run_id).update(
        status=SyncRun.Status.RUNNING, started_at=timezone.now()
    )
    return updated == 1


def sync_runs_resume_abandoned() -> list[int]:
    """Queue again every run whose worker died mid-run (else it would stay "running" for
    ever, and block the account's safety-net scans); returns their ids."""
    cutoff = timezone.now() - RUN_ABANDONED_AFTER
    ids = list(
        SyncRun.objects.filter(status=SyncRun.Status.RUNNING, started_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    if ids:
        SyncRun.objects.filter(
            pk__in=ids, status=SyncRun.Status.RUNNING, started_at__lt=cutoff
        ).update(status=SyncRun.Status.QUEUED)
        from syncs import tasks

        for run_id in ids:
            transaction.on_commit(lambda run_id=run_id: tasks.run_sync.delay(run_id))
    return ids


def _windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    windows = []
    cursor = start
    while cursor < end:
        windows.append((cursor, min(cursor + BACKFILL_WINDOW, end)))
        cursor += BACKFILL_WINDOW
    return windows


def sync_run_execute(*, run_id: int) -> None:
    run = SyncRun.objects.select_related("connection").get(pk=run_id)
    try:
        _backfill(run)
        _post_and_tie_out(run)
    except ProviderError as error:
        with transaction.atomic():
            SyncRun.objects.filter(pk=run.pk).update(
                status=SyncRun.Status.FAILED, error=str(error), finished_at=timezone.now()
            )
            signals.sync_finished.send(sender=SyncRun, run_id=run.pk)
        return
    with transaction.atomic():
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now()
        )
        signals.sync_finished.send(sender=SyncRun, run_id=run.pk)


def _backfill(run: SyncRun) -> None:
    connection = run.connection
    client = connection_services.stripe_client_for(connection)
    end = run.range_end or timezone.now()
    start = run.cursor or run.range_start or end - timedelta(days=30)
    windows = _windows(start, end)
    SyncRun.objects.filter(pk=run.pk).update(progress_total=F("progress_done") + len(windows))
    for window_start, window_end in windows:
        result = ingest.ledger_upsert(
            connection=connection,
            transactions=stripe_client.list_balance_transactions(
                client,
                created_gte=int(window_start.timestamp()),
                created_lt=int(window_end.timestamp()),
            ),
            client=client,
        )
        # The cursor makes a retried run resume at the first window not yet done.
        SyncRun.objects.filter(pk=run.pk).update(
            cursor=window_end,
            progress_done=F("progress_done") + 1,
            transactions_seen=F("transactions_seen") + result.seen,
            transactions_new=F("transactions_new") + result.new,
        )
    failed = Payout.objects.filter(connection=connection, status="failed", was_paid=False)
    if failed.exists():
        failed.filter(stripe_id__in=stripe_client.paid_payout_ids(client)).update(was_paid=True)
    linked = sum(
        ingest.payout_link_transactions(connection=connection, client=client, payout=payout)
        for payout in Payout.objects.filter(
            connection=connection, automatic=True, status="paid", linked_at__isnull=True
        )
    )
    SyncRun.objects.filter(pk=run.pk).update(payouts_linked=F("payouts_linked") + linked)


def sync_run_fail(*, run_id: int, error: BaseException) -> None:
    with transaction.atomic():
        SyncRun.objects.filter(pk=run_id).update(
            status=SyncRun.Status.FAILED,
            error=f"Unexpected error ({type(error).__name__}); the team has been told.",
            finished_at=timezone.now(),
        )
        signals.sync_finished.send(sender=SyncRun, run_id=run_id)


def _post_and_tie_out(run: SyncRun) -> None:
    """With a QuickBooks company set up for this Stripe account: plan, post, tie out."""
    profile = (
        SyncProfile.objects.filter(stripe=run.connection)
        .select_related("quickbooks", "tenant", "stripe")
        .first()
    )
    if profile is None or profile.quickbooks.syncs_paused:
        return
    try:
        planned = plan.outbox_plan(profile=profile)
    except MappingsIncomplete as error:
        SyncRun.objects.filter(pk=run.pk).update(error=str(error))
        return
    report = outbox_post(quickbooks_id=profile.quickbooks_id)
    reconcile.tie_out(profile=profile)
    SyncRun.objects.filter(pk=run.pk).update(
        documents_planned=planned.planned,
        documents_posted=report.posted + report.adopted,
        documents_waiting=len(planned.waiting),
        documents_needing_action=len(planned.needs_action) + report.needs_action,
        problems=_summarise(planned.needs_action),
    )


def outbox_post(*, quickbooks_id: int) -> poster.PostReport:
    """Post what is due, then announce the documents this step left needing a person: the ones
    it claimed (sent_at) or recovered (left sending/unknown by an earlier worker). The poster
    itself stays unaware of listeners."""
    started = timezone.now()
    stuck = OutboxDocument.objects.filter(
        quickbooks_id=quickbooks_id,
        status__in=[OutboxDocument.Status.SENDING, OutboxDocument.Status.UNKNOWN],
    )
    recovering = list(stuck.values_list("pk", flat=True))
    report = poster.outbox_post(quickbooks_id=quickbooks_id)
    if report.needs_action:
        refused = OutboxDocument.objects.filter(
            Q(sent_at__gte=started) | Q(pk__in=recovering),
            quickbooks_id=quickbooks_id,
            status=OutboxDocument.Status.NEEDS_ACTION,
        )
        with transaction.atomic():
            ids = list(refused.values_list("pk", flat=True))
            signals.problem_raised.send(sender=OutboxDocument, document_ids=ids)
    return report


def _summarise(problems: list[str], limit: int = 20) -> list[str]:
    """Group identical reasons ("settled in EUR; …") and keep the first few."""
    counts: dict[str, int] = {}
    for problem in problems:
        reason = problem.split(": ", 1)[-1]
        counts[reason] = counts.get(reason, 0) + 1
    return [f"{n} × {reason}" if n > 1 else reason for reason, n in list(counts.items())[:limit]]


# Webhooks can be lost for days; the scan re-reads a window that overlaps the previous one.
SAFETY_NET_LOOKBACK = timedelta(days=3)


def companies_with_work() -> list[int]:
    """QuickBooks connections with documents due, or left sending/unknown by a dead worker."""
    now = timezone.now()
    due = OutboxDocument.objects.filter(
        Q(
            status__in=[OutboxDocument.Status.PLANNED, OutboxDocument.Status.FAILED],
            next_attempt_at__lte=now,
        )
        | Q(status__in=[OutboxDocument.Status.SENDING, OutboxDocument.Status.UNKNOWN]),
        quickbooks__status=Connection.Status.CONNECTED,
    )
    return sorted(set(due.values_list("quickbooks_id", flat=True)))


def scans_due(*, now: datetime | None = None) -> list[SyncProfile]:
    """Profiles whose schedule says "read Stripe now": a real-time profile's safety-net scan
    every N minutes, or a batch profile's daily or weekly run at its time and zone."""
    now = now or timezone.now()
    due = []
    for profile in SyncProfile.objects.select_related("stripe", "tenant").filter(
        stripe__status=Connection.Status.CONNECTED
    ):
        last = (
            SyncRun.objects.filter(
                connection=profile.stripe, kind__in=[SyncRun.Kind.SCAN, SyncRun.Kind.BACKFILL]
            )
            .order_by("-created")
            .values_list("created", flat=True)
            .first()
        )
        if _is_due(profile, last, now):
            due.append(profile)
    return due


def _is_due(profile: SyncProfile, last: datetime | None, now: datetime) -> bool:
    if profile.schedule == SyncProfile.Schedule.REAL_TIME:
        return last is None or now - last >= timedelta(minutes=profile.scan_every_minutes)
    local = now.astimezone(zoneinfo.ZoneInfo(profile.tenant.time_zone))
    slot = local.replace(
        hour=profile.batch_time.hour, minute=profile.batch_time.minute, second=0, microsecond=0
    )
    if profile.schedule == SyncProfile.Schedule.WEEKLY:
        slot -= timedelta(days=(local.weekday() - profile.batch_weekday) % 7)
    if slot > local:
        slot -= timedelta(days=7 if profile.schedule == SyncProfile.Schedule.WEEKLY else 1)
    return last is None or last < slot


def safety_net_scans_request(*, now: datetime | None = None) -> list[int]:
    """One scan for every profile that is due and has no sync queued or running."""
    end = now or timezone.now()
    busy = set(
        SyncRun.objects.filter(
            status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING]
        ).values_list("connection_id", flat=True)
    )
    runs = []
    for profile in scans_due(now=end):
        if profile.stripe_id in busy:
            continue
        lookback = SAFETY_NET_LOOKBACK
        if profile.schedule == SyncProfile.Schedule.WEEKLY:
            lookback = timedelta(days=8)  # a week plus overlap
        run = sync_run_request(
            connection=profile.stripe,
            kind=SyncRun.Kind.SCAN,
            trigger=SyncRun.Trigger.SCHEDULE,
            start=end - lookback,
            end=end,
        )
        runs.append(run.pk)
    return runs


# Events that mean "balance transactions may have changed"; the figures are re-read from Stripe.
LEDGER_EVENT_PREFIXES = ("charge.", "payout.", "balance.", "topup.", "refund.", "application_fee.")


def handle_stripe_event(event: InboundEvent) -> None:
    """Inbox handler: a Stripe event rings for a short re-read of that account's ledger.

    Several events in a burst share one queued run; the figures always come from Stripe's API,
    never from the event payload (events arrive late, twice and out of order).
    """
    connection = event.connection
    if connection is None or not event.type.startswith(LEDGER_EVENT_PREFIXES):
        return
    if connection.syncs_paused:
        return
    profile = SyncProfile.objects.filter(stripe=connection).first()
    if profile is not None and profile.schedule != SyncProfile.Schedule.REAL_TIME:
        return  # batch schedules read Stripe at their own time
    queued = SyncRun.objects.filter(
        connection=connection, kind=SyncRun.Kind.WEBHOOK, status=SyncRun.Status.QUEUED
    )
    if queued.exists():
        return
    created = event.payload.get("created")
    start = (
        datetime.fromtimestamp(int(created), tz=UTC) - timedelta(days=1)
        if isinstance(created, int)
        else timezone.now() - timedelta(days=1)
    )
    sync_run_request(
        connection=connection,
        kind=SyncRun.Kind.WEBHOOK,
        trigger=SyncRun.Trigger.WEBHOOK,
        start=start,
        end=timezone.now() + timedelta(minutes=1),
    )


# Documents a person may send again: refused, failing, or ignored earlier.
AWAITING_DECISION = [OutboxDocument.Status.NEEDS_ACTION, OutboxDocument.Status.FAILED]


def outbox_retry(*, documents: QuerySet[OutboxDocument], include_ignored: bool = False) -> int:
    """Plan documents again, under their own numbers and request ids; returns how many."""
    statuses = [*AWAITING_DECISION, *([OutboxDocument.Status.IGNORED] if include_ignored else [])]
    return documents.filter(status__in=statuses).update(
        status=OutboxDocument.Status.PLANNED, next_attempt_at=timezone.now(), last_error=""
    )


def outbox_ignore(*, documents: QuerySet[OutboxDocument], reason: str, by: str) -> int:
    """Never post these documents (only ones awaiting a decision); returns how many."""
    return documents.filter(status__in=AWAITING_DECISION).update(
        status=OutboxDocument.Status.IGNORED, last_error=f"Ignored by {by}: {reason}"
    )
