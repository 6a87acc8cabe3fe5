"""Per-company throttling with the injectable clock: no test waits in real time."""

from __future__ import annotations

import pytest
import requests
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects import Customer

from emulators.quickbooks.clock import ManualClock
from emulators.quickbooks.throttle import Limits, Throttle, Throttled
from tests.emulators.quickbooks.conftest import Conn


def _burn(conn: Conn, count: int) -> None:
    for _ in range(count):
        assert conn.get("preferences").status_code == 200


def test_it_answers_request_501_within_a_minute_with_429(conn: Conn) -> None:
    _burn(conn, 500)

    response = conn.get("preferences")

    assert response.status_code == 429
    assert '<Error code="3001">' in response.text
    assert "ThrottleExceeded" in response.text


def test_it_accepts_again_after_the_window(conn: Conn) -> None:
    _burn(conn, 500)  # the production limit, not a lowered one
    conn.qbo.clock.advance(59)
    assert conn.get("preferences").status_code == 429

    conn.qbo.clock.advance(1)

    assert conn.get("preferences").status_code == 200


def test_it_throttles_each_company_separately(conn: Conn) -> None:
    auth, realm = conn.qbo.connect()
    other = Conn(conn.qbo, auth, realm)
    conn.qbo.limits.per_minute = 5  # the limit is configurable; the window logic is the same
    _burn(conn, 5)

    assert conn.get("preferences").status_code == 429
    assert other.get("preferences").status_code == 200


def test_it_can_answer_the_throttle_in_json(conn: Conn) -> None:
    conn.qbo.limits.per_minute = 1
    conn.qbo.switches.throttle_format = "json"
    _burn(conn, 1)

    response = conn.get("preferences")

    assert response.status_code == 429
    assert response.json()["Fault"]["Error"][0]["code"] == "3001"
    assert response.json()["Fault"]["type"] == "SERVICE"


def test_it_limits_batch_requests_to_40_a_minute(conn: Conn) -> None:
    body = {"BatchItemRequest": [{"bId": "1", "Query": "select count(*) from Customer"}]}
    for _ in range(40):
        assert conn.post("batch", body).status_code == 200

    assert conn.post("batch", body).status_code == 429
    assert conn.get("preferences").status_code == 200  # ordinary requests still flow


def test_it_gives_python_quickbooks_an_unreadable_xml_body_when_throttled(conn: Conn) -> None:
    conn.qbo.limits.per_minute = 0
    qb = conn.qbo.quickbooks(conn.auth, conn.realm)

    with pytest.raises(QuickbooksException) as exc:
        Customer.all(qb=qb)

    assert exc.value.error_code == 10000  # docs §6.4: "Error reading json response"


def test_it_limits_concurrent_requests_per_company() -> None:
    throttle = Throttle(ManualClock(), Limits(concurrent=2))

    with throttle.admit("1"), throttle.admit("1"):
        with pytest.raises(Throttled):
            throttle._enter("1", batch=False)
        with throttle.admit("2"):
            pass

    with throttle.admit("1"):  # slots are released on exit
        pass


def test_it_answers_429_when_ten_requests_are_in_flight(conn: Conn) -> None:
    # Hold ten slots as ten slow requests would, then send one more over the wire.
    throttle = conn.qbo.app.throttle
    holders = [throttle.admit(conn.realm) for _ in range(10)]
    for holder in holders:
        holder.__enter__()
    try:
        assert conn.get("preferences").status_code == 429
    finally:
        for holder in holders:
            holder.__exit__(None, None, None)
    assert conn.get("preferences").status_code == 200


def test_it_does_not_throttle_oauth_or_admin_endpoints(conn: Conn) -> None:
    conn.qbo.limits.per_minute = 0

    assert requests.get(f"{conn.qbo.url}/_emulator/companies", timeout=5).status_code == 200
    conn.auth.refresh()


def test_it_configures_limits_through_the_admin_endpoint(conn: Conn) -> None:
    url = f"{conn.qbo.url}/_emulator/throttle"

    assert requests.post(url, json={"per_minute": 2, "enabled": True}, timeout=5).ok
    _burn(conn, 2)
    assert conn.get("preferences").status_code == 429
    assert requests.post(url, json={"enabled": False}, timeout=5).json()["enabled"] is False
    assert conn.get("preferences").status_code == 200
    assert requests.post(url, json={"nope": 1}, timeout=5).status_code == 400
