"""Connect OAuth and Stripe Apps OAuth, driven by stripe-python (the consent page by HTTP)."""

from __future__ import annotations

import pytest
import stripe
from stripe import oauth_error

from emulators.stripe.testing import REDIRECT_URI, RunningEmulator, webhook_sink


def connect(emu: RunningEmulator, state: str = "csrf-1") -> tuple[stripe.StripeClient, object]:
    platform = emu.client()
    url = platform.oauth.authorize_url(
        {
            "scope": "read_write",
            "redirect_uri": REDIRECT_URI,
            "state": state,
            "stripe_landing": "login",
        }
    )
    callback = emu.authorize(url)
    assert callback["state"] == state
    return platform, platform.oauth.token(
        {"grant_type": "authorization_code", "code": callback["code"]}
    )


def test_it_runs_the_connect_oauth_flow(emu: RunningEmulator) -> None:
    platform, token = connect(emu)
    account = token.stripe_user_id
    assert account.startswith("acct_") and token.livemode is False
    assert token.scope == "read_write" and token.access_token.startswith("sk_test_")
    as_tenant = {"stripe_account": account}
    customer = platform.v1.customers.create({"email": "t@example.com"}, as_tenant)
    with_token = emu.client(token.access_token)
    assert [c.id for c in with_token.v1.customers.list().data] == [customer.id]
    authorized = platform.v1.events.list({"type": "account.application.authorized"}, as_tenant)
    assert authorized.data[0].account == account


def test_it_redirects_with_access_denied_when_the_user_declines(emu: RunningEmulator) -> None:
    url = emu.client().oauth.authorize_url(
        {"scope": "read_write", "redirect_uri": REDIRECT_URI, "state": "s"}
    )
    callback = emu.authorize(url, decision="deny")
    assert callback == {
        "error": "access_denied",
        "error_description": "The user denied your request",
        "state": "s",
    }


def test_it_refuses_a_used_authorization_code(emu: RunningEmulator) -> None:
    platform = emu.client()
    url = platform.oauth.authorize_url({"scope": "read_write", "redirect_uri": REDIRECT_URI})
    code = emu.authorize(url)["code"]
    platform.oauth.token({"grant_type": "authorization_code", "code": code})
    with pytest.raises(oauth_error.InvalidGrantError):
        platform.oauth.token({"grant_type": "authorization_code", "code": code})


def test_it_connects_an_existing_account(emu: RunningEmulator) -> None:
    existing = emu.connected_account()["account"]
    platform = emu.client()
    url = platform.oauth.authorize_url({"scope": "read_write", "redirect_uri": REDIRECT_URI})
    code = emu.authorize(url, account=existing)["code"]
    token = platform.oauth.token({"grant_type": "authorization_code", "code": code})
    assert token.stripe_user_id == existing


def test_it_deauthorizes_and_emits_the_event(emu: RunningEmulator) -> None:
    platform, token = connect(emu)
    account = token.stripe_user_id
    with webhook_sink() as sink:
        hook = platform.v1.webhook_endpoints.create(
            {
                "url": sink.url,
                "connect": True,
                "enabled_events": ["account.application.deauthorized"],
            }
        )
        assert platform.oauth.deauthorize({"stripe_user_id": account}).stripe_user_id == account
        emu.deliver()
    with pytest.raises(stripe.AuthenticationError):
        emu.client(token.access_token).v1.balance.retrieve()
    with pytest.raises(stripe.PermissionError):
        platform.v1.balance.retrieve(None, {"stripe_account": account})
    received = sink.received[0]
    event = stripe.Webhook.construct_event(
        received.body, received.headers["Stripe-Signature"], hook.secret
    )
    assert (event.type, event.account) == ("account.application.deauthorized", account)


def test_it_runs_the_stripe_apps_oauth_flow_with_rotating_refresh_tokens(
    emu: RunningEmulator,
) -> None:
    callback = emu.authorize(emu.app_authorize_url(state="app-1"))
    assert callback["state"] == "app-1"
    app_dev = emu.client()
    response = app_dev.raw_request(
        "post", "/v1/oauth/token", grant_type="authorization_code", code=callback["code"]
    )
    token = app_dev.deserialize(response, api_mode="V1")
    tenant = emu.client(token.access_token)
    assert tenant.v1.balance.retrieve().object == "balance"
    assert "expires_in" not in token

    emu.advance(seconds=3601)
    with pytest.raises(stripe.AuthenticationError) as raised:
        tenant.v1.balance.retrieve()
    assert raised.value.json_body["error"]["code"] == "api_key_expired"

    response = app_dev.raw_request(
        "post", "/v1/oauth/token", grant_type="refresh_token", refresh_token=token.refresh_token
    )
    rotated = app_dev.deserialize(response, api_mode="V1")
    assert rotated.refresh_token != token.refresh_token
    assert emu.client(rotated.access_token).v1.balance.retrieve().object == "balance"
    with pytest.raises(oauth_error.InvalidGrantError):
        app_dev.raw_request(
            "post",
            "/v1/oauth/token",
            grant_type="refresh_token",
            refresh_token=token.refresh_token,
        )
