from __future__ import annotations

import pytest
from django.urls import reverse

from syncs.models import OutboxDocument
from syncs.pages import cause_of
from tests.conftest import World
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

CLOSED = (
    "QuickBooks refused SalesReceipt {n} (code 6000): Business Validation Error: the books are "
    "closed through 31 Oct 2026 (id {i}). Fix the cause, then retry."
)


def _problem(world: World, company, number: str, message: str) -> OutboxDocument:  # type: ignore[no-untyped-def]
    return OutboxDocument.objects.create(
        tenant=world.alice_tenant,
        quickbooks=company,
        key=f"k-{number}",
        role="sale",
        entity="SalesReceipt",
        request_id=number,
        doc_number=number,
        body="{}",
        amount=1,
        currency="usd",
        status="needs_action",
        last_error=message,
    )


def test_it_groups_alike_errors_and_retries_a_group(world: World) -> None:
    company = ConnectionFactory(tenant=world.alice_tenant, provider="quickbooks", external_id="9")
    first = _problem(world, company, "SR-AAAAAAAAAA", CLOSED.format(n="SR-AAAAAAAAAA", i=101))
    second = _problem(world, company, "SR-BBBBBBBBBB", CLOSED.format(n="SR-BBBBBBBBBB", i=102))
    other = _problem(world, company, "SR-CCCCCCCCCC", "Missing mapping for EUR clearing account.")
    assert cause_of(first.last_error) == cause_of(second.last_error) != cause_of(other.last_error)

    client = world.client_for(world.bob)  # accountants resolve errors
    page = client.get(reverse("syncs:errors", args=[world.alice_tenant.slug])).content.decode()
    assert page.count('class="card error-group"') == 2
    assert "books are closed through 31 Oct 2026" in page

    from syncs.pages import _cause_key

    key = _cause_key(cause_of(first.last_error))
    client.post(reverse("syncs:error_retry", args=[world.alice_tenant.slug, key]))
    statuses = dict(OutboxDocument.objects.values_list("doc_number", "status"))
    assert statuses == {
        "SR-AAAAAAAAAA": "planned",
        "SR-BBBBBBBBBB": "planned",
        "SR-CCCCCCCCCC": "needs_action",
    }


def test_ignoring_a_document_records_who_and_why_and_only_while_it_awaits_a_decision(
    world: World,
) -> None:
    company = ConnectionFactory(tenant=world.alice_tenant, provider="quickbooks", external_id="9")
    waiting = _problem(world, company, "SR-DDDDDDDDDD", "Missing mapping for EUR clearing account.")
    posted = _problem(world, company, "SR-EEEEEEEEEE", "")
    OutboxDocument.objects.filter(pk=posted.pk).update(status="posted")
    client = world.client_for(world.bob)
    slug = world.alice_tenant.slug

    client.post(reverse("syncs:document_ignore", args=[slug, waiting.pk]), {"reason": ""})
    waiting.refresh_from_db()
    assert waiting.status == "needs_action"  # no reason, no change

    for row in (waiting, posted):
        client.post(reverse("syncs:document_ignore", args=[slug, row.pk]), {"reason": "Test sale"})
        row.refresh_from_db()
    assert waiting.status == "ignored"
    assert waiting.last_error == "Ignored by bob@example.com: Test sale"
    assert posted.status == "posted"  # already in QuickBooks: nothing to ignore
