"""OAuth 2.0 like Intuit's, driven through intuit-oauth's AuthClient with only URLs changed."""

from __future__ import annotations

import pytest
import requests
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from emulators.quickbooks.clock import ManualClock
from emulators.quickbooks.oauth import TokenPolicy
from emulators.quickbooks.testing import RunningEmulator, serve
from tests.emulators.quickbooks.conftest import Conn

DAY = 24 * 3600


def test_it_serves_a_discovery_document_that_auth_client_uses(qbo: RunningEmulator) -> None:
    auth = qbo.auth_client()

    assert auth.auth_endpoint == f"{qbo.url}/connect/oauth2"
    assert auth.token_endpoint == f"{qbo.url}/oauth2/v1/tokens/bearer"
    assert auth.revoke_endpoint == f"{qbo.url}/v2/oauth2/tokens/revoke"
    assert auth.user_info_url == f"{qbo.url}/v1/openid_connect/userinfo"


def test_it_shows_an_authorize_page_listing_companies(qbo: RunningEmulator) -> None:
    qbo.store.create_company("Existing Books")
    url = qbo.auth_client().get_authorization_url([Scopes.ACCOUNTING])

    page = requests.get(url, timeout=5)

    assert page.status_code == 200
    assert "Existing Books" in page.text
    assert 'value="new"' in page.text


def test_it_redirects_with_code_state_and_realm_id(qbo: RunningEmulator) -> None:
    auth = qbo.auth_client()

    callback = qbo.authorize(auth, company_name="Acme Books")

    assert callback["state"] == auth.state_token
    assert callback["code"]
    assert qbo.company(callback["realmId"]).name == "Acme Books"


def test_it_lets_the_user_pick_an_existing_company(qbo: RunningEmulator) -> None:
    existing = qbo.store.create_company("Picked")

    callback = qbo.authorize(qbo.auth_client(), realm_id=existing.realm_id)

    assert callback["realmId"] == existing.realm_id
    assert len(qbo.store.companies) == 1


def test_it_redirects_access_denied_when_the_user_cancels(qbo: RunningEmulator) -> None:
    callback = qbo.authorize(qbo.auth_client(), decision="deny")

    assert callback["error"] == "access_denied"
    assert "code" not in callback


def test_it_exchanges_a_code_for_tokens_with_intuit_lifetimes(qbo: RunningEmulator) -> None:
    auth, realm = qbo.connect()

    assert auth.access_token and auth.refresh_token
    assert auth.expires_in == 3600
    assert auth.x_refresh_token_expires_in == 8726400
    assert auth.realm_id == realm


def test_it_accepts_a_code_only_once(qbo: RunningEmulator) -> None:
    auth = qbo.auth_client()
    code = qbo.authorize(auth)["code"]
    auth.get_bearer_token(code)

    with pytest.raises(AuthClientError) as exc:
        qbo.auth_client().get_bearer_token(code)

    assert exc.value.status_code == 400
    assert exc.value.response.json()["error"] == "invalid_grant"


def test_it_rejects_a_wrong_client_secret(qbo: RunningEmulator) -> None:
    auth = qbo.auth_client()
    code = qbo.authorize(auth)["code"]
    auth.client_secret = "wrong"

    with pytest.raises(AuthClientError) as exc:
        auth.get_bearer_token(code)

    assert exc.value.status_code == 401
    assert exc.value.response.json()["error"] == "invalid_client"


def test_it_rotates_the_refresh_token_on_every_refresh(conn: Conn) -> None:
    first_access, first_refresh = conn.auth.access_token, conn.auth.refresh_token

    conn.auth.refresh()

    assert conn.auth.refresh_token != first_refresh
    assert conn.auth.access_token != first_access
    assert conn.get("companyinfo/" + conn.realm).status_code == 200


