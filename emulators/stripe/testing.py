"""Serve the Stripe emulator in-process for tests, and build real `stripe.StripeClient`s
pointed at it by base address only.

    with serve() as emu:
        client = emu.client()                          # platform test secret key
        client.v1.customers.create({"email": "a@example.com"})
        emu.advance(days=3)                            # funds available, payouts run
        emu.deliver()                                  # send due webhooks now

`WebhookSink` is a tiny receiver on 127.0.0.1 that records what the emulator posts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests
import stripe
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from emulators.stripe import store as store_module
from emulators.stripe.fees import Pricing
from emulators.stripe.server import StripeEmulator
from emulators.stripe.store import DAY, Store

PLATFORM_KEY = store_module.PLATFORM_SECRET_TEST
READONLY_KEY = store_module.PLATFORM_READONLY_TEST
CONNECT_CLIENT_ID = store_module.CONNECT_CLIENT_ID
REDIRECT_URI = "http://127.0.0.1:8000/connections/stripe/callback/"


@dataclass
class RunningEmulator:
    url: str
    app: StripeEmulator

    @property
    def store(self) -> Store:
        return self.app.store

    def client(self, key: str = PLATFORM_KEY, **kwargs: Any) -> stripe.StripeClient:
        """A real StripeClient whose "api" and "connect" base addresses point here."""
        kwargs.setdefault("client_id", CONNECT_CLIENT_ID)
        return stripe.StripeClient(
            key, base_addresses={"api": self.url, "connect": self.url}, **kwargs
        )

    # The admin API has no stripe-python method; these helpers speak plain HTTP to it.

    def admin(self, method: str, path: str, **payload: Any) -> dict[str, Any]:
        response = requests.request(
            method, f"{self.url}/_emulator/{path}", json=payload, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, *, seconds: int = 0, days: int = 0) -> int:
        return int(self.admin("POST", "clock/advance", seconds=seconds + days * DAY)["now"])

    def deliver(self) -> int:
        return int(self.admin("POST", "webhooks/deliver")["sent"])

    def seed(self, **options: Any) -> dict[str, Any]:
        return self.admin("POST", "seed", **options)

    def connected_account(self, **options: Any) -> dict[str, Any]:
        """A connected account of the platform, with its own secret keys."""
        return self.admin("POST", "accounts", **options)

    def restricted_key(self, permissions: dict[str, str], account: str | None = None) -> str:
        payload: dict[str, Any] = {"permissions": permissions}
        if account:
            payload["account"] = account
        return str(self.admin("POST", "keys/restricted", **payload)["key"])

    def authorize(
        self, authorize_url: str, decision: str = "allow", account: str = ""
    ) -> dict[str, str]:
        """Play the user on an OAuth consent page; return the redirect's query parameters."""
        parsed = urlparse(authorize_url)
        page = requests.get(authorize_url, timeout=10)
        assert page.status_code == 200, page.text
        form = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        form.update({"decision": decision, "account": account})
        response = requests.post(
            f"{self.url}{parsed.path}", data=form, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["Location"]).query)
        return {k: v[0] for k, v in query.items()}

    def app_authorize_url(self, state: str, redirect_uri: str = REDIRECT_URI) -> str:
        query = urlencode(
            {"client_id": store_module.APP_CLIENT_ID, "redirect_uri": redirect_uri, "state": state}
        )
        return f"{self.url}/oauth/v2/authorize?{query}"


class QuietHandler(WSGIRequestHandler):
    """No per-request access log lines in test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


@contextmanager
def _serve_wsgi(app: Any, name: str) -> Iterator[BaseWSGIServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name=name, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve(
    *,
    store: Store | None = None,
    pricing: Pricing | None = None,
    seed: int = 0,
    background_delivery: bool = False,
) -> Iterator[RunningEmulator]:
    """Run the emulator on 127.0.0.1 with an ephemeral port in a background thread.

    Webhooks are only sent when the test calls `deliver()`, unless background_delivery=True.
    """
    app = StripeEmulator(
        store or Store(pricing=pricing, seed=seed), background_delivery=background_delivery
    )
    try:
        with _serve_wsgi(app, "stripe-emulator") as server:
            yield RunningEmulator(url=f"http://127.0.0.1:{server.port}", app=app)
    finally:
        app.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class WebhookSink:
    """Records webhook POSTs; answers `statuses` in turn (then 200)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.received.append(Received(dict(request.headers), request.get_data()))
            status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)


@contextmanager
def webhook_sink(statuses: list[int] | None = None) -> Iterator[WebhookSink]:
    sink = WebhookSink(statuses=list(statuses or []))
    with _serve_wsgi(sink, "stripe-webhook-sink") as server:
        sink.url = f"http://127.0.0.1:{server.port}/webhooks/stripe"
        yield sink
