"""Exactly once under every fault at once, with real Celery workers.

One seeded run per seed combines what other tests prove one at a time:

- QuickBooks (emulators/quickbooks) answers 5xx, 429, times out and loses answers after
  committing, on a schedule drawn from the seed;
- Stripe (emulators/stripe) delivers signed webhook events through our real endpoint (a live
  server), each one twice and in reverse order, on top of a backfill of a seeded history;
- a real worker process is SIGKILLed while QuickBooks holds one of its batches (the lease is
  left held, the batch's rows are left `sending`; per seed QuickBooks commits that batch or not),
  and a second worker, the beat sweepers and lease expiry (fast-forwarded) recover.

Once the system has settled: every document of every Stripe balance transaction is in the
QuickBooks emulator exactly once (counted by DocNumber), none is missing, no outbox row is left
`sending`/`unknown`, and the tie-out holds for every clearing account and every paid payout.

Run other seeds with TIEOUT_FAULT_SEEDS=1,2,3 (the seed is in the test id and in the failure).
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from werkzeug.wrappers import Response

from connections.models import InboundEvent
from connections.services import connection_set_webhook_secret
from connections.tasks import sweep_inbox
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.quickbooks.throttle import Limits
from emulators.stripe import store as stripe_store
from emulators.stripe import testing as stripe_testing
from mappings.models import SyncProfile
from syncs import plan, reconcile, services
from syncs.models import BalanceTransaction, OutboxDocument, PostingLease, Reconciliation, SyncRun
from syncs.tasks import schedule_safety_net_scans, sweep_outbox
from tests.conftest import World
from tests.syncs.test_real_worker import Workers, _profile, _worker_env, company_documents

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SQLITE_OPTIONS = (
    "?timeout=20&transaction_mode=IMMEDIATE&init_command=PRAGMA%20journal_mode%3DWAL%3B"
)
SEEDS = [int(s) for s in os.environ.get("TIEOUT_FAULT_SEEDS", "11,23,2026").split(",")]
SETTLE_SECONDS = int(os.environ.get("TIEOUT_FAULT_SETTLE_SECONDS", "240"))


# --- Fault schedule ---------------------------------------------------------------------------


@dataclass
class Schedule:
    """Everything random about one run, drawn from its seed."""

    seed: int
    error_rate: float
    timeout_rate: float
    lost_rate: float
    kill_at_batch: int
    commit_killed_batch: bool
    batches_before_429: int
    payments: list[tuple[int, str, str]]  # amount, currency, card
    refunds: list[int]  # indexes of payments refunded

    @classmethod
    def draw(cls, seed: int) -> Schedule:
        rng = random.Random(seed)
        kill_at = rng.randint(1, 3)
        cards = ["pm_card_visa", "pm_card_visa", "pm_card_gb", "pm_card_createDispute"]
        payments = [
            (rng.randint(500, 90_000), rng.choice(["usd", "eur"]), rng.choice(cards))
            for _ in range(rng.randint(4, 8))
        ]
        refundable = [i for i, p in enumerate(payments) if p[2] != "pm_card_createDispute"]
        return cls(
            seed=seed,
            error_rate=rng.choice([0.1, 0.2, 0.3]),
            timeout_rate=rng.choice([0.05, 0.1]),
            lost_rate=rng.choice([0.1, 0.2, 0.3]),
            kill_at_batch=kill_at,
            commit_killed_batch=rng.random() < 0.5,
            # Per throttle window (a minute of QuickBooks' clock), after the kill.
            batches_before_429=rng.randint(0, 1),
            payments=payments,
            refunds=sorted(rng.sample(refundable, k=min(len(refundable), rng.randint(1, 2)))),
        )


@dataclass
class FaultCounts:
    """What QuickBooks really did to us, counted on the emulator's side."""

    timeouts: int = 0
    lost: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(self, qbo: QboEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
        chaos = qbo.app.chaos
        for name, counter in (("should_time_out", "timeouts"), ("should_lose", "lost")):
            original = getattr(chaos, name)

            def counted(original: Callable[[], bool] = original, counter: str = counter) -> bool:
                fired = original()
                if fired:
                    with self.lock:
                        setattr(self, counter, getattr(self, counter) + 1)
                return fired

            monkeypatch.setattr(chaos, name, counted)


class BatchGate:
    """Holds the n-th batch request inside QuickBooks until the test has killed the worker
    that sent it; then QuickBooks commits it (its answer goes nowhere) or fails it."""

    def __init__(self, qbo: QboEmulator, at: int, commit: bool) -> None:
        self.at, self.commit = at, commit
        self.calls = 0
        self.entered, self.proceed = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._original = qbo.app.on_batch
        qbo.app.on_batch = self  # type: ignore[method-assign]

    def __call__(self, request: Any, realm: str) -> Response:
        with self._lock:
            self.calls += 1
            held = self.calls == self.at
        if held:
            self.entered.set()
            self.proceed.wait(60)
            if not self.commit:
                return Response("<html>503</html>", status=503, mimetype="text/html")
        return self._original(request, realm)


# --- The broker and the workers ---------------------------------------------------------------


@contextmanager
def real_workers(folder: Path) -> Iterator[None]:
    """Tasks go to a broker and real workers. Locally the filesystem broker lives in this
    test's own folder, so no other run's worker (or left-over message) shares the queue."""
    from config.celery import app

    previous = app.conf.broker_transport_options
    if not django_settings.REDIS_URL:
        queue = folder / "celery"
        for name in ("out", "processed", "control"):
            (queue / name).mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            "data_folder_in": str(queue / "out"),
            "data_folder_out": str(queue / "out"),
            "processed_folder": str(queue / "processed"),
            "control_folder": str(queue / "control"),
            "store_processed": False,
        }
        _drop_broker_pools(app)
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_transport_options = previous
        _drop_broker_pools(app)


