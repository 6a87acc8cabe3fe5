"""The whole pipeline with real Celery workers (the Redis broker under CI, the filesystem
broker locally), a seeded history of over 1,000 balance transactions in two currencies, and a
worker killed with SIGKILL in the middle of posting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from connections.models import Connection
from connections.services import quickbooks_refresh_company_facts
from emulators.quickbooks.testing import RunningEmulator as QboEmulator
from emulators.quickbooks.testing import discovery_url
from emulators.quickbooks.throttle import Limits
from emulators.stripe import store as stripe_store
from emulators.stripe import testing as stripe_testing
from mappings.models import SyncProfile
from syncs import reconcile, services, setup
from syncs.models import (
    BalanceTransaction,
    OutboxDocument,
    PostingLease,
    Reconciliation,
    SyncRun,
)
from syncs.tasks import sweep_outbox
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks
from tests.factories import ConnectionFactory
from tests.shared import REPO_ROOT
from tests.subprocesses import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ENTITIES = ("SalesReceipt", "Purchase", "Deposit", "Transfer", "RefundReceipt", "JournalEntry")


def _worker_env(stripe_url: str, qbo: QboEmulator) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        DATABASE_URL=database_url(),
        # The same folder as this process: with the filesystem broker it is the queue.
        TIEOUT_VAR_DIR=str(settings.VAR_DIR),
        STRIPE_API_BASE=stripe_url,
        STRIPE_CONNECT_BASE=stripe_url,
        INTUIT_API_BASE=qbo.url,
        INTUIT_DISCOVERY_URL=discovery_url(qbo.url),
        INTUIT_CLIENT_ID=qbo.client_id,
        INTUIT_CLIENT_SECRET=qbo.client_secret,
        INTUIT_ENVIRONMENT="sandbox",
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    return env


class Workers:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log = log_path.open("ab")
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--queues",
                "ingest,post,default",
                "--loglevel",
                "WARNING",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def history() -> Iterator[stripe_testing.RunningEmulator]:
    with stripe_testing.serve() as emulator:
        emulator.seed(seed=5, days=150, customers=120, currencies="usd,eur")
        yield emulator


@pytest.fixture
def eager_off() -> Iterator[None]:
    """Tasks go to the real broker and real workers, not inline as in the rest of the suite."""
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True


def _state() -> str:
    statuses = Counter(
        OutboxDocument.objects.exclude(role="setup").values_list("status", flat=True)
    )
    errors = list(
        OutboxDocument.objects.exclude(status="posted").values_list("last_error", flat=True)[:3]
    )
    runs = list(
        SyncRun.objects.values_list("kind", "status", "progress_done", "progress_total", "error")
    )
    txns = BalanceTransaction.objects.count()
    return f"outbox {dict(statuses)}, errors {errors}, runs {runs}, ledger {txns}"


def _wait(predicate, seconds: float = 180) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for the workers: {_state()}")


def test_it_posts_over_a_thousand_transactions_exactly_once_through_killed_workers(
    world: World,
    qbo: QboEmulator,
    history: stripe_testing.RunningEmulator,
    tmp_path: Path,
    settings,  # type: ignore[no-untyped-def]
    eager_off: None,
) -> None:
    settings.STRIPE_API_BASE = settings.STRIPE_CONNECT_BASE = history.url
    qbo.app.throttle.limits = Limits(enabled=False)
    profile = _profile(world, qbo)
    # Slow QuickBooks writes, so that the kill below lands in the middle of posting.
    qbo.switches.latency_ms = 40
    not_posted = OutboxDocument.objects.exclude(status="posted").exclude(role="setup")

    workers = Workers(_worker_env(history.url, qbo), tmp_path / "workers.log")
    try:
        first = workers.start()
        services.sync_run_request(
            connection=profile.stripe,
            kind=SyncRun.Kind.BACKFILL,
            trigger=SyncRun.Trigger.USER,
            start=datetime.fromtimestamp(stripe_store.DEFAULT_START, tz=UTC),
            end=datetime.fromtimestamp(history.store.now + 1, tz=UTC),
        )
        _wait(lambda: OutboxDocument.objects.filter(status="posted", role="sale").count() > 60)
        os.killpg(first.pid, signal.SIGKILL)  # mid-batch: rows left "sending", lease held
        first.wait(timeout=30)
        assert not_posted.exists(), "the worker finished before it was killed: nothing proved"
        qbo.switches.latency_ms = 0
        workers.start()
        # The dead worker's lease expires (fast-forwarded here), then the beat sweep rings.
        PostingLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        not_posted.update(next_attempt_at=timezone.now())
        sweep_outbox.apply_async(queue="default")
        _wait(lambda: not not_posted.exists())
    finally:
        workers.stop()

    ledger = BalanceTransaction.objects.filter(connection=profile.stripe)
    assert ledger.count() > 1000
    assert set(ledger.values_list("currency", flat=True)) == {"usd", "eur"}
    categories = set(ledger.values_list("reporting_category", flat=True))
    assert {"charge", "refund", "refund_failure", "dispute", "payout", "topup"} <= categories
    # Exactly once: every planned document is in QuickBooks once, and nothing else is.
    documents = company_documents(qbo, profile.quickbooks.external_id)
    planned = OutboxDocument.objects.exclude(role="setup")
    assert all(documents[n] == 1 for n in planned.values_list("doc_number", flat=True))
    assert sum(documents.values()) == planned.count()
    reconcile.tie_out(profile=profile)
    off = [
        (r.subject, r.difference, r.explanation) for r in Reconciliation.objects.filter(ok=False)
    ]
    assert off == []
    assert Reconciliation.objects.filter(kind="clearing").count() == 2


def _profile(world: World, qbo: QboEmulator) -> SyncProfile:
    client = world.client_for(world.alice)
    assert client.get(connect_quickbooks(client, world.alice_tenant.slug)).status_code == 302
    company = Connection.objects.filter(provider="quickbooks").latest("pk")
    qbo.company(company.external_id).preferences["CurrencyPrefs"]["MultiCurrencyEnabled"] = True
    quickbooks_refresh_company_facts(connection_id=company.pk)
    company.refresh_from_db()
    stripe = ConnectionFactory(
        tenant=world.alice_tenant,
        method="stripe_key",
        external_id=stripe_store.PLATFORM_ACCOUNT,
        api_key=stripe_testing.READONLY_KEY,
    )
    profile = SyncProfile.objects.create(
        tenant=world.alice_tenant, stripe=stripe, quickbooks=company
    )
    setup.profile_autosetup(profile=profile)
    return profile


def company_documents(qbo: QboEmulator, realm: str) -> Counter[str]:
    company = qbo.company(realm)
    return Counter(
        doc.get("DocNumber")
        for entity in ENTITIES
        for doc in company.entities.get(entity, {}).values()
    )
