"""Fixtures for the QuickBooks emulator tests: a served emulator, a connected company and a raw
HTTP client that speaks QBO's wire format (python-quickbooks is exercised separately)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import requests
from intuitlib.client import AuthClient

from emulators.quickbooks import jsonio
from emulators.quickbooks.testing import RunningEmulator, serve
from tests.shared import SHARED_DIR, shared_path

XSD_PARTS = ("reference", "quickbooks-xsd")


@pytest.fixture(scope="session", autouse=True)
def _xsd_dir_for_emulator() -> None:
    # The emulator reads QBO_XSD_DIR; point it at the shared folder the tests use (if present,
    # tests that depend on XSD validation request `xsd_dir` and skip or fail without it).
    path = SHARED_DIR.joinpath(*XSD_PARTS)
    if path.exists():
        os.environ.setdefault("QBO_XSD_DIR", str(path))


@pytest.fixture(scope="session")
def xsd_dir() -> Any:
    return shared_path(*XSD_PARTS)


@pytest.fixture
def qbo() -> Iterator[RunningEmulator]:
    with serve() as running:
        yield running


@dataclass
class Conn:
    """A connected company and a raw client for its API."""

    qbo: RunningEmulator
    auth: AuthClient
    realm: str

    @property
    def base(self) -> str:
        return f"{self.qbo.url}/v3/company/{self.realm}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.auth.access_token}", "Accept": "application/json"}

    def post(self, entity: str, body: Any, **params: str) -> requests.Response:
        params.setdefault("minorversion", "75")
        return requests.post(
            f"{self.base}/{entity.lower()}",
            params=params,
            data=jsonio.dumps(body),
            timeout=10,
            headers={**self.headers(), "Content-Type": "application/json"},
        )

    def create(self, entity: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        response = self.post(entity, body, **params)
        assert response.status_code == 200, response.text
        return jsonio.loads(response.text)[entity]

    def get(self, path: str, **params: str) -> requests.Response:
        params.setdefault("minorversion", "75")
        return requests.get(
            f"{self.base}/{path}", params=params, headers=self.headers(), timeout=10
        )

    def query(self, text: str) -> dict[str, Any]:
        response = self.get("query", query=text)
        assert response.status_code == 200, response.text
        return jsonio.loads(response.text)["QueryResponse"]

    def account(self, name: str) -> dict[str, Any]:
        found = self.query(f"select * from Account where Name = '{name}'")["Account"]
        return found[0]

    def item(self, name: str) -> dict[str, Any]:
        return self.query(f"select * from Item where Name = '{name}'")["Item"][0]

    def customer(self, name: str = "Jane Doe", **extra: Any) -> dict[str, Any]:
        return self.create("Customer", {"DisplayName": name, **extra})


@pytest.fixture
def conn(qbo: RunningEmulator) -> Conn:
    auth, realm = qbo.connect()
    return Conn(qbo, auth, realm)


def fault_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert "Fault" in body, body
    return body["Fault"]


def fault_code(response: requests.Response) -> str:
    assert response.status_code == 400, (response.status_code, response.text)
    return str(fault_of(response)["Error"][0]["code"])


def sales_line(item_id: str, amount: str, **detail: Any) -> dict[str, Any]:
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": Decimal(amount),
        "SalesItemLineDetail": {"ItemRef": {"value": item_id}, **detail},
    }


def ref(entity: dict[str, Any]) -> dict[str, str]:
    return {"value": entity["Id"]}