def _drop_broker_pools(app: Any) -> None:
    # Forget, do not close: kombu keeps one pool per broker address and transport options, and
    # the next test that publishes with the default options gets the default pool back.
    app._pool = None
    app.amqp._producer_pool = None


# --- The scenario -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed={s}" for s in SEEDS])
def test_every_document_exists_once_after_faults_kills_and_shuffled_webhooks(
    seed: int,
    world: World,
    qbo: QboEmulator,
    live_server,  # type: ignore[no-untyped-def]
    settings,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schedule = Schedule.draw(seed)
    try:
        with stripe_testing.serve() as stripe_emu:
            _scenario(
                schedule, world, qbo, stripe_emu, live_server, settings, tmp_path, monkeypatch
            )
    except BaseException as failure:
        failure.add_note(
            f"fault schedule: {schedule}\nrerun with: TIEOUT_FAULT_SEEDS={seed} .venv/bin/pytest "
            f"tests/syncs/test_faults_combined.py -p no:cacheprovider"
        )
        raise


def _scenario(  # noqa: PLR0913, PLR0915 - one story, told in order
    schedule: Schedule,
    world: World,
    qbo: QboEmulator,
    stripe_emu: stripe_testing.RunningEmulator,
    live_server: Any,
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A seeded Stripe history in two currencies; QuickBooks connected and set up (no faults).
    stripe_emu.seed(seed=schedule.seed, days=12, customers=8, currencies="usd,eur")
    settings.STRIPE_API_BASE = settings.STRIPE_CONNECT_BASE = stripe_emu.url
    qbo.app.throttle.limits = Limits(enabled=False)
    profile = _profile(world, qbo)
    backfill_end = stripe_emu.store.now + 1

    # Stripe signs every event for our per-connection endpoint, then sends each one twice and
    # in reverse order.
    endpoint = stripe_emu.client().v1.webhook_endpoints.create(
        {
            "url": f"{live_server.url}/webhooks/stripe/{profile.stripe.webhook_token}/",
            "enabled_events": ["*"],
        }
    )
    connection_set_webhook_secret(connection=profile.stripe, secret=endpoint.secret)
    stripe_emu.admin("POST", "chaos", duplicate=True, out_of_order=True)

    # New activity after the backfill's range: it reaches us only through webhooks.
    stripe_emu.advance(seconds=3600)
    _stripe_activity(stripe_emu, schedule)

    # QuickBooks misbehaves on the seed's schedule.
    faults = FaultCounts()
    faults.watch(qbo, monkeypatch)
    switches = qbo.switches
    switches.seed = schedule.seed
    qbo.app.chaos.configure({"seed": schedule.seed})
    switches.error_rate = schedule.error_rate
    switches.timeout_rate = schedule.timeout_rate
    switches.timeout_seconds = 0.3
    switches.lost_response_rate = schedule.lost_rate
    switches.fail_next = switches.lose_next = switches.timeout_next = 1  # each fault, surely
    switches.latency_ms = 10
    gate = BatchGate(qbo, schedule.kill_at_batch, schedule.commit_killed_batch)
    errors_before = _statuses(qbo)

    env = _worker_env(stripe_emu.url, qbo)
    env["TIEOUT_VAR_DIR"] = str(tmp_path / "var")  # the workers' queue folder: ours too
    if env["DATABASE_URL"].startswith("sqlite:"):
        # As config/settings.py opens SQLite without DATABASE_URL: several processes write here.
        env["DATABASE_URL"] += SQLITE_OPTIONS
    workers = Workers(env, tmp_path / "workers.log")
    with real_workers(tmp_path / "var"):
        try:
            first = workers.start()
            services.sync_run_request(
                connection=profile.stripe,
                kind=SyncRun.Kind.BACKFILL,
                trigger=SyncRun.Trigger.USER,
                start=datetime.fromtimestamp(stripe_store.DEFAULT_START, tz=UTC),
                end=datetime.fromtimestamp(backfill_end, tz=UTC),
            )
            assert stripe_emu.deliver() > 0  # through the live server into the inbox
            _pump_until(qbo, gate.entered.is_set, first, seconds=120)

            # Kill the worker while QuickBooks holds its batch: a lease held by nobody and
            # rows left `sending`.
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
            gate.proceed.set()
            # A run the dead worker was executing stays "running" until the beat resumes it
            # (its time limit is fast-forwarded too).
            SyncRun.objects.filter(connection=profile.stripe, status="running").update(
                started_at=timezone.now() - services.RUN_ABANDONED_AFTER - timedelta(seconds=1)
            )
            held = OutboxDocument.objects.filter(status=OutboxDocument.Status.SENDING)
            assert held.exists(), "the kill did not land mid-batch: nothing proved"
            lease = PostingLease.objects.get(quickbooks=profile.quickbooks)
            assert lease.holder and lease.expires_at > timezone.now()

            # Payouts go out and are paid while nobody is working; their events queue up.
            stripe_emu.advance(days=3)
            stripe_emu.deliver()

            # From now on QuickBooks answers 429 once a few batches a minute have been sent.
            qbo.clock.advance(61)
            qbo.app.throttle.limits = Limits(batch_per_minute=schedule.batches_before_429)
            workers.start()
            # The dead worker's lease runs out (fast-forwarded instead of waiting 5 minutes).
            PostingLease.objects.filter(holder=lease.holder).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            )
            settled = lambda: _settled(profile, qbo, stripe_emu)  # noqa: E731
            # Faults go on for a while after the kill, then QuickBooks behaves again and
            # whatever is left must settle.
            throttled = lambda: (_statuses(qbo) - errors_before)[429] > 0  # noqa: E731
            _pump_until(
                qbo,
                lambda: settled() or throttled(),
                None,
                seconds=SETTLE_SECONDS // 2,
                or_give_up=False,
            )
            switches.error_rate = switches.timeout_rate = switches.lost_response_rate = 0.0
            qbo.app.throttle.limits = Limits(enabled=False)
            _pump_until(qbo, settled, None, seconds=SETTLE_SECONDS)
        finally:
            workers.stop()

    switches.error_rate = switches.timeout_rate = switches.lost_response_rate = 0.0
    qbo.app.throttle.limits = Limits(enabled=False)
    _assert_faults_happened(qbo, errors_before, faults, gate)
    _assert_webhooks_played(stripe_emu, profile)
    _assert_exactly_once(profile, qbo, stripe_emu)


def _stripe_activity(stripe_emu: stripe_testing.RunningEmulator, schedule: Schedule) -> None:
    client = stripe_emu.client()
    intents = [
        client.v1.payment_intents.create(
            {"amount": amount, "currency": currency, "payment_method": card, "confirm": True}
        )
        for amount, currency, card in schedule.payments
    ]
    for index in schedule.refunds:
        amount = schedule.payments[index][0]
        client.v1.refunds.create({"payment_intent": intents[index].id, "amount": amount // 3})


def _statuses(qbo: QboEmulator) -> Counter[int]:
    return Counter(entry["status"] for entry in list(qbo.app.log.entries))


def _pump_until(
    qbo: QboEmulator,
    done: Callable[[], bool],
    worker: Any,
    *,
    seconds: float,
    or_give_up: bool = True,
) -> None:
    """Play beat and time: ring the sweepers, let backoffs and pauses run out, and let
    QuickBooks' throttle window pass, until `done()`."""
    deadline = time.monotonic() + seconds
    for round_ in itertools.count():
        if time.monotonic() > deadline:
            break
        if round_ % 3 == 2:
            qbo.clock.advance(61)  # a new throttle window
        if done():
            return
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker died on its own: {_state()}")
        now = timezone.now()
        OutboxDocument.objects.filter(
            status__in=[OutboxDocument.Status.PLANNED, OutboxDocument.Status.FAILED],
            next_attempt_at__gt=now,
        ).update(next_attempt_at=now)
        InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).update(
            received_at=now - timedelta(minutes=1)
        )
        sweep_outbox.delay()
        sweep_inbox.delay()
        schedule_safety_net_scans.delay()
        time.sleep(1.0)
    if or_give_up:
        raise AssertionError(f"not settled after {seconds} s: {_state()}")


def _settled(
    profile: SyncProfile, qbo: QboEmulator, stripe_emu: stripe_testing.RunningEmulator
) -> bool:
    outbox_done = not OutboxDocument.objects.exclude(status=OutboxDocument.Status.POSTED).exists()
    inbox_done = not InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).exists()
    runs_done = not SyncRun.objects.filter(
        connection=profile.stripe, status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING]
    ).exists()
    deliveries = stripe_emu.admin("GET", "webhooks/deliveries")["deliveries"]
    delivered = all(d["status"] == "succeeded" for d in deliveries)
    return outbox_done and inbox_done and runs_done and delivered


