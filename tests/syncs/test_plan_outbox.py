"""Planning into the outbox: re-planning skips what is there, and a planner that loses a race
with another one inserts only what is still missing."""

from __future__ import annotations

import pytest

from mappings.models import SyncProfile
from syncs import plan
from syncs.models import OutboxDocument
from tests.syncs.test_customers import Ledger, _fresh_email_index, company, ledger, profile

pytestmark = pytest.mark.django_db
__all__ = ["_fresh_email_index", "company", "ledger", "profile"]  # fixtures, used by name


def test_re_planning_counts_what_is_already_there(profile: SyncProfile, ledger: Ledger) -> None:
    for _ in range(3):
        ledger.charge(None)
    first = plan.outbox_plan(profile=profile)
    keys = set(OutboxDocument.objects.exclude(role="setup").values_list("key", flat=True))
    assert first.planned == len(keys) > 0
    again = plan.outbox_plan(profile=profile)
    assert (again.planned, again.already_planned) == (0, len(keys))
    assert set(OutboxDocument.objects.exclude(role="setup").values_list("key", flat=True)) == keys


def test_a_planner_that_lost_a_race_inserts_only_what_is_missing(
    profile: SyncProfile, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        ledger.charge(None)
    plan.outbox_plan(profile=profile)
    planned = list(
        OutboxDocument.objects.exclude(role="setup").order_by("pk").values("key", "request_id")
    )
    # Another planner inserted one document between our look at the outbox and our insert:
    # delete the others and plan again, blind to what is there.
    kept = planned[0]["key"]
    OutboxDocument.objects.exclude(role="setup").exclude(key=kept).delete()
    monkeypatch.setattr(plan, "_known_keys", lambda profile: set())
    report = plan.outbox_plan(profile=profile)
    assert (report.planned, report.already_planned) == (len(planned) - 1, 1)
    after = list(
        OutboxDocument.objects.exclude(role="setup").order_by("key").values("key", "request_id")
    )
    assert after == sorted(planned, key=lambda d: d["key"])
