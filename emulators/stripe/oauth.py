"""Connect OAuth (`/oauth/authorize`, `/oauth/token`, `/oauth/deauthorize`, served where
stripe-python's "connect" base address points) and Stripe Apps OAuth (`/oauth/v2/authorize`,
`POST /v1/oauth/token` authenticated with the app developer's secret key).

Connect access tokens do not expire; Stripe Apps access tokens last one hour (emulator clock)
and refresh tokens rotate: exchanging one invalidates it.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from emulators.stripe import ledger
from emulators.stripe.errors import OAuthError
from emulators.stripe.store import APP_CLIENT_ID, CONNECT_CLIENT_ID, PLATFORM_ACCOUNT, Store

APP_TOKEN_LIFETIME = 3600

_PAGE = """<!doctype html>
<html><head><title>Connect with {client}</title></head>
<body><h1>{title}</h1>
<p>Client <code>{client}</code> asks for <code>{scope}</code> access.</p>
<form method="post">
{hidden}
<label>Account (blank for a new one): <input name="account" value=""></label>
<button name="decision" value="allow">Connect</button>
<button name="decision" value="deny">Deny</button>
</form></body></html>
"""


def _client_ids(kind: str) -> set[str]:
    return {CONNECT_CLIENT_ID} if kind == "connect" else {APP_CLIENT_ID}


def consent_page(request: Request, kind: str) -> Response:
    args = request.args
    if args.get("client_id") not in _client_ids(kind):
        raise OAuthError("invalid_client", f"No such application: '{args.get('client_id')}'")
    if kind == "connect" and args.get("response_type", "code") != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
    hidden = "\n".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in args.items()
    )
    title = "Stripe Connect" if kind == "connect" else "Install Stripe App"
    page = _PAGE.format(
        client=html.escape(args["client_id"]),
        title=title,
        hidden=hidden,
        scope=html.escape(args.get("scope", "read_write")),
    )
    return Response(page, content_type="text/html; charset=utf-8")


def consent_submit(store: Store, request: Request, kind: str) -> Response:
    form = request.form
    redirect_uri = form.get("redirect_uri") or "http://127.0.0.1/"
    query: dict[str, str] = {}
    if form.get("decision") != "allow":
        query = {"error": "access_denied", "error_description": "The user denied your request"}
    else:
        with store.lock:
            account = _consenting_account(store, form.get("account", "").strip())
            code = "ac_" + store.new_id("x", 30)[2:]
            store.state["oauth"]["codes"][code] = {
                "account": account,
                "kind": kind,
                "client_id": form.get("client_id"),
                "scope": form.get("scope", "read_write"),
                "used": False,
            }
        query = {"code": code, "scope": form.get("scope", "read_write")}
    if form.get("state"):
        query["state"] = form["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return Response(status=302, headers={"Location": redirect_uri + separator + urlencode(query)})


def _consenting_account(store: Store, requested: str) -> str:
    if requested:
        account = store.account(requested)
        if account is None:
            raise OAuthError("invalid_request", f"No such account: '{requested}'")
        account["_platform"] = account.get("_platform") or PLATFORM_ACCOUNT
        account["_revoked"] = False
        return requested
    return store.add_account(None, platform=PLATFORM_ACCOUNT, name="Connected business")["id"]


def _issue(
    store: Store, account: str, *, livemode: bool, kind: str, client_id: str, scope: str
) -> dict[str, Any]:
    mode = "live" if livemode else "test"
    access = store.new_secret(f"sk_{mode}") if kind == "connect" else store.new_secret(f"ek_{mode}")
    expires = store.now + APP_TOKEN_LIFETIME if kind == "app" else None
    store.add_key(
        access, account, livemode=livemode, kind="oauth", expires_at=expires, oauth_client=client_id
    )
    refresh = "rt_" + store.new_id("x", 40)[2:]
    store.state["oauth"]["refresh_tokens"][refresh] = {
        "account": account,
        "kind": kind,
        "client_id": client_id,
        "livemode": livemode,
        "scope": scope,
        "active": True,
    }
    return {
        "access_token": access,
        "livemode": livemode,
        "refresh_token": refresh,
        "scope": scope,
        "stripe_publishable_key": f"pk_{mode}_{account[5:]}",
        "stripe_user_id": account,
        "token_type": "bearer",
    }


def _platform_key(store: Store, key_info: dict[str, Any] | None) -> dict[str, Any]:
    if key_info is None or key_info["account"] != PLATFORM_ACCOUNT or key_info["kind"] != "secret":
        raise OAuthError("invalid_client", "This endpoint needs the platform's secret key.", 401)
    return key_info


def token(
    store: Store, params: dict[str, Any], key_info: dict[str, Any] | None, kind: str
) -> dict[str, Any]:
    livemode = _platform_key(store, key_info)["livemode"]
    grant = params.get("grant_type")
    if grant == "authorization_code":
        return _exchange_code(store, params.get("code", ""), livemode, kind)
    if grant == "refresh_token":
        return _refresh(store, params.get("refresh_token", ""), livemode, kind)
    raise OAuthError("unsupported_grant_type", f"Unsupported grant type: {grant}")


def _exchange_code(store: Store, code: str, livemode: bool, kind: str) -> dict[str, Any]:
    record = store.state["oauth"]["codes"].get(code)
    if record is None or record["used"] or record["kind"] != kind:
        raise OAuthError("invalid_grant", f"Authorization code does not exist: {code}")
    record["used"] = True
    issued = _issue(
        store,
        record["account"],
        livemode=livemode,
        kind=kind,
        client_id=record["client_id"],
        scope=record["scope"],
    )
    book = ledger.Book(store, record["account"], livemode)
    book.emit("account.application.authorized", _application(record["client_id"]))
    return issued


def _refresh(store: Store, refresh: str, livemode: bool, kind: str) -> dict[str, Any]:
    record = store.state["oauth"]["refresh_tokens"].get(refresh)
    if (
        record is None
        or not record["active"]
        or record["kind"] != kind
        or record["livemode"] != livemode
    ):
        raise OAuthError("invalid_grant", f"Invalid refresh token: {refresh}")
    if kind == "app":
        record["active"] = False  # Stripe Apps refresh tokens rotate
    issued = _issue(
        store,
        record["account"],
        livemode=livemode,
        kind=kind,
        client_id=record["client_id"],
        scope=record["scope"],
    )
    if kind == "connect":
        # Connect keeps the refresh token; only the access token is new.
        del store.state["oauth"]["refresh_tokens"][issued["refresh_token"]]
        issued["refresh_token"] = refresh
    return issued


def _application(client_id: str) -> dict[str, Any]:
    return {"id": client_id, "object": "application", "name": "Tieout"}


def deauthorize(
    store: Store, params: dict[str, Any], key_info: dict[str, Any] | None
) -> dict[str, Any]:
    livemode = _platform_key(store, key_info)["livemode"]
    client_id = params.get("client_id")
    account_id = params.get("stripe_user_id", "")
    account = store.account(account_id)
    if client_id != CONNECT_CLIENT_ID:
        raise OAuthError("invalid_client", f"No such application: '{client_id}'")
    if account is None or account.get("_platform") != PLATFORM_ACCOUNT or account.get("_revoked"):
        raise OAuthError(
            "invalid_client",
            f"This application is not connected to stripe "
            f"account {account_id}, or that account does not exist.",
        )
    account["_revoked"] = True
    for info in store.keys_for(account_id).values():
        if info["kind"] == "oauth" and info["oauth_client"] == client_id:
            info["revoked"] = True
    for record in store.state["oauth"]["refresh_tokens"].values():
        if record["account"] == account_id and record["client_id"] == client_id:
            record["active"] = False
    book = ledger.Book(store, account_id, livemode)
    book.emit("account.application.deauthorized", _application(client_id))
    return {"stripe_user_id": account_id}
