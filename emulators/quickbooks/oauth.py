"""Intuit's OAuth 2.0 as intuit-oauth 1.2.6 sees it: discovery document, authorize page,
token endpoint (authorization_code and refresh_token with rotation), revoke and userinfo.

Lifetimes follow docs/quickbooks-api.md §1.3: access token 3600 s; refresh token rolling
(x_refresh_token_expires_in 8726400 s); a superseded refresh token keeps working for a grace
period (Intuit: 24 h), then answers invalid_grant. All times come from the injectable clock.
"""

from __future__ import annotations

import base64
import html
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from emulators.quickbooks import jsonio
from emulators.quickbooks.store import Store

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
DEFAULT_CLIENT_ID = "ABemulatorClientId0000000000000000000000000000000"
DEFAULT_CLIENT_SECRET = "emulatorClientSecret0000000000000000000"
CODE_TTL = 300
KEY_ID = "emulator-key-1"


@dataclass
class TokenPolicy:
    access_ttl: int = 3600
    refresh_ttl: int = 8726400
    superseded_grace: int = 24 * 3600


class OAuth:
    def __init__(self, store: Store, policy: TokenPolicy | None = None) -> None:
        self.store = store
        self.policy = policy or TokenPolicy()
        self._key: rsa.RSAPrivateKey | None = None
        self._key_lock = threading.Lock()

    def _signing_key(self) -> rsa.RSAPrivateKey:
        # Made on first use (not at start-up): only OpenID flows need it. Per process, so
        # id_tokens do not survive a restart — nothing keeps them anyway.
        with self._key_lock:
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._key

    # ---- state -------------------------------------------------------------------------------

    def _table(self, name: str) -> dict[str, Any]:
        return self.store.oauth.setdefault(name, {})

    def ensure_client(
        self, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET
    ) -> None:
        with self.store.lock:
            self._table("clients")[client_id] = {"secret": client_secret}

    def _now(self) -> float:
        return self.store.clock.timestamp()

    # ---- endpoints ---------------------------------------------------------------------------

    def discovery(self, request: Request) -> Response:
        base = request.host_url.rstrip("/")
        doc = {
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": [
                "openid",
                "email",
                "profile",
                "address",
                "phone",
                ACCOUNTING_SCOPE,
                "com.intuit.quickbooks.payment",
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
        return json_response(doc)

    def jwks(self, request: Request) -> Response:
        key = jwt.algorithms.RSAAlgorithm.to_jwk(self._signing_key().public_key(), as_dict=True)
        return json_response({"keys": [{**key, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]})

    def _id_token(self, request: Request, client_id: str, realm_id: str) -> str:
        now = int(self._now())
        claims = {
            "iss": f"{request.host_url.rstrip('/')}/op/v1",
            "aud": [client_id],
            "sub": f"emulator-user-{realm_id}",
            "realmid": realm_id,
            "auth_time": now,
            "iat": now,
            "exp": now + self.policy.access_ttl,
        }
        return jwt.encode(claims, self._signing_key(), algorithm="RS256", headers={"kid": KEY_ID})

    def authorize(self, request: Request) -> Response:
        args = request.values
        client_id = args.get("client_id", "")
        redirect_uri = args.get("redirect_uri", "")
        if client_id not in self._table("clients") or not redirect_uri:
            return Response("Invalid client_id or redirect_uri", status=400)
        state = args.get("state", "")
        if request.method == "GET":
            return self._authorize_page(request)
        if args.get("decision") == "deny":
            return redirect(redirect_uri, {"error": "access_denied", "state": state})
        if args.get("response_type", "code") != "code":
            return redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        if ACCOUNTING_SCOPE not in args.get("scope", "").split():
            return redirect(redirect_uri, {"error": "invalid_scope", "state": state})
        realm_id = args.get("realm_id", "new")
        with self.store.lock:
            if realm_id == "new" or self.store.company(realm_id) is None:
                name = (
                    args.get("company_name")
                    or f"Sandbox Company_US_{len(self.store.companies) + 1}"
                )
                realm_id = self.store.create_company(name).realm_id
            code = "AB" + secrets.token_urlsafe(30)
            self._table("codes")[code] = {
                "client_id": client_id,
                "realm_id": realm_id,
                "redirect_uri": redirect_uri,
                "expires": self._now() + CODE_TTL,
                "scope": args.get("scope", ""),
            }
            self.store.save()
        return redirect(redirect_uri, {"code": code, "state": state, "realmId": realm_id})

    def _authorize_page(self, request: Request) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in request.args.items()
        )
        with self.store.lock:
            companies = list(self.store.companies.values())
        options = "".join(
            f'<li><label><input type="radio" name="realm_id" value="{c.realm_id}"> '
            f"{html.escape(c.name)} ({c.realm_id})</label></li>"
            for c in companies
        )
        page = (
            "<!doctype html><html><head><title>QuickBooks emulator: connect</title></head><body>"
            "<h1>Connect your app to a sandbox company</h1>"
            f'<form method="post">{hidden}<ul>{options}<li><label><input type="radio"'
            ' name="realm_id" value="new" checked> Create a new sandbox company:</label>'
            ' <input name="company_name" placeholder="Sandbox Company"></li></ul>'
            '<button name="decision" value="allow">Connect</button> '
            '<button name="decision" value="deny">Cancel</button></form></body></html>'
        )
        return Response(page, mimetype="text/html")

    def token(self, request: Request) -> Response:
        client_id = self._client(request)
        if client_id is None:
            return oauth_error("invalid_client", status=401)
        grant_type = request.form.get("grant_type", "")
        with self.store.lock:
            if grant_type == "authorization_code":
                return self._exchange_code(request, client_id)
            if grant_type == "refresh_token":
                return self._refresh(request, client_id)
        return oauth_error("unsupported_grant_type")

    def _client(self, request: Request) -> str | None:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return None
        client = self._table("clients").get(client_id or "")
        if client is None or not secrets.compare_digest(client["secret"], secret or ""):
            return None
        return client_id

    def _exchange_code(self, request: Request, client_id: str) -> Response:
        code = self._table("codes").pop(request.form.get("code", ""), None)
        if (
            code is None
            or code["client_id"] != client_id
            or code["expires"] < self._now()
            or code["redirect_uri"] != request.form.get("redirect_uri")
        ):
            return oauth_error("invalid_grant")
        grant = secrets.token_hex(8)
        self._table("grants")[grant] = {"client_id": client_id, "realm_id": code["realm_id"]}
        response = self._issue(grant)
        if "openid" in code.get("scope", "").split():
            # OpenID: an RS256 id_token that intuit-oauth verifies against our JWKS.
            body = jsonio.loads(response.get_data())
            body["id_token"] = self._id_token(request, client_id, code["realm_id"])
            response.set_data(jsonio.dumps(body))
        return response

    def _refresh(self, request: Request, client_id: str) -> Response:
        token = request.form.get("refresh_token", "")
        entry = self._table("refresh").get(token)
        now = self._now()
        if (
            entry is None
            or entry["revoked"]
            or entry["expires"] < now
            or (
                entry["superseded_at"] is not None
                and entry["superseded_at"] + self.policy.superseded_grace < now
            )
        ):
            return oauth_error("invalid_grant", "Incorrect or invalid refresh token")
        grant = self._table("grants")[entry["grant"]]
        if grant["client_id"] != client_id:
            return oauth_error("invalid_grant", "Incorrect or invalid refresh token")
        return self._issue(entry["grant"])

    def _issue(self, grant: str) -> Response:
        """New access and refresh tokens; every older refresh token of the grant is superseded."""
        now = self._now()
        realm_id = self._table("grants")[grant]["realm_id"]
        for entry in self._table("refresh").values():
            if entry["grant"] == grant and entry["superseded_at"] is None:
                entry["superseded_at"] = now
        access = "eyJemu" + secrets.token_urlsafe(48)
        refresh = "AB11" + secrets.token_urlsafe(36)
        self._table("access")[access] = {
            "grant": grant,
            "realm_id": realm_id,
            "expires": now + self.policy.access_ttl,
            "revoked": False,
        }
        self._table("refresh")[refresh] = {
            "grant": grant,
            "expires": now + self.policy.refresh_ttl,
            "superseded_at": None,
            "revoked": False,
        }
        self.store.save()
        return json_response(
            {
                "token_type": "bearer",
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": self.policy.access_ttl,
                "x_refresh_token_expires_in": self.policy.refresh_ttl,
            }
        )

    def revoke(self, request: Request) -> Response:
        if self._client(request) is None:
            return oauth_error("invalid_client", status=401)
        try:
            token = str(jsonio.loads(request.get_data() or b"{}").get("token", ""))
        except ValueError:
            token = request.form.get("token", "")
        with self.store.lock:
            entry = self._table("refresh").get(token) or self._table("access").get(token)
            if entry is None:
                return oauth_error("invalid_request", "Token not found")
            self._revoke_grant(entry["grant"])
            self.store.save()
        return Response(b"", status=200)

    def _revoke_grant(self, grant: str) -> None:
        for name in ("access", "refresh"):
            for entry in self._table(name).values():
                if entry["grant"] == grant:
                    entry["revoked"] = True

    def userinfo(self, request: Request) -> Response:
        realm_id = self.realm_for_bearer(request.headers.get("Authorization", ""))
        if realm_id is None:
            return oauth_error("invalid_token", status=401)
        return json_response(
            {
                "sub": f"emulator-user-{realm_id}",
                "givenName": "Sandbox",
                "familyName": "User",
                "email": "sandbox-user@example.com",
                "emailVerified": True,
                "phoneNumber": "+1 555 0100",
                "phoneNumberVerified": False,
            }
        )

    # ---- used by the API ---------------------------------------------------------------------

    def realm_for_bearer(self, header: str) -> str | None:
        """The realm an unexpired, unrevoked bearer token grants, else None."""
        if not header.startswith("Bearer "):
            return None
        entry = self._table("access").get(header[7:].strip())
        if entry is None or entry["revoked"] or entry["expires"] <= self._now():
            return None
        return str(entry["realm_id"])

    def why_rejected(self, header: str) -> str:
        entry = (
            self._table("access").get(header[7:].strip()) if header.startswith("Bearer ") else None
        )
        if entry is None:
            return "Token invalid"
        if entry["revoked"]:
            return "Token revoked"
        return "Token expired"


def json_response(body: Any, status: int = 200) -> Response:
    return Response(jsonio.dumps(body), status=status, mimetype="application/json")


def oauth_error(error: str, description: str | None = None, status: int = 400) -> Response:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(body, status)


def redirect(uri: str, params: dict[str, str]) -> Response:
    sep = "&" if "?" in uri else "?"
    response = Response(status=302)
    response.headers["Location"] = uri + sep + urlencode(params)
    return response
