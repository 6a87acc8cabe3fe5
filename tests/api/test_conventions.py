"""Conventions: problem+json errors, cursor pagination, filters, Idempotency-Key, rate limits,
times with their zone and money in minor units."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from api import idempotency
from api.idempotency import IDEMPOTENCY_TTL, IdempotencyRecord
from api.tasks import purge_idempotency_records
from connections.models import ConnectLink
from syncs.models import OutboxDocument, SyncRun
from tests.api.conftest import ApiWorld, call, url
from tests.shared import REPO_ROOT

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def _problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    return body  # type: ignore[no-any-return]


def test_it_answers_problems_for_unknown_paths_methods_and_media_types(api: ApiWorld) -> None:
    _problem(call("get", "/api/v1/nothing/here/", api.a_rw), 404)
    _problem(call("get", url("organisation", slug="no-such-org"), api.a_rw), 404)
    _problem(call("delete", url("syncs", slug=api.a.slug), api.a_rw), 405)
    response = Client().post(
        url("syncs", slug=api.a.slug),
        "kind=manual",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {api.a_rw}",
    )
    _problem(response, 415)
    response = Client().post(
        url("syncs", slug=api.a.slug),
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.a_rw}",
    )
    assert _problem(response, 400)["code"] == "parse_error"


def test_it_lists_field_errors_in_a_validation_problem(api: ApiWorld) -> None:
    response = call(
        "post", url("syncs", slug=api.a.slug), api.a_rw, {"kind": "backfill", "start": "x"}
    )
    body = _problem(response, 400)
    assert body["code"] == "invalid"
    fields = {error["field"] for error in body["errors"]}  # type: ignore[union-attr]
    assert fields == {"start"}
    response = call("post", url("syncs", slug=api.a.slug), api.a_rw, {"kind": "backfill"})
    fields = {e["field"] for e in _problem(response, 400)["errors"]}  # type: ignore[union-attr]
    assert fields == {"start", "end"}
    response = call("post", url("syncs", slug=api.a.slug), api.a_rw, [1, 2])
    assert _problem(response, 400)["errors"]


def test_it_writes_times_with_their_zone_and_money_in_minor_units(api: ApiWorld) -> None:
    body = call("get", url("document", slug=api.a.slug, pk=api.a.document.pk), api.a_rw).json()
    assert body["amount"] == {"amount": 5000, "currency": "usd"}
    assert body["stripe"]["net"] == {"amount": 4681, "currency": "usd"}
    assert datetime.fromisoformat(body["created"]).tzinfo is not None
    assert body["created"].endswith("Z")


def test_it_pages_lists_with_a_cursor(api: ApiWorld) -> None:
    for _ in range(4):
        SyncRun.objects.create(
            tenant=api.a.tenant, connection=api.a.stripe, kind="scan", trigger="schedule"
        )
    expected = list(
        SyncRun.objects.filter(tenant=api.a.tenant).order_by("-id").values_list("id", flat=True)
    )
    seen: list[int] = []
    target: str | None = url("syncs", slug=api.a.slug) + "?limit=2"
    while target:
        body = call("get", target, api.a_rw).json()
        assert len(body["results"]) <= 2
        seen += [run["id"] for run in body["results"]]
        target = body["next"]
    assert seen == expected
    _problem(call("get", url("syncs", slug=api.a.slug) + "?cursor=bogus", api.a_rw), 404)


def test_it_filters_documents(api: ApiWorld) -> None:
    def ids(query: str) -> set[int]:
        response = call("get", url("documents", slug=api.a.slug) + query, api.a_rw)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    doc, posted = api.a.document.pk, api.a.posted.pk
    assert ids("") == {doc, posted}
    assert ids("?status=needs_action") == {doc}
    assert ids("?type=Purchase") == {posted}
    assert ids("?stripe_id=ch_a1") == {doc, posted}
    assert ids("?stripe_id=po_a1&status=posted") == {posted}
    assert ids("?stripe_id=ch_b1") == set()
    OutboxDocument.objects.filter(pk=doc).update(created=datetime(2026, 10, 1, tzinfo=UTC))
    assert ids("?created_before=2026-10-02T00:00:00Z") == {doc}
    assert ids("?created_after=2026-10-02T00:00:00%2B02:00") == {posted}
    body = _problem(call("get", url("documents", slug=api.a.slug) + "?status=nope", api.a_rw), 400)
    assert body["errors"][0]["field"] == "status"  # type: ignore[index]


def test_it_filters_runs_and_tie_outs(api: ApiWorld) -> None:
    runs = call("get", url("syncs", slug=api.a.slug) + "?status=succeeded", api.a_rw).json()
    assert runs["results"] == []
    tie_out = url("tie_out", slug=api.a.slug)
    assert len(call("get", tie_out + "?ok=true&kind=payout", api.a_rw).json()["results"]) == 1
    assert call("get", tie_out + "?ok=false", api.a_rw).json()["results"] == []


def test_it_replays_a_repeated_post_with_the_same_idempotency_key(api: ApiWorld) -> None:
    target = url("syncs", slug=api.a.slug)
    body = {"kind": "manual"}
    headers = {"Idempotency-Key": "sync-2026-11-23"}
    before = SyncRun.objects.count()
    first = call("post", target, api.a_rw, body, headers)
    second = call("post", target, api.a_rw, body, headers)
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert SyncRun.objects.count() == before + 1
    # Another key is another request.
    third = call("post", target, api.a_rw, body, {"Idempotency-Key": "another"})
    assert third.status_code == 202 and third.json()["id"] != first.json()["id"]


def test_it_refuses_an_idempotency_key_reused_with_another_body(api: ApiWorld) -> None:
    target = url("connect_links", slug=api.a.slug)
    headers = {"Idempotency-Key": "k1"}
    assert call("post", target, api.a_rw, None, headers).status_code == 201
    before = ConnectLink.objects.count()
    response = call("post", target, api.a_rw, {"other": True}, headers)
    assert _problem(response, 422)["code"] == "idempotency_key_reused"
    assert ConnectLink.objects.count() == before


def test_it_answers_409_while_the_first_request_is_in_flight(api: ApiWorld) -> None:
    target = url("connect_links", slug=api.a.slug)
    headers = {"Idempotency-Key": "in-flight"}
    assert call("post", target, api.a_rw, None, headers).status_code == 201
    IdempotencyRecord.objects.filter(key="in-flight").update(status_code=None, body=None)
    response = call("post", target, api.a_rw, None, headers)
    assert _problem(response, 409)["code"] == "idempotency_in_progress"


def test_it_scopes_idempotency_keys_to_the_api_key(api: ApiWorld) -> None:
    headers = {"Idempotency-Key": "shared-name"}
    a = call("post", url("connect_links", slug=api.a.slug), api.a_rw, None, headers)
    b = call("post", url("connect_links", slug=api.b.slug), api.b_rw, None, headers)
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b and a.json()["id"] != b.json()["id"]


def test_it_frees_the_idempotency_key_after_a_refused_request(api: ApiWorld) -> None:
    target = url("syncs", slug=api.a.slug)
    headers = {"Idempotency-Key": "retry-me"}
    assert call("post", target, api.a_rw, {"kind": "nope"}, headers).status_code == 400
    assert call("post", target, api.a_rw, {"kind": "manual"}, headers).status_code == 202


def test_the_daily_purge_forgets_only_answers_that_no_longer_replay(
    api: ApiWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "PURGE_BATCH", 1)  # so that it takes more than one batch
    target = url("syncs", slug=api.a.slug)
    body = {"kind": "manual"}
    first = call("post", target, api.a_rw, body, {"Idempotency-Key": "yesterday"})
    call("post", target, api.a_rw, body, {"Idempotency-Key": "today"})
    just_expired = timezone.now() - IDEMPOTENCY_TTL - timedelta(seconds=1)
    IdempotencyRecord.objects.filter(key="yesterday").update(created=just_expired)
    IdempotencyRecord.objects.create(
        principal="key:0", key="crashed", fingerprint="x", created=just_expired
    )

    assert purge_idempotency_records() == 2

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["today"]
    replay = call("post", target, api.a_rw, body, {"Idempotency-Key": "today"})
    assert replay["Idempotent-Replayed"] == "true"
    # The purged key is a new request again, as it already was after the TTL.
    again = call("post", target, api.a_rw, body, {"Idempotency-Key": "yesterday"})
    assert "Idempotent-Replayed" not in again and again.json()["id"] != first.json()["id"]


@override_settings(API_RATE_LIMIT="3/minute")
def test_it_limits_requests_per_key_with_retry_after(api: ApiWorld) -> None:
    target = url("organisations")
    assert [call("get", target, api.a_read).status_code for _ in range(3)] == [200] * 3
    response = call("get", target, api.a_read)
    body = _problem(response, 429)
    assert body["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another key has its own budget.
    assert call("get", target, api.a_rw).status_code == 200


def test_it_refuses_a_malformed_rate_limit_at_start() -> None:
    script = "import config.settings"
    for value, ok in [("10/fortnight", False), ("soon", False), ("120/hour", True)]:
        env = {"PATH": os.environ["PATH"], "DEBUG": "true", "API_RATE_LIMIT": value}
        result = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (result.returncode == 0) == ok, (value, result.stderr)
        assert ok or "API_RATE_LIMIT must look like 600/minute" in result.stderr


def test_it_refuses_an_unprintable_idempotency_key(api: ApiWorld) -> None:
    target = url("connect_links", slug=api.a.slug)
    for key in ["", " ", "x" * 256, "caf\u00e9", "a\tb"]:
        response = call("post", target, api.a_rw, None, {"Idempotency-Key": key})
        assert _problem(response, 400)["errors"][0]["field"] == "Idempotency-Key", key
    assert not IdempotencyRecord.objects.exists()
