"""The poster against emulators/quickbooks: batches, requestid, lease, and exactly once under
5xx, 429, timeouts, lost responses and a crash mid-batch."""

from __future__ import annotations

import json
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.models import Connection
from connections.providers.quickbooks import client as qbo_client
from connections.services import quickbooks_call
from emulators.quickbooks.testing import RunningEmulator
from emulators.quickbooks.throttle import Limits
from syncs import poster
from syncs.models import OutboxDocument
from syncs.planner import canonical_json
from syncs.throttle import Throttle
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks

pytestmark = pytest.mark.django_db

NO_WAIT = Throttle(limits={"request": 10_000, "batch": 10_000})


@pytest.fixture
def company(world: World, qbo: RunningEmulator) -> Connection:
    client = world.client_for(world.alice)
    assert client.get(connect_quickbooks(client, world.alice_tenant.slug)).status_code == 302
    return Connection.objects.filter(provider="quickbooks", tenant=world.alice_tenant).latest("pk")


def _account_ids(qbo: RunningEmulator, realm: str) -> tuple[str, str]:
    accounts = qbo.company(realm).entities["Account"].values()
    by_name = {a["Name"]: a["Id"] for a in accounts}
    return by_name["Checking"], by_name["Services"]


def _plan(company: Connection, qbo: RunningEmulator, count: int, start: int = 0) -> list[str]:
    """Outbox rows for `count` deposits of distinct amounts; returns their DocNumbers."""
    bank, income = _account_ids(qbo, company.external_id)
    numbers = []
    for n in range(start, start + count):
        number = f"TO-{n:06d}"
        cents = 1000 + n
        amount = Decimal(cents) / 100
        payload: dict[str, Any] = {
            "DocNumber": number,
            "TxnDate": "2026-11-02",
            "PrivateNote": f"Stripe txn_{n:06d}",
            "DepositToAccountRef": {"value": bank},
            "Line": [
                {
                    "Amount": amount,
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {"AccountRef": {"value": income}},
                }
            ],
            "TotalAmt": amount,
        }
        OutboxDocument.objects.create(
            tenant=company.tenant,
            quickbooks=company,
            key=f"{company.pk}:txn_{n:06d}:deposit:0",
            role="deposit",
            entity="Deposit",
            request_id=f"r{n:035d}",
            doc_number=number,
            body=canonical_json(payload),
            amount=cents,
            currency="usd",
        )
        numbers.append(number)
    return numbers


def _in_quickbooks(qbo: RunningEmulator, realm: str) -> Counter[str]:
    deposits = qbo.company(realm).entities.get("Deposit", {}).values()
    return Counter(d.get("DocNumber") for d in deposits)


def _settle(company: Connection, rounds: int = 40) -> None:
    """Post until nothing is left, letting time pass between rounds (no real waiting)."""
    for _ in range(rounds):
        OutboxDocument.objects.filter(quickbooks=company).update(next_attempt_at=timezone.now())
        poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
        if not OutboxDocument.objects.exclude(status=OutboxDocument.Status.POSTED).exists():
            return


def test_it_posts_in_batches_of_thirty_with_no_reads(
    company: Connection, qbo: RunningEmulator
) -> None:
    numbers = _plan(company, qbo, 65)
    before = dict(qbo.app.log.by_endpoint)
    report = poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    assert (report.batches, report.posted, report.reads) == (3, 65, 0)
    after = qbo.app.log.by_endpoint
    assert after["batch"] - before.get("batch", 0) == 3
    assert after.get("query", 0) == before.get("query", 0)
    assert _in_quickbooks(qbo, company.external_id) == Counter(dict.fromkeys(numbers, 1))
    assert set(OutboxDocument.objects.values_list("status", flat=True)) == {"posted"}
    assert all(OutboxDocument.objects.values_list("qbo_id", flat=True))


def test_it_recovers_a_lost_response_by_doc_number(
    company: Connection, qbo: RunningEmulator
) -> None:
    numbers = _plan(company, qbo, 5)
    qbo.switches.lose_next = 1  # QuickBooks commits the batch, then the connection drops
    report = poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    assert report.unknown == 5 and report.adopted == 5 and report.reads == 1
    assert _in_quickbooks(qbo, company.external_id) == Counter(dict.fromkeys(numbers, 1))


def test_it_resumes_after_a_crash_mid_batch(company: Connection, qbo: RunningEmulator) -> None:
    numbers = _plan(company, qbo, 8)
    # A worker claimed the batch, QuickBooks posted it, and the worker died before recording.
    rows = poster._claim_batch(company.pk)
    items = [
        qbo_client.BatchCreate(bid=str(i), entity=r.entity, body=r.body) for i, r in enumerate(rows)
    ]
    quickbooks_call(
        connection_id=company.pk,
        call=lambda t, r: qbo_client.batch(t, r, request_id=rows[0].batch_id, items=items),
    )
    assert OutboxDocument.objects.filter(status="sending").count() == 8
    poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)  # the next worker
    assert set(OutboxDocument.objects.values_list("status", flat=True)) == {"posted"}
    assert _in_quickbooks(qbo, company.external_id) == Counter(dict.fromkeys(numbers, 1))


