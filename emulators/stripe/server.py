"""The emulator as a WSGI app: Stripe's API under /v1, Connect OAuth under /oauth (point both
stripe-python base addresses "api" and "connect" here), Stripe Apps OAuth at /oauth/v2/authorize
and /v1/oauth/token, and the emulator's own admin API under /_emulator (not part of Stripe).
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from emulators.stripe import errors, forms, ledger, oauth, resources, scenarios, webhooks
from emulators.stripe.errors import OAuthError, StripeError
from emulators.stripe.shapes import API_VERSION
from emulators.stripe.store import PLATFORM_ACCOUNT, Store

logger = logging.getLogger(__name__)
WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
READ_METHODS = ("GET", "HEAD")
IDEMPOTENCY_TTL = 86400
IDEMPOTENCY_PRUNE_AT = 2000
REQUEST_LOG_SIZE = 10000


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, indent=2),
        status=status,
        headers=headers or {},
        content_type="application/json",
    )


class StripeEmulator:
    """WSGI app. `store` holds everything; `deliver()` sends due webhooks synchronously."""

    def __init__(self, store: Store | None = None, *, background_delivery: bool = False) -> None:
        self.store = store or Store()
        self.api_routes = Map(
            [
                Rule(path, methods=methods, endpoint=(handler, permission))
                for path, methods, handler, permission in resources.ROUTES
            ],
            strict_slashes=False,
        )
        self.admin_routes = Map(
            [Rule(path, methods=m.split(), endpoint=h) for path, m, h in self._admin_table()]
        )
        self._request_ids = itertools.count(1)
        self._windows: dict[str, deque[float]] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        if background_delivery:
            self.start_delivery()

    # --- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        try:
            if path.startswith("/_emulator"):
                return self.admin(request)
            if path.startswith(("/oauth", "/express/oauth")):
                return self.connect_oauth(request)
            return self.api(request)
        except OAuthError as exc:
            return json_response(exc.body(), exc.status)
        except Exception:
            # The top of the server: an emulator bug answers like a Stripe 500, logged here.
            logger.exception("emulator error on %s %s", request.method, path)
            error = StripeError(500, "An unknown error occurred", type="api_error")
            return json_response(error.body(), 500)

    # --- the API ---------------------------------------------------------------------------

    def api(self, request: Request) -> Response:
        request_id = f"req_{next(self._request_ids):014d}"
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("Stripe-Version", API_VERSION),
        }
        route = request.path
        try:
            adapter = self.api_routes.bind_to_environ(request.environ)
            rule, args = adapter.match(return_rule=True)
            handler, permission = rule.endpoint
            route = rule.rule
            ctx = self._context(request, permission, request_id)
            response = self._run(ctx, handler, args, request, headers)
        except StripeError as exc:
            response = json_response(exc.body(), exc.status, headers)
        except OAuthError as exc:
            response = json_response(exc.body(), exc.status, headers)
        except (NotFound, MethodNotAllowed):
            error = errors.unknown_url(request.method, request.path)
            response = json_response(error.body(), 404, headers)
        self._log(request, route, response.status_code, request_id)
        return response

    def _context(self, request: Request, permission: str, request_id: str) -> resources.Ctx:
        key, info = self._authenticate(request)
        with self.store.lock:
            account = self._target_account(request, key, info)
            self._authorize(request.method, key, info, account, permission)
            self._rate_limit(account, info["livemode"])
        pairs = (
            request.args.items(multi=True)
            if request.method in READ_METHODS
            else request.form.items(multi=True)
        )
        book = ledger.Book(
            self.store,
            account,
            info["livemode"],
            request_id,
            request.headers.get("Idempotency-Key"),
        )
        return resources.Ctx(
            self.store, book, forms.decode(pairs), request.method, request.path, key, info
        )

    def _authenticate(self, request: Request) -> tuple[str, dict[str, Any]]:
        header = request.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "basic":
            credential = base64.b64decode(credential).decode(errors="replace").split(":")[0]
        elif scheme.lower() != "bearer":
            credential = ""
        if not credential:
            raise errors.no_key()
        with self.store.lock:
            info = self.store.key_info(credential)
            if info is None or info["kind"] == "publishable":
                raise errors.bad_key(credential)
            if info["revoked"]:
                raise StripeError(
                    401,
                    f"The provided key '{errors.mask_key(credential)}' does "
                    f"not have access to account '{info['account']}'. "
                    "Application access may have been revoked.",
                    code="account_invalid",
                )
            if info["expires_at"] is not None and info["expires_at"] <= self.store.now:
                raise errors.expired_key(credential)
        return credential, info

    def _target_account(self, request: Request, key: str, info: dict[str, Any]) -> str:
        requested = request.headers.get("Stripe-Account")
        own = info["account"]
        if not requested or requested == own:
            return own
        account = self.store.account(requested)
        if account is None or account.get("_platform") != own or account.get("_revoked"):
            raise errors.no_account_access(key, requested)
        return requested

    def _authorize(
        self, method: str, key: str, info: dict[str, Any], account: str, permission: str
    ) -> None:
        if permission == "secret":
            if info["kind"] not in ("secret",):
                raise errors.no_permission(key, account, "secret")
            return
        if info["kind"] != "restricted":
            return
        needed = "read" if method in READ_METHODS else "write"
        granted = info["permissions"].get(permission, info["permissions"].get("*", "none"))
        if granted == "none" or (needed == "write" and granted != "write"):
            raise errors.no_permission(key, account, f"rak_{permission}_{needed}")

    def _rate_limit(self, account: str, livemode: bool) -> None:
        limits = self.store.state["rate_limit"]
        if limits["fail_next"] > 0:
            limits["fail_next"] -= 1
            raise errors.rate_limited()
        per_second = int(limits["per_second"])
        if per_second <= 0:
            return
        window = self._windows.setdefault(f"{account}|{livemode}", deque())
        now = time.monotonic()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= per_second:
            raise errors.rate_limited()
        window.append(now)

    def _run(
        self,
        ctx: resources.Ctx,
        handler: Callable[..., dict[str, Any]],
        args: dict[str, str],
        request: Request,
        headers: dict[str, str],
    ) -> Response:
        idem_key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if idem_key:
            headers["Idempotency-Key"] = idem_key
        with self.store.lock:
            if idem_key:
                replay = self._replay(ctx, idem_key, request, headers)
                if replay is not None:
                    return replay
            try:
                status, body = 200, resources.render(ctx, handler(ctx, **args))
            except StripeError as exc:
                status, body = exc.status, exc.body()
            if idem_key:
                self._remember(ctx, idem_key, request, status, body)
        if request.method not in READ_METHODS:
            self.store.save()
        return json_response(body, status, headers)

    def _fingerprint(self, request: Request) -> str:
        return json.dumps([request.method, request.path, sorted(request.form.items(multi=True))])

    def _replay(
        self, ctx: resources.Ctx, key: str, request: Request, headers: dict[str, str]
    ) -> Response | None:
        record = self.store.state["idempotency"].get(f"{ctx.book.lk}|{key}")
        if record is None:
            return None
        if record["fingerprint"] != self._fingerprint(request):
            error = errors.idempotency_mismatch(key)
            return json_response(error.body(), error.status, headers)
        headers["Idempotent-Replayed"] = "true"
        return json_response(record["body"], record["status"], headers)

    def _remember(
        self, ctx: resources.Ctx, key: str, request: Request, status: int, body: dict[str, Any]
    ) -> None:
        records = self.store.state["idempotency"]
        if len(records) >= IDEMPOTENCY_PRUNE_AT:
            # Stripe may forget keys once they are 24 hours old; so does the emulator clock.
            oldest = self.store.now - IDEMPOTENCY_TTL
            for stale in [k for k, r in records.items() if r["created"] < oldest]:
                del records[stale]
        records[f"{ctx.book.lk}|{key}"] = {
            "fingerprint": self._fingerprint(request),
            "status": status,
            "body": body,
            "created": self.store.now,
        }

    def _log(self, request: Request, route: str, status: int, request_id: str) -> None:
        with self.store.lock:
            log, counts = self.store.state["requests"], self.store.state["request_counts"]
            name = f"{request.method} {route}"
            counts[name] = counts.get(name, 0) + 1
            if len(log) >= REQUEST_LOG_SIZE:
                del log[: REQUEST_LOG_SIZE // 10]  # the log is a window; counts are forever
            log.append(
                {
                    "id": request_id,
                    "at": self.store.now,
                    "method": request.method,
                    "path": request.path,
                    "route": name,
                    "status": status,
                    "account": request.headers.get("Stripe-Account"),
                }
            )

    # --- Connect OAuth ---------------------------------------------------------------------

    def connect_oauth(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        kind = "app" if path == "/oauth/v2/authorize" else "connect"
        if path in ("/oauth/authorize", "/express/oauth/authorize", "/oauth/v2/authorize"):
            if request.method == "GET":
                return oauth.consent_page(request, kind)
            response = oauth.consent_submit(self.store, request, kind)
            self.store.save()
            return response
        if request.method != "POST" or path not in ("/oauth/token", "/oauth/deauthorize"):
            return json_response(errors.unknown_url(request.method, path).body(), 404)
        params = forms.decode(request.form.items(multi=True))
        info = self._oauth_caller(request, params)
        with self.store.lock:
            if path == "/oauth/token":
                body = oauth.token(self.store, params, info, kind="connect")
            else:
                body = oauth.deauthorize(self.store, params, info)
        self.store.save()
        self._log(request, path, 200, f"req_{next(self._request_ids):014d}")
        return json_response(body)

    def _oauth_caller(self, request: Request, params: dict[str, Any]) -> dict[str, Any] | None:
        header = request.headers.get("Authorization", "")
        key = header.partition(" ")[2] or params.get("client_secret", "")
        with self.store.lock:
            return self.store.key_info(key)

    # --- admin -----------------------------------------------------------------------------

    def _admin_table(self) -> list[tuple[str, str, Callable[..., Any]]]:
        return [
            ("/_emulator/health", "GET", lambda p: {"ok": True, "now": self.store.now}),
            ("/_emulator/reset", "POST", self.admin_reset),
            ("/_emulator/clock", "GET", lambda p: {"now": self.store.now}),
            ("/_emulator/clock/advance", "POST", self.admin_advance),
            ("/_emulator/seed", "POST", self.admin_seed),
            ("/_emulator/keys", "GET", self.admin_keys),
            ("/_emulator/keys/restricted", "POST", self.admin_restricted_key),
            ("/_emulator/accounts", "POST", self.admin_account),
            ("/_emulator/webhooks/deliveries", "GET", self.admin_deliveries),
            ("/_emulator/webhooks/deliver", "POST", lambda p: {"sent": self.deliver()}),
            ("/_emulator/chaos", "POST", self.admin_chaos),
            ("/_emulator/rate_limit", "POST", self.admin_rate_limit),
            ("/_emulator/requests", "GET", self.admin_requests),
            ("/_emulator/payouts/<payout_id>/fail", "POST", self.admin_fail_payout),
            ("/_emulator/fees", "POST", self.admin_fee),
            ("/_emulator/reserves", "POST", self.admin_reserve),
        ]

    def admin(self, request: Request) -> Response:
        try:
            handler, args = self.admin_routes.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            return json_response({"error": {"message": exc.description}}, exc.code or 404)
        params: dict[str, Any] = dict(request.args.items())
        if request.is_json:
            params.update(request.get_json() or {})
        else:
            params.update(forms.decode(request.form.items(multi=True)))
        try:
            with self.store.lock:
                body = handler(params, **args)
        except StripeError as exc:
            return json_response(exc.body(), exc.status)
        if request.method == "POST":
            self.store.save()
        return json_response(body)

    def _book(self, params: dict[str, Any]) -> ledger.Book:
        account = params.get("account") or PLATFORM_ACCOUNT
        if self.store.account(account) is None:
            raise errors.no_such("account", account, "account")
        return ledger.Book(self.store, account, str(params.get("livemode")).lower() == "true")

    def admin_reset(self, params: dict[str, Any]) -> dict[str, Any]:
        start = params.get("start")
        self.store.reset(start=int(start) if start else None)
        return {"reset": True, "now": self.store.now}

    def admin_advance(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("to"):
            target = int(params["to"])
        else:
            seconds = int(params.get("seconds", 0)) + int(params.get("days", 0)) * 86400
            target = self.store.now + seconds
        if target < self.store.now:
            raise errors.invalid("The clock only moves forward.", param="to")
        ledger.advance(self.store, target)
        return {"now": self.store.now}

    def admin_seed(self, params: dict[str, Any]) -> dict[str, Any]:
        options = scenarios.Options.from_params(params)
        return scenarios.generate(self.store, options)

    def admin_keys(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"keys": [{"key": k, **v} for k, v in self.store.state["keys"].items()]}

    def admin_restricted_key(self, params: dict[str, Any]) -> dict[str, Any]:
        book = self._book(params)
        permissions = params.get("permissions") or {"*": "read"}
        mode = "live" if book.livemode else "test"
        key = self.store.new_secret(f"rk_{mode}")
        self.store.add_key(
            key, book.account, livemode=book.livemode, kind="restricted", permissions=permissions
        )
        return {"key": key, "account": book.account, "permissions": permissions}

    def admin_account(self, params: dict[str, Any]) -> dict[str, Any]:
        account = self.store.add_account(
            None,
            platform=PLATFORM_ACCOUNT,
            name=params.get("name", ""),
            country=params.get("country", "US"),
            currency=params.get("currency", "usd"),
        )
        if params.get("settlement_currencies"):
            account["_settlement_currencies"] = list(params["settlement_currencies"])
        keys = {}
        for livemode in (False, True):
            mode = "live" if livemode else "test"
            key = self.store.new_secret(f"sk_{mode}")
            self.store.add_key(key, account["id"], livemode=livemode, kind="secret")
            keys[mode] = key
        return {"account": account["id"], "secret_keys": keys}

    def admin_deliveries(self, params: dict[str, Any]) -> dict[str, Any]:
        deliveries = self.store.state["deliveries"]
        return {"deliveries": [webhooks.summary(d) for d in deliveries]}

    def admin_chaos(self, params: dict[str, Any]) -> dict[str, Any]:
        chaos = self.store.state["chaos"]
        for name in ("duplicate", "out_of_order"):
            if name in params:
                chaos[name] = str(params[name]).lower() in ("true", "1")
        if "delay_seconds" in params:
            chaos["delay_seconds"] = int(params["delay_seconds"])
        return {"chaos": chaos}

    def admin_rate_limit(self, params: dict[str, Any]) -> dict[str, Any]:
        limits = self.store.state["rate_limit"]
        for name in ("per_second", "fail_next"):
            if name in params:
                limits[name] = int(params[name])
        return {"rate_limit": limits}

    def admin_requests(self, params: dict[str, Any]) -> dict[str, Any]:
        log = self.store.state["requests"]
        limit = int(params.get("limit", 1000))
        return {"requests": log[-limit:], "counts": self.store.state["request_counts"]}

    def admin_fail_payout(self, params: dict[str, Any], payout_id: str) -> dict[str, Any]:
        located = self.store.locate(payout_id)
        if located is None or located[1].get("object") != "payout":
            raise errors.no_such("payout", payout_id)
        book = ledger.book_for(self.store, located[0])
        ledger.fail_payout(book, located[1], params.get("failure_code", "could_not_process"))
        return webhooks.public(located[1])

    def admin_fee(self, params: dict[str, Any]) -> dict[str, Any]:
        book = self._book(params)
        bt = ledger.stripe_fee(
            book,
            int(params["amount"]),
            params.get("currency", "usd"),
            params.get("description", "Billing - Usage Fee"),
        )
        return webhooks.public(bt)

    def admin_reserve(self, params: dict[str, Any]) -> dict[str, Any]:
        book = self._book(params)
        bt = ledger.reserve(
            book,
            int(params["amount"]),
            params.get("currency", "usd"),
            params.get("description", "Reserve"),
        )
        return webhooks.public(bt)

    # --- webhook delivery ------------------------------------------------------------------

    def deliver(self) -> int:
        return webhooks.deliver_due(self.store)

    def start_delivery(self, interval: float = 0.05) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                self.deliver()

        self._start_thread(loop, "stripe-webhooks")

    def start_clock(self, speed: float, interval: float = 1.0) -> None:
        """Let the emulator clock follow wall time, `speed` emulator seconds per second (demo)."""

        def loop() -> None:
            last, carry = time.monotonic(), 0.0
            while not self._stop.wait(interval):
                now = time.monotonic()
                carry, last = carry + (now - last) * speed, now
                if int(carry) >= 1:
                    with self.store.lock:
                        ledger.advance(self.store, self.store.now + int(carry))
                    carry -= int(carry)
                    self.store.save()

        self._start_thread(loop, "stripe-clock")

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
