"""bench/sync: QuickBooks calls per 1,000 balance transactions, engine throughput, and the
simulated time to post 10,000 under QuickBooks' real limits.

Runs the product's own code (ingest → auto-setup → planner → outbox → poster → tie-out)
in-process against both emulators on loopback, with a throwaway SQLite database.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEED = {"seed": 5, "days": 120, "customers": 90, "currencies": "usd,eur"}


def _django(var_dir: str) -> None:
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        TIEOUT_VAR_DIR=var_dir,
        CELERY_TASK_ALWAYS_EAGER="true",
        OAUTHLIB_INSECURE_TRANSPORT="1",
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _point_at(stripe_url: str, qbo_url: str, qbo: Any) -> None:
    from django.conf import settings

    from emulators.quickbooks.testing import discovery_url

    settings.STRIPE_API_BASE = settings.STRIPE_CONNECT_BASE = stripe_url
    settings.INTUIT_API_BASE = qbo_url
    settings.INTUIT_DISCOVERY_URL = discovery_url(qbo_url)
    settings.INTUIT_CLIENT_ID = qbo.client_id
    settings.INTUIT_CLIENT_SECRET = qbo.client_secret
    settings.INTUIT_ENVIRONMENT = "sandbox"


def _connections(qbo: Any) -> Any:
    from django.utils import timezone

    from connections.models import Connection
    from connections.services import quickbooks_refresh_company_facts
    from emulators.stripe import store as stripe_store
    from emulators.stripe import testing as stripe_testing
    from mappings.models import SyncProfile
    from tenants.models import Tenant

    tenant = Tenant.objects.create(name="Bench organisation")
    auth, realm = qbo.connect(company_name="Bench Books")
    qbo.company(realm).preferences["CurrencyPrefs"]["MultiCurrencyEnabled"] = True
    company = Connection.objects.create(
        tenant=tenant,
        provider="quickbooks",
        method="intuit_oauth",
        external_id=realm,
        display_name="Bench Books",
        access_token=auth.access_token,
        refresh_token=auth.refresh_token,
        access_expires_at=timezone.now() + timedelta(hours=1),
    )
    quickbooks_refresh_company_facts(connection_id=company.pk)
    company.refresh_from_db()
    stripe = Connection.objects.create(
        tenant=tenant,
        provider="stripe",
        method="stripe_key",
        external_id=stripe_store.PLATFORM_ACCOUNT,
        api_key=stripe_testing.READONLY_KEY,
    )
    return SyncProfile.objects.create(tenant=tenant, stripe=stripe, quickbooks=company)


def _calls(qbo: Any) -> dict[str, int]:
    return dict(qbo.app.log.by_endpoint)


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)
    }


class _Waiting:
    """Adds up the wall time of every outbound HTTP call made through connections.http."""

    def __init__(self, module: Any) -> None:
        self.module, self.original, self.seconds = module, module.request, 0.0

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        module.request = timed

    def stop(self) -> None:
        self.module.request = self.original


def _time_waiting_on(module: Any) -> _Waiting:
    return _Waiting(module)


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as var_dir:
        _django(var_dir)
        from connections import http as connection_http
        from connections import services as connection_services
        from connections.providers.stripe import client as stripe_client
        from emulators.quickbooks import testing as qbo_testing
        from emulators.quickbooks import xsd as qbo_xsd
        from emulators.quickbooks.throttle import Limits
        from emulators.stripe import store as stripe_store
        from emulators.stripe import testing as stripe_testing
        from syncs import ingest, plan, poster, reconcile, setup
        from syncs.models import BalanceTransaction, OutboxDocument, Reconciliation
        from syncs.throttle import Throttle

        with stripe_testing.serve() as stripe_emu, qbo_testing.serve() as qbo:
            stripe_emu.seed(**SEED)
            # Throughput is measured with throttling off on both sides; the time QuickBooks'
            # real limits impose is computed from the batch count below.
            qbo.app.throttle.limits = Limits(enabled=False)
            _point_at(stripe_emu.url, qbo.url, qbo)
            profile = _connections(qbo)
            client = connection_services.stripe_client_for(profile.stripe)

            started = time.perf_counter()
            ingest.ledger_upsert(
                connection=profile.stripe,
                transactions=stripe_client.list_balance_transactions(
                    client,
                    created_gte=stripe_store.DEFAULT_START,
                    created_lt=stripe_emu.store.now + 1,
                ),
                client=client,
            )
            from syncs.models import Payout

            for payout in Payout.objects.filter(
                connection=profile.stripe, automatic=True, status="paid"
            ):
                ingest.payout_link_transactions(
                    connection=profile.stripe, client=client, payout=payout
                )
            ingest_s = time.perf_counter() - started
            txns = BalanceTransaction.objects.count()

            setup_calls_before = _calls(qbo)
            setup.profile_autosetup(profile=profile)
            setup_calls = _delta(setup_calls_before, _calls(qbo))

            # The emulator validates every document against Intuit's XSD (QuickBooks' own work,
            # on Intuit's servers in production): compile the schema before the clock starts,
            # and count the time spent waiting on QuickBooks answers apart.
            qbo_xsd.load_schema()
            waiting = _time_waiting_on(connection_http)
            before = _calls(qbo)
            started = time.perf_counter()
            planned = plan.outbox_plan(profile=profile)
            plan_s = time.perf_counter() - started
            unlimited = Throttle(limits={"request": 10**9, "batch": 10**9})
            started = time.perf_counter()
            report = poster.outbox_post(quickbooks_id=profile.quickbooks_id, throttle=unlimited)
            post_s = time.perf_counter() - started
            quickbooks_s = waiting.seconds
            waiting.stop()
            posting_calls = _delta(before, _calls(qbo))
            reconcile.tie_out(profile=profile)

            documents = OutboxDocument.objects.exclude(role="setup").count()
            writes = posting_calls.get("batch", 0) + posting_calls.get("write", 0)
            reads = sum(
                v for k, v in posting_calls.items() if k in ("query", "read", "preferences")
            )
            batches = report.batches
            # QuickBooks allows 40 batch requests a minute per company: the binding limit.
            minutes_per_batch = 1 / 40
            docs_per_txn = documents / txns
            batches_10k = -(-round(10_000 * docs_per_txn) // 30)
            ties_out = not Reconciliation.objects.filter(ok=False).exists()
            return {
                "inputs": {"stripe_seed": SEED, "balance_transactions": txns},
                "documents": documents,
                "documents_per_transaction": round(docs_per_txn, 3),
                "posted": report.posted + report.adopted,
                "needs_action": report.needs_action + len(planned.needs_action),
                "needs_action_examples": planned.needs_action[:3],
                "ties_out": ties_out,
                "quickbooks_calls_posting": posting_calls,
                "quickbooks_calls_setup_once": setup_calls,
                "per_1000_transactions": {
                    "writes": round(1000 * writes / txns, 1),
                    "reads": round(1000 * reads / txns, 1),
                    "targets": {"writes": "<= 100", "reads": "<= 10"},
                    "naive_one_call_per_document_with_lookup": round(1000 * 2 * documents / txns),
                },
                "throughput_transactions_per_s": {
                    "ingest": round(txns / ingest_s, 1),
                    "plan_only": round(txns / plan_s, 1),
                    "plan_and_post_throttling_off": round(txns / (plan_s + post_s), 1),
                    "plan_and_post_engine_only": round(txns / (plan_s + post_s - quickbooks_s), 1),
                    "target": ">= 300 (plan and post)",
                    "note": (
                        "plan_and_post_throttling_off includes the in-process QuickBooks "
                        "emulator's own work (XSD validation and bookkeeping of every document, "
                        "on one Python interpreter); engine_only leaves out the time spent "
                        "waiting on its answers"
                    ),
                },
                "timings_s": {
                    "ingest": round(ingest_s, 3),
                    "plan": round(plan_s, 3),
                    "post": round(post_s, 3),
                    "post_waiting_on_quickbooks": round(quickbooks_s, 3),
                },
                "batches": batches,
                "simulated_backfill_10000_transactions": {
                    "documents": round(10_000 * docs_per_txn),
                    "batches_of_30": batches_10k,
                    "minutes_at_40_batches_per_minute": round(batches_10k * minutes_per_batch, 1),
                    "note": "posting under QuickBooks' per-company batch limit; ingest excluded",
                },
                "finished_at": datetime.now(UTC).isoformat(),
            }