def test_it_adopts_a_document_that_is_already_there(
    company: Connection, qbo: RunningEmulator
) -> None:
    _plan(company, qbo, 3)
    poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    # The same documents planned again (say, our database restored from an old backup).
    for row in OutboxDocument.objects.all():
        OutboxDocument.objects.filter(pk=row.pk).update(
            status="planned", qbo_id="", request_id=f"restored-{row.pk}"
        )
    report = poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    assert report.adopted == 3
    assert sum(_in_quickbooks(qbo, company.external_id).values()) == 3


def test_it_parks_a_clashing_number_for_a_person(company: Connection, qbo: RunningEmulator) -> None:
    _plan(company, qbo, 1)
    poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    row = OutboxDocument.objects.get()
    clashing = json.loads(row.body)
    clashing["TotalAmt"] = 999.99
    clashing["Line"][0]["Amount"] = 999.99
    OutboxDocument.objects.filter(pk=row.pk).update(
        status="planned", request_id="another-write", amount=99_999, body=json.dumps(clashing)
    )
    poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    row.refresh_from_db()
    assert row.status == "needs_action"
    assert "already has a Deposit numbered TO-000000" in row.last_error
    assert sum(_in_quickbooks(qbo, company.external_id).values()) == 1


def test_it_pauses_the_company_after_a_429(company: Connection, qbo: RunningEmulator) -> None:
    _plan(company, qbo, 40)
    qbo.app.throttle.limits = Limits(batch_per_minute=0)  # QuickBooks answers 429
    report = poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    assert report.posted == 0 and report.batches == 1
    waiting = OutboxDocument.objects.filter(next_attempt_at__gt=timezone.now())
    assert waiting.count() == 40  # the whole company waits, not just the batch
    assert not _in_quickbooks(qbo, company.external_id)


def test_it_lets_only_one_poster_hold_a_company(company: Connection) -> None:
    assert poster.lease_acquire(quickbooks_id=company.pk, holder="worker-a")
    assert not poster.lease_acquire(quickbooks_id=company.pk, holder="worker-b")
    report = poster.outbox_post(quickbooks_id=company.pk, holder="worker-b", throttle=NO_WAIT)
    assert report.skipped
    poster.lease_release(quickbooks_id=company.pk, holder="worker-a")
    assert poster.lease_acquire(quickbooks_id=company.pk, holder="worker-b")


def test_it_keeps_inside_the_batch_budget_with_a_virtual_clock(
    company: Connection,
    qbo: RunningEmulator,
) -> None:
    _plan(company, qbo, 30 * 5)
    now = [1_800_000_000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = Throttle(limits={"request": 500, "batch": 2}, clock=lambda: now[0], sleep=sleep)
    report = poster.outbox_post(quickbooks_id=company.pk, throttle=throttle)
    assert report.posted == 150 and report.batches == 5
    assert len(slept) == 2  # five batches at two a minute: two waits for the next minute


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    error_rate=st.sampled_from([0.0, 0.2, 0.4]),
    lost_rate=st.sampled_from([0.0, 0.2, 0.4]),
    count=st.integers(1, 70),
)
def test_it_posts_each_document_exactly_once_under_faults(
    company: Connection,
    qbo: RunningEmulator,
    seed: int,
    error_rate: float,
    lost_rate: float,
    count: int,
) -> None:
    OutboxDocument.objects.all().delete()
    start = seed * 100
    numbers = _plan(company, qbo, count, start=start)
    qbo.switches.seed = seed
    qbo.switches.error_rate = error_rate
    qbo.switches.lost_response_rate = lost_rate
    # At least one failed and one lost answer in every example, whatever the rates drew.
    qbo.switches.fail_next = 1
    qbo.switches.lose_next = 1
    random.seed(seed)
    failures_before = sum(1 for e in qbo.app.log.entries if e["status"] >= 500)
    try:
        _settle(company)
    finally:
        qbo.switches.error_rate = qbo.switches.lost_response_rate = 0.0
    _settle(company)
    assert sum(1 for e in qbo.app.log.entries if e["status"] >= 500) > failures_before
    in_qbo = _in_quickbooks(qbo, company.external_id)
    assert all(in_qbo[n] == 1 for n in numbers), {n: in_qbo[n] for n in numbers if in_qbo[n] != 1}
    assert set(OutboxDocument.objects.values_list("status", flat=True)) == {"posted"}
