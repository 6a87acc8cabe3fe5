"""A sync run whose worker was killed mid-run is resumed, not left "running" for ever.

Found by tests/syncs/test_faults_combined.py: a run stuck in "running" was never claimed again
(the claim only took queued runs) and kept the account's safety-net scans away for good.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs import services
from syncs.models import SyncRun
from syncs.tasks import schedule_safety_net_scans
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_the_beat_resumes_a_run_whose_worker_died(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    died = timezone.now() - services.RUN_ABANDONED_AFTER - timedelta(minutes=1)
    SyncRun.objects.filter(pk=world.alice_run.pk).update(status="running", started_at=died)
    executed: list[int] = []
    monkeypatch.setattr(services, "sync_run_execute", lambda *, run_id: executed.append(run_id))
    with django_capture_on_commit_callbacks(execute=True):
        schedule_safety_net_scans()
    assert executed == [world.alice_run.pk]
    world.alice_run.refresh_from_db()
    assert world.alice_run.status == "running" and world.alice_run.started_at > died


def test_a_live_run_is_neither_resumed_nor_claimed_twice(world: World) -> None:
    SyncRun.objects.filter(pk=world.alice_run.pk).update(
        status="running", started_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.sync_runs_resume_abandoned() == []
    assert not services.sync_run_claim(run_id=world.alice_run.pk)
    world.alice_run.refresh_from_db()
    assert world.alice_run.status == "running"
