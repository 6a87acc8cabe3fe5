"""Emulators wired into settings, for tests that run real OAuth flows and API calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from django.test import Client, override_settings

from connections.providers.quickbooks import client as qbo_client
from emulators.quickbooks.testing import RunningEmulator, discovery_url, serve
from emulators.stripe import store as stripe_store
from emulators.stripe import testing as stripe_testing
from emulators.stripe.testing import RunningEmulator as StripeEmulator
from emulators.stripe.testing import serve as serve_stripe


class OAuthCalls:
    """Counts calls to the emulator's token and revoke endpoints (its request log counts only
    Accounting API calls)."""

    def __init__(self, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
        self.token = 0
        self.revoke = 0
        oauth = emulator.app.oauth
        token, revoke = oauth.token, oauth.revoke

        def counting_token(request: Any) -> Any:
            self.token += 1
            return token(request)

        def counting_revoke(request: Any) -> Any:
            self.revoke += 1
            return revoke(request)

        monkeypatch.setattr(oauth, "token", counting_token)
        monkeypatch.setattr(oauth, "revoke", counting_revoke)


@pytest.fixture
def qbo(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    with serve() as emulator:
        emulator.oauth_calls = OAuthCalls(emulator, monkeypatch)  # type: ignore[attr-defined]
        qbo_client._discovery_cache.clear()
        with override_settings(
            INTUIT_CLIENT_ID=emulator.client_id,
            INTUIT_CLIENT_SECRET=emulator.client_secret,
            INTUIT_DISCOVERY_URL=discovery_url(emulator.url),
            INTUIT_API_BASE=emulator.url,
            INTUIT_ENVIRONMENT="sandbox",
        ):
            yield emulator
        qbo_client._discovery_cache.clear()


def approve_on_intuit(authorize_url: str, company_name: str = "Acme Books") -> str:
    """Play the user on the emulator's authorize page; return our callback's path and query."""
    response = requests.post(
        authorize_url,
        data={"decision": "allow", "realm_id": "new", "company_name": company_name},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    callback = urlparse(response.headers["Location"])
    return f"{callback.path}?{callback.query}"


def connect_quickbooks(client: Client, slug: str, company_name: str = "Acme Books") -> str:
    start = client.post(f"/o/{slug}/connections/quickbooks/start/")
    assert start.status_code == 302, start.content
    return approve_on_intuit(start["Location"], company_name)


@pytest.fixture
def stripe_emu() -> Iterator[StripeEmulator]:
    with (
        serve_stripe() as emulator,
        override_settings(
            STRIPE_API_BASE=emulator.url,
            STRIPE_CONNECT_BASE=emulator.url,
            STRIPE_SECRET_KEY=stripe_testing.PLATFORM_KEY,
            STRIPE_CONNECT_CLIENT_ID=stripe_testing.CONNECT_CLIENT_ID,
            STRIPE_APP_CLIENT_ID=stripe_store.APP_CLIENT_ID,
            # The app publisher's secret key authenticates the Stripe Apps token exchange.
            STRIPE_APP_CLIENT_SECRET=stripe_testing.PLATFORM_KEY,
            STRIPE_APP_AUTHORIZE_URL=f"{emulator.url}/oauth/v2/authorize",
        ),
    ):
        yield emulator
