from __future__ import annotations

import pytest
from django.utils import timezone

from tenants.models import Heartbeat
from tenants.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_it_reports_database_and_broker(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    assert body["worker"] == {"ok": False, "last_seen": None}


def test_it_reports_the_worker_after_a_heartbeat(client) -> None:  # type: ignore[no-untyped-def]
    heartbeat.delay()
    body = client.get("/healthz").json()
    assert body["worker"]["ok"] is True
    assert Heartbeat.objects.get(name="worker").seen_at <= timezone.now()


def test_it_answers_503_when_the_database_is_down(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("tenants.health.check_database", lambda: False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
