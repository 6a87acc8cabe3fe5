"""A task for one organisation never touches another's connections or rows."""

from __future__ import annotations

import pytest

from syncs.models import OutboxDocument, SyncRun
from syncs.tasks import post_outbox, run_sync
from tests.conftest import World
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def _document(world_tenant, company, key: str) -> OutboxDocument:  # type: ignore[no-untyped-def]
    return OutboxDocument.objects.create(
        tenant=world_tenant,
        quickbooks=company,
        key=key,
        role="sale",
        entity="SalesReceipt",
        request_id=key,
        doc_number=key[-12:],
        body="{}",
        amount=100,
        currency="usd",
    )


def test_it_posts_only_the_company_it_was_given(world: World) -> None:
    alice_company = ConnectionFactory(
        tenant=world.alice_tenant, provider="quickbooks", method="intuit_oauth", external_id="1"
    )
    charlie_company = ConnectionFactory(
        tenant=world.charlie_tenant, provider="quickbooks", method="intuit_oauth", external_id="2"
    )
    _document(world.alice_tenant, alice_company, "alice-doc-000001")
    charlie_doc = _document(world.charlie_tenant, charlie_company, "charlie-doc-00001")
    post_outbox(alice_company.pk)  # QuickBooks is unreachable in tests: alice's row will wait
    charlie_doc.refresh_from_db()
    assert (charlie_doc.status, charlie_doc.attempts, charlie_doc.batch_id) == ("planned", 0, "")


def test_it_syncs_only_the_account_of_its_run(world: World) -> None:
    charlie_stripe = ConnectionFactory(tenant=world.charlie_tenant, external_id="acct_charlie")
    charlie_run = SyncRun.objects.create(
        tenant=world.charlie_tenant, connection=charlie_stripe, kind="backfill", trigger="user"
    )
    run_sync(world.alice_run.pk)  # Stripe is unreachable in tests: alice's run fails, cleanly
    world.alice_run.refresh_from_db()
    charlie_run.refresh_from_db()
    assert world.alice_run.status == "failed"
    assert (charlie_run.status, charlie_run.started_at) == ("queued", None)
