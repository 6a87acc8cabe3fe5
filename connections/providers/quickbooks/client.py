"""QuickBooks Online: OAuth through intuit-oauth, and the company reads we need at connect.

OAuth uses intuit-oauth 1.2.6 (python-quickbooks pins it) behind a subclass that adds what
it lacks: a timeout on every call and a cached discovery document (its constructor fetches
the document on every instantiation). API reads are thin `requests` calls through
connections.http, which classifies errors at the boundary (see docs/decisions.md).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from pydantic import BaseModel

from connections import http
from connections.providers.errors import (
    AccessTokenExpired,
    AuthRevoked,
    ProviderError,
    RateLimited,
)
from connections.providers.quickbooks.types import CompanyInfo, Preferences, Tokens

DISCOVERY_TTL_SECONDS = 24 * 60 * 60
_discovery_cache: dict[str, tuple[float, requests.Response]] = {}
_discovery_lock = threading.Lock()


class TieoutAuthClient(AuthClient):
    """intuit-oauth's AuthClient with timeouts and a per-process discovery cache."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", http.TIMEOUT)
        url_text = url.decode() if isinstance(url, bytes) else url
        if str(method).upper() == "GET" and "openid" in url_text and "configuration" in url_text:
            return self._discovery(url_text, *args, **kwargs)
        return super().request(method, url, *args, **kwargs)

    def _discovery(self, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        with _discovery_lock:
            cached = _discovery_cache.get(url)
            if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
                return cached[1]
        response = super().request("GET", url, *args, **kwargs)
        if response.status_code == 200:
            with _discovery_lock:
                _discovery_cache[url] = (time.monotonic(), response)
        return response


def redirect_uri() -> str:
    return settings.SITE_URL + reverse("connections:quickbooks_callback")


def auth_client(**kwargs: Any) -> TieoutAuthClient:
    if not (settings.INTUIT_CLIENT_ID and settings.INTUIT_CLIENT_SECRET):
        raise ProviderError(
            "This Tieout server is not set up to connect QuickBooks yet (an administrator must "
            "set INTUIT_CLIENT_ID and INTUIT_CLIENT_SECRET).",
            permanent=True,
        )
    environment = settings.INTUIT_DISCOVERY_URL or settings.INTUIT_ENVIRONMENT
    try:
        return TieoutAuthClient(
            settings.INTUIT_CLIENT_ID,
            settings.INTUIT_CLIENT_SECRET,
            redirect_uri(),
            environment,
            **kwargs,
        )
    except (AuthClientError, requests.RequestException):
        raise ProviderError(
            "Intuit's sign-in service could not be reached.", permanent=False
        ) from None


def authorization_url(state: str) -> str:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
    return auth_client().get_authorization_url([Scopes.ACCOUNTING], state_token=state)


def _tokens(client: TieoutAuthClient) -> Tokens:
    now = timezone.now()
    refresh_seconds = client.x_refresh_token_expires_in
    return Tokens(
        access_token=client.access_token,
        refresh_token=client.refresh_token,
        access_expires_at=now + timedelta(seconds=int(client.expires_in or 3600)),
        refresh_expires_at=now + timedelta(seconds=int(refresh_seconds))
        if refresh_seconds
        else None,
    )


def _auth_error(error: AuthClientError) -> ProviderError:
    body = getattr(error, "content", b"") or b""
    if getattr(error, "status_code", 0) in (400, 401) and b"invalid_grant" in bytes(body):
        return AuthRevoked(
            "QuickBooks no longer accepts Tieout's approval (it expired or was revoked).",
            code="invalid_grant",
        )
    return ProviderError(
        f"Intuit refused the request (HTTP {getattr(error, 'status_code', '?')}).",
        permanent=getattr(error, "status_code", 500) < 500,
    )


@contextmanager
def _intuit_errors() -> Iterator[None]:
    """intuit-oauth raises AuthClientError for any non-200 and lets requests' errors through."""
    try:
        yield
    except AuthClientError as error:
        raise _auth_error(error) from None
    except requests.RequestException:
        raise ProviderError(
            "Intuit's sign-in service could not be reached.", permanent=False
        ) from None


def exchange_code(code: str, realm_id: str) -> Tokens:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#exchange-code
    client = auth_client()
    with _intuit_errors():
        client.get_bearer_token(code, realm_id=realm_id)
    return _tokens(client)


def refresh(refresh_token: str) -> Tokens:
    """Exchange the refresh token; Intuit rotates it, so the caller must store the new one."""
    client = auth_client()
    with _intuit_errors():
        client.refresh(refresh_token=refresh_token)
    return _tokens(client)


def revoke(token: str) -> None:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#revoke-token-disconnect
    with _intuit_errors():
        auth_client().revoke(token=token)


def _get(access_token: str, realm_id: str, path: str) -> dict[str, Any]:
    url = f"{settings.INTUIT_API_BASE}/v3/company/{realm_id}/{path}"
    response = http.request(
        "GET",
        url,
        params={"minorversion": settings.INTUIT_MINOR_VERSION},
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    _raise_for_transport(response)
    if response.status_code != 200:
        raise ProviderError(
            f"QuickBooks refused the request (HTTP {response.status_code}).", permanent=True
        )
    data: dict[str, Any] = response.json()
    return data


def company_info(access_token: str, realm_id: str) -> CompanyInfo:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo
    info = _get(access_token, realm_id, f"companyinfo/{realm_id}")["CompanyInfo"]
    return CompanyInfo(company_name=info.get("CompanyName", ""), country=info.get("Country", ""))


def preferences(access_token: str, realm_id: str) -> Preferences:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences
    prefs = _get(access_token, realm_id, "preferences")["Preferences"]
    currency = prefs.get("CurrencyPrefs", {})
    sales = prefs.get("SalesFormsPrefs", {})
    closing = prefs.get("AccountingInfoPrefs", {}).get("BookCloseDate")
    return Preferences(
        home_currency=currency.get("HomeCurrency", {}).get("value", ""),
        multicurrency_enabled=bool(currency.get("MultiCurrencyEnabled", False)),
        custom_txn_numbers=bool(sales.get("CustomTxnNumbers", False)),
        books_closed_on=date.fromisoformat(closing) if closing else None,
    )


# --- Writes and lookups for the poster ---------------------------------------------------


class BatchItemResult(BaseModel):
    bid: str
    entity: dict[str, Any] | None = None
    fault_code: str = ""
    fault_message: str = ""
    fault_detail: str = ""


def _raise_for_transport(response: requests.Response) -> None:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
    if response.status_code == 401:
        raise AccessTokenExpired()
    if response.status_code == 429:
        raise RateLimited("QuickBooks asked us to slow down (60 s pause).", retry_after=60)
    if response.status_code >= 500:
        raise ProviderError(f"QuickBooks answered {response.status_code}.", permanent=False)


class BatchCreate(BaseModel):
    bid: str
    entity: str
    body: str  # the entity's JSON, sent as is so that amounts keep their exact decimals


def batch_body(items: list[BatchCreate]) -> str:
    """The batch request as text: each entity's JSON is embedded byte for byte."""
    parts = [
        f'{{"bId": {json.dumps(item.bid)}, "operation": "create", '
        f"{json.dumps(item.entity)}: {item.body}}}"
        for item in items
    ]
    return '{"BatchItemRequest": [' + ", ".join(parts) + "]}"


def batch(
    access_token: str, realm_id: str, *, request_id: str, items: list[BatchCreate]
) -> list[BatchItemResult]:
    """Send ≤ 30 creates in one call; each item succeeds or fails on its own.

    Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch
    """
    response = http.request(
        "POST",
        f"{settings.INTUIT_API_BASE}/v3/company/{realm_id}/batch",
        params={"minorversion": settings.INTUIT_MINOR_VERSION, "requestid": request_id},
        headers={
            "Authorization": f"Bearer {access_token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
        data=batch_body(items).encode(),
    )
    _raise_for_transport(response)
    if response.status_code != 200:
        raise ProviderError(
            f"QuickBooks refused the batch (HTTP {response.status_code}).", permanent=True
        )
    return [_batch_item(item) for item in response.json().get("BatchItemResponse", [])]


def _batch_item(item: dict[str, Any]) -> BatchItemResult:
    fault = item.get("Fault")
    if fault:
        error = (fault.get("Error") or [{}])[0]
        return BatchItemResult(
            bid=str(item.get("bId", "")),
            fault_code=str(error.get("code", "")),
            fault_message=str(error.get("Message", "")),
            fault_detail=str(error.get("Detail", "")),
        )
    entity = next(
        (
            value
            for key, value in item.items()
            if key not in ("bId", "time") and isinstance(value, dict)
        ),
        None,
    )
    return BatchItemResult(bid=str(item.get("bId", "")), entity=entity)


def query(access_token: str, realm_id: str, statement: str) -> list[dict[str, Any]]:
    """Run one query; returns the entities found (reads are metered: used for recovery only).

    Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
    """
    response = http.request(
        "GET",
        f"{settings.INTUIT_API_BASE}/v3/company/{realm_id}/query",
        params={"minorversion": settings.INTUIT_MINOR_VERSION, "query": statement},
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    _raise_for_transport(response)
    if response.status_code != 200:
        raise ProviderError(
            f"QuickBooks refused the query (HTTP {response.status_code}).", permanent=True
        )
    found = response.json().get("QueryResponse", {})
    return [entity for value in found.values() if isinstance(value, list) for entity in value]


def quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
