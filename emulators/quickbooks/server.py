"""The emulator as one WSGI app: Intuit OAuth, Accounting API v3 and the /_emulator/ admin.

`python -m emulators.quickbooks` serves it threaded on loopback; tests mount it in-process
through emulators.quickbooks.testing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from emulators.quickbooks import faults, idempotency, jsonio, ledger
from emulators.quickbooks.chaos import Chaos, drop_connection
from emulators.quickbooks.clock import Clock
from emulators.quickbooks.entities import SPECS, Api, entity_name
from emulators.quickbooks.oauth import OAuth, TokenPolicy, json_response
from emulators.quickbooks.store import Company, Store
from emulators.quickbooks.throttle import Limits, Throttle, Throttled

logger = logging.getLogger(__name__)
SUPPORTED_MINOR_VERSION = 75
LOG_SIZE = 10_000

WSGIEnv = dict[str, Any]
StartResponse = Callable[..., Any]


def _rules() -> list[Rule]:
    api = "/v3/company/<realm>"
    return [
        Rule("/.well-known/openid_configuration/", endpoint="discovery"),
        Rule("/.well-known/openid_sandbox_configuration/", endpoint="discovery"),
        Rule("/connect/oauth2", endpoint="authorize", methods=["GET", "POST"]),
        Rule("/oauth2/v1/tokens/bearer", endpoint="token", methods=["POST"]),
        Rule("/v2/oauth2/tokens/revoke", endpoint="revoke", methods=["POST"]),
        Rule("/v1/openid_connect/userinfo", endpoint="userinfo"),
        Rule("/op/v1/jwks", endpoint="jwks"),
        Rule(f"{api}/query", endpoint="query", methods=["GET", "POST"]),
        Rule(f"{api}/batch", endpoint="batch", methods=["POST"]),
        Rule(f"{api}/cdc", endpoint="cdc", methods=["GET"]),
        Rule(f"{api}/reports/<name>", endpoint="report", methods=["GET"]),
        Rule(f"{api}/preferences", endpoint="preferences", methods=["GET", "POST"]),
        Rule(f"{api}/<segment>", endpoint="write", methods=["POST"]),
        Rule(f"{api}/<segment>/<entity_id>", endpoint="read", methods=["GET"]),
        Rule("/_emulator/reset", endpoint="admin_reset", methods=["POST"]),
        Rule("/_emulator/companies", endpoint="admin_companies", methods=["GET", "POST"]),
        Rule("/_emulator/companies/<realm>", endpoint="admin_company"),
        Rule("/_emulator/companies/<realm>/balances", endpoint="admin_balances"),
        Rule(
            "/_emulator/companies/<realm>/preferences",
            endpoint="admin_preferences",
            methods=["POST"],
        ),
        Rule("/_emulator/requests", endpoint="admin_requests"),
        Rule("/_emulator/faults", endpoint="admin_faults", methods=["GET", "POST"]),
        Rule("/_emulator/throttle", endpoint="admin_throttle", methods=["GET", "POST"]),
        Rule("/_emulator/clock", endpoint="admin_clock", methods=["GET", "POST"]),
    ]


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self.by_endpoint: Counter[str] = Counter()
        self.by_company: Counter[str] = Counter()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.entries.append(entry)
            self.by_endpoint[entry["endpoint"]] += 1
            if entry.get("realm"):
                self.by_company[entry["realm"]] += 1

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self.by_endpoint.clear()
            self.by_company.clear()

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": list(self.entries),
                "counts": {
                    "by_endpoint": dict(self.by_endpoint),
                    "by_company": dict(self.by_company),
                },
            }


class Emulator:
    """The WSGI application. Every collaborator is injectable; defaults suit `python -m`."""

    def __init__(
        self,
        store: Store | None = None,
        clock: Clock | None = None,
        limits: Limits | None = None,
        token_policy: TokenPolicy | None = None,
    ) -> None:
        self.clock = clock or (store.clock if store else Clock())
        self.store = store or Store(self.clock)
        self.oauth = OAuth(self.store, token_policy)
        self.oauth.ensure_client()
        self.api = Api(self.store)
        self.throttle = Throttle(self.clock, limits)
        self.chaos = Chaos()
        self.log = RequestLog()
        self.url_map = Map(_rules(), strict_slashes=False)

    def __call__(self, environ: WSGIEnv, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, values = adapter.match()
        except HTTPException as exc:
            return exc(environ, start_response)
        handler = getattr(self, f"on_{endpoint}")
        response = handler(request, **values)
        return response(environ, start_response)

    # ---- OAuth -------------------------------------------------------------------------------

    def on_discovery(self, request: Request) -> Response:
        return self.oauth.discovery(request)

    def on_authorize(self, request: Request) -> Response:
        return self.oauth.authorize(request)

    def on_token(self, request: Request) -> Response:
        grant = request.form.get("grant_type", "unknown")
        return self._logged(request, f"oauth:token:{grant}", self.oauth.token(request))

    def on_revoke(self, request: Request) -> Response:
        return self._logged(request, "oauth:revoke", self.oauth.revoke(request))

    def on_userinfo(self, request: Request) -> Response:
        return self._logged(request, "oauth:userinfo", self.oauth.userinfo(request))

    def _logged(self, request: Request, endpoint: str, response: Response) -> Response:
        """Log an OAuth call (refresh counts matter to the product) and tag it like Intuit."""
        tid = str(uuid.uuid4())
        response.headers["intuit_tid"] = tid
        self.log.add(
            {
                "time": self._time(),
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "realm": None,
                "intuit_tid": tid,
                "status": response.status_code,
            }
        )
        return response

    def on_jwks(self, request: Request) -> Response:
        return self.oauth.jwks(request)

    # ---- Accounting API ----------------------------------------------------------------------

    def on_write(self, request: Request, realm: str, segment: str) -> Response:
        entity = entity_name(segment)
        return self._api(
            request,
            realm,
            f"write:{entity or segment}",
            write=True,
            run=lambda company: self._write(request, company, entity, segment),
        )

    def _write(
        self, request: Request, company: Company, entity: str | None, segment: str
    ) -> dict[str, Any]:
        if entity is None or entity == "CompanyInfo":
            raise faults.unsupported_operation(f"Unsupported entity {segment}")
        body = self.api.post(company, entity, _json_body(request), dict(request.args))
        return {entity: body}

    def on_read(self, request: Request, realm: str, segment: str, entity_id: str) -> Response:
        entity = entity_name(segment)

        def run(company: Company) -> dict[str, Any]:
            if entity is None:
                raise faults.unsupported_operation(f"Unsupported entity {segment}")
            return {entity: self.api.read(company, entity, entity_id)}

        return self._api(request, realm, f"read:{entity or segment}", run=run)

    def on_preferences(self, request: Request, realm: str) -> Response:
        if request.method == "POST":
            return self._api(
                request,
                realm,
                "write:Preferences",
                write=True,
                run=lambda c: {
                    "Preferences": self.api.post(
                        c, "Preferences", _json_body(request), dict(request.args)
                    )
                },
            )
        return self._api(
            request,
            realm,
            "read:Preferences",
            run=lambda c: {"Preferences": self.api.read(c, "Preferences", "1")},
        )

    def on_query(self, request: Request, realm: str) -> Response:
        text = request.args.get("query") or request.get_data(as_text=True)
        return self._api(
            request, realm, "query", run=lambda c: {"QueryResponse": self.api.query(c, text)}
        )

    def on_batch(self, request: Request, realm: str) -> Response:
        return self._api(
            request,
            realm,
            "batch",
            write=True,
            batch=True,
            run=lambda c: self.api.batch(c, _json_body(request)),
        )

    def on_cdc(self, request: Request, realm: str) -> Response:
        entities = request.args.get("entities", "")
        since = request.args.get("changedSince", "")

        def run(company: Company) -> dict[str, Any]:
            if not entities:
                raise faults.required("entities")
            if not since:
                raise faults.required("changedSince")
            return self.api.cdc(company, entities, since)

        return self._api(request, realm, "cdc", run=run)

    def on_report(self, request: Request, realm: str, name: str) -> Response:
        def run(company: Company) -> dict[str, Any]:
            if name != "TrialBalance":
                raise faults.unsupported_operation(f"Report {name} is not emulated")
            with self.store.lock:
                return trial_balance_report(company, request.args.get("end_date"), self._time())

        return self._api(request, realm, f"report:{name}", run=run, wrap_time=False)

    def _api(
        self,
        request: Request,
        realm: str,
        endpoint: str,
        run: Callable[[Company], Any],
        write: bool = False,
        batch: bool = False,
        wrap_time: bool = True,
    ) -> Response:
        """Auth, throttle, fault injection, minorversion, requestid, then the operation."""
        tid = str(uuid.uuid4())
        entry = {
            "time": self._time(),
            "method": request.method,
            "path": request.path,
            "endpoint": endpoint,
            "realm": realm,
            "intuit_tid": tid,
            "requestid": request.args.get("requestid"),
            "minorversion": request.args.get("minorversion"),
        }
        response = self._guarded(request, realm, run, write, batch, wrap_time)
        response.headers["intuit_tid"] = tid
        entry["status"] = response.status_code
        self.log.add(entry)
        if write and response.status_code == 200 and self.chaos.should_lose():
            drop_connection(request.environ)  # committed: the client never hears about it
        return response

    def _guarded(
        self,
        request: Request,
        realm: str,
        run: Callable[[Company], Any],
        write: bool,
        batch: bool,
        wrap_time: bool,
    ) -> Response:
        header = request.headers.get("Authorization", "")
        granted = self.oauth.realm_for_bearer(header)
        company = self.store.company(realm)
        time_ms = int(self.clock.timestamp() * 1000)
        if granted is None:
            detail = self.oauth.why_rejected(header)
            return json_response(faults.authentication_failed(detail, time_ms), 401)
        if granted != realm or company is None:
            return json_response(faults.authorization_failed(time_ms), 403)
        try:
            with self.throttle.admit(realm, batch=batch):
                return self._injected(request, company, run, write, batch, wrap_time)
        except Throttled:
            return self._throttled()

    def _injected(
        self,
        request: Request,
        company: Company,
        run: Callable[[Company], Any],
        write: bool,
        batch: bool,
        wrap_time: bool,
    ) -> Response:
        self.chaos.delay()
        if self.chaos.should_time_out():
            self.chaos.hang(request.environ)
        if self.chaos.should_fail():
            status = self.chaos.switches.error_status
            return Response(
                f"<html><body><h1>{status} Service Unavailable</h1></body></html>",
                status=status,
                mimetype="text/html",
            )
        try:
            _check_minor_version(request.args.get("minorversion"))
            request_id = request.args.get("requestid") if write else None
            if not request_id:
                return self._respond(run(company), wrap_time)
            idempotency.check_length(request_id, batch)
            with self.store.lock:
                reply = idempotency.recall(company, request_id)
                if reply is None:
                    reply = _as_reply(self._execute(run, company, wrap_time))
                    idempotency.remember(company, request_id, reply)
                    self.store.save()
            return Response(reply.body, status=reply.status, mimetype=reply.content_type)
        except faults.QBOFault as fault:
            return self._fault(fault)

    def _execute(
        self, run: Callable[[Company], Any], company: Company, wrap_time: bool
    ) -> Response:
        try:
            return self._respond(run(company), wrap_time)
        except faults.QBOFault as fault:
            return self._fault(fault)

    def _respond(self, body: dict[str, Any], wrap_time: bool) -> Response:
        if wrap_time:
            body = {**body, "time": self._time()}
        return json_response(body)

    def _fault(self, fault: faults.QBOFault) -> Response:
        return json_response(fault.body(self._time()), fault.status)

    def _throttled(self) -> Response:
        if self.chaos.switches.throttle_format == "json":
            return json_response(faults.throttle_json(self._time()), 429)
        body = faults.THROTTLE_XML.format(time=self._time())
        return Response(body, status=429, mimetype="application/xml")

    def _time(self) -> str:
        return self.clock.now().isoformat(timespec="milliseconds")

    # ---- admin (not part of Intuit's API) ------------------------------------------------------

    def on_admin_reset(self, request: Request) -> Response:
        self.store.reset()
        self.oauth.ensure_client()
        self.throttle.reset()
        self.chaos.reset()
        self.log.clear()
        return json_response({"reset": True})

    def on_admin_companies(self, request: Request) -> Response:
        if request.method == "POST":
            body = _json_body(request) if request.get_data() else {}
            company = self.store.create_company(
                body.get("name", "Sandbox Company_US_1"),
                home_currency=body.get("home_currency", "USD"),
                multicurrency=bool(body.get("multicurrency", False)),
            )
            return json_response({"realm_id": company.realm_id, "name": company.name})
        with self.store.lock:
            listing = [
                {
                    "realm_id": c.realm_id,
                    "name": c.name,
                    "counts": {e: len(t) for e, t in c.entities.items() if e in SPECS},
                }
                for c in self.store.companies.values()
            ]
        return json_response({"companies": listing})

    def on_admin_company(self, request: Request, realm: str) -> Response:
        company = self._admin_company(realm)
        with self.store.lock:
            body = {e: self.api.rows(company, e) for e in company.entities if e in SPECS}
        return json_response({"realm_id": realm, "name": company.name, "entities": body})

    def on_admin_balances(self, request: Request, realm: str) -> Response:
        company = self._admin_company(realm)
        with self.store.lock:
            return json_response(balances_body(company, request.args.get("as_of")))

    def on_admin_preferences(self, request: Request, realm: str) -> Response:
        company = self._admin_company(realm)
        with self.store.lock:
            prefs = company.preferences
            for section, values in _json_body(request).items():
                prefs.setdefault(section, {}).update(values)
            self.store.stamp_update(company, "Preferences", prefs)
            self.store.save()
            return json_response({"Preferences": self.api.render(company, "Preferences", prefs)})

    def on_admin_requests(self, request: Request) -> Response:
        return json_response(self.log.as_dict())

    def on_admin_faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.chaos.configure(_json_body(request))
            except (KeyError, ValueError, TypeError) as exc:
                return json_response({"error": f"bad switch: {exc}"}, 400)
        return json_response(self.chaos.as_dict())

    def on_admin_throttle(self, request: Request) -> Response:
        limits = self.throttle.limits
        if request.method == "POST":
            for key, value in _json_body(request).items():
                if not hasattr(limits, key):
                    return json_response({"error": f"unknown limit {key}"}, 400)
                current = getattr(limits, key)
                # bool("false") is True, so booleans must arrive as JSON booleans.
                setattr(limits, key, value if isinstance(current, bool) else int(value))
        return json_response(limits.__dict__)

    def on_admin_clock(self, request: Request) -> Response:
        if request.method == "POST":
            self.clock.advance(float(_json_body(request).get("advance", 0)))
        return json_response({"now": self._time()})

    def _admin_company(self, realm: str) -> Company:
        company = self.store.company(realm)
        if company is None:
            raise NotFound(f"no company {realm}")
        return company


def _json_body(request: Request) -> Any:
    try:
        return jsonio.loads(request.get_data() or b"")
    except ValueError:
        raise faults.invalid_value("body", "Request body is not valid JSON") from None


def _check_minor_version(value: str | None) -> None:
    """Missing or old minor versions are served as 75, as QBO does since 2025-08-01."""
    if value is None:
        return
    if not value.isdigit():
        raise faults.invalid_value("minorversion", f"Invalid minorversion {value}")
    if int(value) > SUPPORTED_MINOR_VERSION:
        raise faults.invalid_value(
            "minorversion",
            f"minorversion {value} is not supported; the latest is {SUPPORTED_MINOR_VERSION}",
        )


def _as_reply(response: Response) -> idempotency.Reply:
    return idempotency.Reply(
        response.status_code,
        response.get_data(as_text=True),
        response.mimetype or "application/json",
    )


def balances_body(company: Company, as_of: str | None) -> dict[str, Any]:
    raw = ledger.balances(company, as_of)
    accounts = []
    for account in company.all("Account"):
        bal = raw.get(account["Id"], {"balance": ledger.ZERO, "home": ledger.ZERO})
        accounts.append(
            {
                "Id": account["Id"],
                "Name": account["Name"],
                "AccountType": account["AccountType"],
                "currency": account["CurrencyRef"]["value"],
                "CurrentBalance": ledger.current_balance(account, bal["balance"]),
                "debit_balance": bal["balance"],
                "home_debit_balance": bal["home"],
            }
        )
    tb = ledger.trial_balance(company, as_of)
    return {
        "home_currency": company.home_currency,
        "accounts": accounts,
        "trial_balance": {"debit": tb["totals"]["Debit"], "credit": tb["totals"]["Credit"]},
    }


def trial_balance_report(company: Company, end_date: str | None, time: str) -> dict[str, Any]:
    """A TrialBalance report in QBO's report JSON shape (Header / Columns / Rows)."""
    tb = ledger.trial_balance(company, end_date)
    rows: list[dict[str, Any]] = [
        {
            "ColData": [
                {"value": acct["Name"], "id": acct["Id"]},
                {"value": format(amount, "f") if side == "Debit" else ""},
                {"value": format(amount, "f") if side == "Credit" else ""},
            ]
        }
        for acct, side, amount in tb["rows"]
    ]
    rows.append(
        {
            "Summary": {
                "ColData": [
                    {"value": "TOTAL"},
                    {"value": format(tb["totals"]["Debit"], "f")},
                    {"value": format(tb["totals"]["Credit"], "f")},
                ]
            },
            "type": "Section",
            "group": "GrandTotal",
        }
    )
    return {
        "Header": {
            "Time": time,
            "ReportName": "TrialBalance",
            "ReportBasis": "Accrual",
            "EndPeriod": end_date or "",
            "Currency": company.home_currency,
            "Option": [{"Name": "NoReportData", "Value": "false" if tb["rows"] else "true"}],
        },
        "Columns": {
            "Column": [
                {"ColTitle": "", "ColType": "Account"},
                {"ColTitle": "Debit", "ColType": "Money"},
                {"ColTitle": "Credit", "ColType": "Money"},
            ]
        },
        "Rows": {"Row": rows},
    }
