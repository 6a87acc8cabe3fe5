"""Serve the emulator in-process for tests, and build real intuit-oauth / python-quickbooks
clients pointed at it by base URL only.

    with serve() as qbo:
        auth, realm_id = qbo.connect()       # OAuth end to end, through the authorize page
        qb = qbo.quickbooks(auth, realm_id)  # python-quickbooks QuickBooks client
        qbo.clock.advance(3601)              # the access token is now expired

How the clients are pointed here (nothing else changes):
- intuit-oauth: `environment=<url>/.well-known/openid_sandbox_configuration/`. intuit-oauth
  treats any environment other than sandbox/production as a discovery-document URL.
- python-quickbooks: `qb.api_url_v3 = qb.sandbox_api_url_v3 = <url>/v3` on the instance.
- requests-oauthlib refuses plain http unless OAUTHLIB_INSECURE_TRANSPORT=1; `serve()` sets it
  for its duration (loopback only).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks import QuickBooks
from werkzeug.serving import BaseWSGIServer, make_server

from emulators.quickbooks.chaos import Switches
from emulators.quickbooks.clock import Clock, ManualClock
from emulators.quickbooks.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TokenPolicy
from emulators.quickbooks.server import Emulator
from emulators.quickbooks.store import Company, Store
from emulators.quickbooks.throttle import Limits

REDIRECT_URI = "http://127.0.0.1:8000/connections/quickbooks/callback/"
MINOR_VERSION = 75


def discovery_url(base_url: str) -> str:
    return f"{base_url}/.well-known/openid_sandbox_configuration/"


def point_quickbooks(qb: QuickBooks, base_url: str) -> QuickBooks:
    """Send a python-quickbooks client's API calls to base_url instead of intuit.com."""
    qb.api_url_v3 = f"{base_url}/v3"
    qb.sandbox_api_url_v3 = f"{base_url}/v3"
    return qb


@dataclass
class RunningEmulator:
    url: str
    app: Emulator
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    redirect_uri: str = REDIRECT_URI

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def clock(self) -> Clock:
        return self.app.clock

    @property
    def switches(self) -> Switches:
        return self.app.chaos.switches

    @property
    def limits(self) -> Limits:
        return self.app.throttle.limits

    @property
    def api_url(self) -> str:
        return f"{self.url}/v3"

    def company(self, realm_id: str) -> Company:
        company = self.store.company(realm_id)
        assert company is not None, realm_id
        return company

    def auth_client(self, **kwargs: Any) -> AuthClient:
        return AuthClient(
            self.client_id, self.client_secret, self.redirect_uri, discovery_url(self.url), **kwargs
        )

    def authorize(
        self,
        auth: AuthClient,
        realm_id: str = "new",
        company_name: str = "",
        decision: str = "allow",
    ) -> dict[str, str]:
        """Play the user on the authorize page; return the callback's query parameters."""
        url = auth.get_authorization_url([Scopes.ACCOUNTING])
        form = {"decision": decision, "realm_id": realm_id, "company_name": company_name}
        response = requests.post(url, data=form, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["Location"]).query)
        return {k: v[0] for k, v in query.items()}

    def connect(self, realm_id: str = "new", company_name: str = "") -> tuple[AuthClient, str]:
        """OAuth end to end: authorize page → code → tokens. Returns the client and realmId."""
        auth = self.auth_client()
        callback = self.authorize(auth, realm_id, company_name)
        assert callback["state"] == auth.state_token
        auth.get_bearer_token(callback["code"], realm_id=callback["realmId"])
        return auth, callback["realmId"]

    def quickbooks(self, auth: AuthClient, realm_id: str) -> QuickBooks:
        qb = QuickBooks(
            auth_client=auth,
            refresh_token=auth.refresh_token,
            company_id=realm_id,
            minorversion=MINOR_VERSION,
            use_decimal=True,
        )
        return point_quickbooks(qb, self.url)


@contextmanager
def serve(
    *,
    clock: Clock | None = None,
    limits: Limits | None = None,
    token_policy: TokenPolicy | None = None,
    state_file: Path | None = None,
) -> Iterator[RunningEmulator]:
    """Run the emulator on 127.0.0.1 with an ephemeral port in a background thread."""
    clock = clock or ManualClock()
    app = Emulator(store=Store(clock, state_file), limits=limits, token_policy=token_policy)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.01},
        name="qbo-emulator",
        daemon=True,
    )
    previous = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    thread.start()
    try:
        yield RunningEmulator(url=f"http://127.0.0.1:{server.port}", app=app)
    finally:
        _stop(server, thread, app)
        if previous is None:
            os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = previous


def _stop(server: BaseWSGIServer, thread: threading.Thread, app: Emulator) -> None:
    app.chaos.release.set()  # wake any request held by latency or timeout injection
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