def _state() -> str:
    outbox = Counter(OutboxDocument.objects.values_list("status", flat=True))
    errors = list(
        OutboxDocument.objects.exclude(status="posted").values_list("last_error", flat=True)[:3]
    )
    inbox = Counter(InboundEvent.objects.values_list("status", flat=True))
    runs = list(SyncRun.objects.values_list("pk", "kind", "status", "error"))
    return f"outbox {dict(outbox)} {errors}, inbox {dict(inbox)}, runs {runs}"


# --- What must hold ---------------------------------------------------------------------------


def _assert_faults_happened(
    qbo: QboEmulator, before: Counter[int], faults: FaultCounts, gate: BatchGate
) -> None:
    during = _statuses(qbo) - before
    assert during[503] > 0, f"no 5xx answered: {during}"
    assert during[429] > 0, f"no 429 answered: {during}"
    assert faults.timeouts > 0 and faults.lost > 0, faults
    assert gate.calls > gate.at, "nothing was posted after the kill"


def _assert_webhooks_played(
    stripe_emu: stripe_testing.RunningEmulator, profile: SyncProfile
) -> None:
    deliveries = stripe_emu.admin("GET", "webhooks/deliveries")["deliveries"]
    assert deliveries and all(d["status"] == "succeeded" for d in deliveries), deliveries
    assert all(len(d["attempts"]) == 2 for d in deliveries)  # each event posted twice
    events = InboundEvent.objects.filter(connection=profile.stripe)
    assert set(events.values_list("event_id", flat=True)) == {d["event"] for d in deliveries}
    assert set(events.values_list("status", flat=True)) == {InboundEvent.Status.PROCESSED}
    # They reached us out of order: our inbox order is not the order Stripe created them in.
    created_order = list(dict.fromkeys(d["event"] for d in deliveries))
    received_order = list(events.order_by("pk").values_list("event_id", flat=True))
    assert received_order != created_order
    # The activity after the backfill's range reached the ledger through webhook runs (under
    # QuickBooks faults such a run may end "failed" after its Stripe part; the sweeper posts).
    webhook_runs = SyncRun.objects.filter(connection=profile.stripe, kind="webhook")
    assert webhook_runs.filter(transactions_new__gt=0).exists(), list(webhook_runs.values())


