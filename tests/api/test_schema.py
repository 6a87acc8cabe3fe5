"""The OpenAPI document: it generates without a warning, every operation has examples and
documents its problems, and the docs page serves its assets from us (no CDN)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

METHODS = {"get", "post", "patch", "put", "delete"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    path: Path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn turns any drf-spectacular warning or error into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def _operations(document: dict) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_it_describes_only_the_v1_api(document: dict) -> None:  # type: ignore[type-arg]
    assert document["paths"]
    assert all(path.startswith("/api/v1/organisations/") for path in document["paths"])
    assert len(_operations(document)) >= 35


def test_it_gives_every_operation_a_summary_examples_and_problems(document: dict) -> None:  # type: ignore[type-arg]
    for path, method, operation in _operations(document):
        label = f"{method.upper()} {path}"
        assert operation.get("summary"), label
        responses = operation["responses"]
        for status in ("401", "404", "429"):
            assert "application/problem+json" in responses[status]["content"], (label, status)
        success = [s for s in responses if s.startswith("2")]
        assert success, label
        for status in success:
            if status == "204":
                continue
            media = responses[status]["content"]["application/json"]
            assert media.get("examples"), (label, status)
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert body.get("examples"), (label, "request")
        if method != "get":
            assert "403" in responses and "400" in responses, label


def test_it_describes_money_and_key_authentication(document: dict) -> None:  # type: ignore[type-arg]
    money = document["components"]["schemas"]["Money"]
    assert money["properties"]["amount"]["type"] == "integer"
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An organisation key (tk_org_…) or a partner key (tk_ptr_…).",
    }


@pytest.mark.django_db
def test_it_serves_the_schema_and_a_docs_page_without_a_cdn() -> None:
    client = Client()
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert schema.json()["info"]["title"] == "Tieout Partner API"
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