def test_it_accepts_the_previous_refresh_token_only_during_the_grace_period(conn: Conn) -> None:
    old = conn.auth.refresh_token
    conn.auth.refresh()
    conn.qbo.clock.advance(DAY - 60)

    conn.auth.refresh(refresh_token=old)  # still inside Intuit's 24 h grace
    conn.qbo.clock.advance(120)

    with pytest.raises(AuthClientError) as exc:
        conn.auth.refresh(refresh_token=old)
    assert exc.value.status_code == 400
    assert exc.value.response.json() == {
        "error": "invalid_grant",
        "error_description": "Incorrect or invalid refresh token",
    }


def test_it_has_a_configurable_grace_period() -> None:
    with serve(token_policy=TokenPolicy(superseded_grace=30)) as qbo:
        auth, _realm = qbo.connect()
        old = auth.refresh_token
        auth.refresh()
        qbo.clock.advance(31)

        with pytest.raises(AuthClientError):
            auth.refresh(refresh_token=old)


def test_it_rolls_the_refresh_token_lifetime_and_expires_unused_ones(conn: Conn) -> None:
    conn.qbo.clock.advance(90 * DAY)
    conn.auth.refresh()  # a fresh ~101-day lifetime from now
    conn.qbo.clock.advance(90 * DAY)
    conn.auth.refresh()
    conn.qbo.clock.advance(102 * DAY)

    with pytest.raises(AuthClientError) as exc:
        conn.auth.refresh()
    assert exc.value.response.json()["error"] == "invalid_grant"


def test_it_answers_401_authentication_fault_for_an_expired_access_token(conn: Conn) -> None:
    conn.qbo.clock.advance(3600)

    response = conn.get("companyinfo/" + conn.realm)

    assert response.status_code == 401
    fault = response.json()["fault"]
    assert fault["type"] == "AUTHENTICATION"
    assert fault["error"][0]["code"] == "3200"
    assert "statusCode=401" in fault["error"][0]["message"]


def test_it_revokes_so_neither_access_nor_refresh_token_works(conn: Conn) -> None:
    conn.auth.revoke(token=conn.auth.refresh_token)

    assert conn.get("companyinfo/" + conn.realm).status_code == 401
    with pytest.raises(AuthClientError) as exc:
        conn.auth.refresh()
    assert exc.value.response.json()["error"] == "invalid_grant"


def test_it_refuses_a_token_for_another_company(qbo: RunningEmulator) -> None:
    auth, _realm = qbo.connect()
    _other_auth, other_realm = qbo.connect()

    response = requests.get(
        f"{qbo.url}/v3/company/{other_realm}/companyinfo/{other_realm}",
        headers={"Authorization": f"Bearer {auth.access_token}"},
        timeout=5,
    )

    assert response.status_code == 403
    assert response.json()["fault"]["error"][0]["code"] == "3100"


def test_it_serves_userinfo_for_a_valid_access_token(conn: Conn) -> None:
    response = conn.auth.get_user_info()

    assert response.json()["email"] == "sandbox-user@example.com"


def test_it_uses_the_injected_clock_for_expiry() -> None:
    clock = ManualClock()
    with serve(clock=clock) as qbo:
        auth, realm = qbo.connect()
        clock.advance(3599)
        headers = {"Authorization": f"Bearer {auth.access_token}"}
        url = f"{qbo.url}/v3/company/{realm}/preferences"

        assert requests.get(url, headers=headers, timeout=5).status_code == 200
        clock.advance(1)
        assert requests.get(url, headers=headers, timeout=5).status_code == 401


def test_it_issues_an_id_token_that_intuit_oauth_verifies_for_openid(qbo: RunningEmulator) -> None:
    auth = qbo.auth_client()
    url = auth.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL])
    location = requests.post(
        url, data={"decision": "allow", "realm_id": "new"}, allow_redirects=False, timeout=5
    ).headers["Location"]
    code = location.split("code=")[1].split("&")[0]

    auth.get_bearer_token(code)

    assert auth.id_token  # intuit-oauth keeps it only after checking signature, iss, aud, exp


def test_it_issues_no_id_token_without_openid(conn: Conn) -> None:
    assert conn.auth.id_token is None