def _assert_exactly_once(
    profile: SyncProfile, qbo: QboEmulator, stripe_emu: stripe_testing.RunningEmulator
) -> None:
    client = stripe_emu.client(stripe_testing.READONLY_KEY)
    in_stripe = {
        t.id for t in client.v1.balance_transactions.list({"limit": 100}).auto_paging_iter()
    }
    ledger = set(
        BalanceTransaction.objects.filter(connection=profile.stripe).values_list(
            "stripe_id", flat=True
        )
    )
    assert ledger == in_stripe, (sorted(in_stripe - ledger)[:5], sorted(ledger - in_stripe)[:5])
    # Nothing is missing from the outbox: planning the whole ledger again adds no row.
    assert plan.outbox_plan(profile=profile).planned == 0

    documents = OutboxDocument.objects.exclude(role="setup")
    statuses = Counter(documents.values_list("status", flat=True))
    assert statuses == {"posted": documents.count()}, statuses
    in_qbo = company_documents(qbo, profile.quickbooks.external_id)
    numbers = list(documents.values_list("doc_number", flat=True))
    assert len(set(numbers)) == len(numbers)
    wrong = {n: in_qbo[n] for n in numbers if in_qbo[n] != 1}
    assert not wrong, f"DocNumbers not in QuickBooks exactly once: {wrong}"
    assert sum(in_qbo.values()) == len(numbers), in_qbo - Counter(numbers)

    reconcile.tie_out(profile=profile)
    results = Reconciliation.objects.filter(stripe=profile.stripe)
    off = [(r.kind, r.subject, r.difference, r.explanation) for r in results if not r.ok]
    assert off == []
    currencies = {t.currency for t in client.v1.balance_transactions.list().auto_paging_iter()}
    assert set(results.filter(kind="clearing").values_list("subject", flat=True)) == currencies
    paid = {
        p.id
        for p in client.v1.payouts.list({"limit": 100}).auto_paging_iter()
        if p.status == "paid" and p.automatic
    }
    assert paid
    assert set(results.filter(kind="payout").values_list("subject", flat=True)) == paid
