"""requestid idempotency and fault injection, including the lost response: the write commits,
the client sees a dropped connection, and the same requestid replays the original answer."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects import Customer

from tests.emulators.quickbooks.conftest import Conn, fault_code, sales_line


def _receipt(conn: Conn, doc_number: str) -> dict[str, object]:
    return {"DocNumber": doc_number, "Line": [sales_line(conn.item("Services")["Id"], "42.00")]}


def _count(conn: Conn, doc_number: str) -> int:
    query = f"select count(*) from SalesReceipt where DocNumber = '{doc_number}'"
    return int(conn.query(query)["totalCount"])


def test_it_replays_the_original_response_for_a_repeated_requestid(conn: Conn) -> None:
    first = conn.post("SalesReceipt", _receipt(conn, "r1"), requestid="rid-1")
    conn.qbo.clock.advance(5)

    second = conn.post("SalesReceipt", _receipt(conn, "r1"), requestid="rid-1")

    assert first.status_code == second.status_code == 200
    assert second.text == first.text
    assert _count(conn, "r1") == 1


def test_it_keeps_requestids_per_company(conn: Conn) -> None:
    auth, realm = conn.qbo.connect()
    other = Conn(conn.qbo, auth, realm)

    conn.create("Customer", {"DisplayName": "A"}, requestid="same")
    created = other.create("Customer", {"DisplayName": "B"}, requestid="same")

    assert created["DisplayName"] == "B"


def test_it_replays_a_validation_fault_for_the_same_requestid(conn: Conn) -> None:
    conn.create("Customer", {"DisplayName": "Taken"})
    first = conn.post("Customer", {"DisplayName": "Taken"}, requestid="rid-f")

    second = conn.post("Customer", {"DisplayName": "Other"}, requestid="rid-f")

    assert fault_code(first) == "6240"
    assert second.text == first.text


def test_it_refuses_a_requestid_longer_than_50_characters(conn: Conn) -> None:
    response = conn.post("Customer", {"DisplayName": "X"}, requestid="r" * 51)

    assert fault_code(response) == "2050"


def test_it_commits_then_drops_the_connection_on_a_lost_response(conn: Conn) -> None:
    conn.qbo.switches.lose_next = 1

    with pytest.raises(requests.ConnectionError):
        conn.post("SalesReceipt", _receipt(conn, "lost-1"), requestid="rid-lost")

    assert _count(conn, "lost-1") == 1  # the document exists although the client saw a failure
    retry = conn.post("SalesReceipt", _receipt(conn, "lost-1"), requestid="rid-lost")
    assert retry.status_code == 200
    assert retry.json()["SalesReceipt"]["DocNumber"] == "lost-1"
    assert _count(conn, "lost-1") == 1


def test_it_replays_the_same_document_id_after_a_lost_response(conn: Conn) -> None:
    conn.qbo.switches.lose_next = 1
    with pytest.raises(requests.ConnectionError):
        conn.post("SalesReceipt", _receipt(conn, "lost-2"), requestid="rid-2")
    existing = conn.query("select * from SalesReceipt where DocNumber = 'lost-2'")

    retry = conn.post("SalesReceipt", _receipt(conn, "lost-2"), requestid="rid-2")

    assert retry.json()["SalesReceipt"]["Id"] == existing["SalesReceipt"][0]["Id"]


def test_it_refuses_a_retry_without_requestid_after_a_lost_response_as_duplicate(
    conn: Conn,
) -> None:
    conn.qbo.switches.lose_next = 1
    with pytest.raises(requests.ConnectionError):
        conn.post("SalesReceipt", _receipt(conn, "lost-3"))

    assert fault_code(conn.post("SalesReceipt", _receipt(conn, "lost-3"))) == "6140"


def test_it_loses_batch_responses_too(conn: Conn) -> None:
    body = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "SalesReceipt": _receipt(conn, "b-lost")}
        ]
    }
    conn.qbo.switches.lose_next = 1
    with pytest.raises(requests.ConnectionError):
        conn.post("batch", body, requestid="batch-1")

    retry = conn.post("batch", body, requestid="batch-1")

    assert retry.json()["BatchItemResponse"][0]["SalesReceipt"]["DocNumber"] == "b-lost"
    assert _count(conn, "b-lost") == 1


def test_it_shows_python_quickbooks_a_connection_error_on_a_lost_response(conn: Conn) -> None:
    qb = conn.qbo.quickbooks(conn.auth, conn.realm)
    conn.qbo.switches.lose_next = 1
    customer = Customer()
    customer.DisplayName = "Lost"

    with pytest.raises(requests.ConnectionError):
        customer.save(qb=qb, request_id="cust-lost")

    again = Customer()
    again.DisplayName = "Lost"
    assert again.save(qb=qb, request_id="cust-lost").DisplayName == "Lost"
    assert Customer.count(qb=qb) == 1


def test_it_injects_5xx_without_committing(conn: Conn) -> None:
    body = _receipt(conn, "5xx")
    conn.qbo.switches.fail_next = 1

    response = conn.post("SalesReceipt", body, requestid="rid-5xx")

    assert response.status_code == 503
    assert _count(conn, "5xx") == 0
    assert conn.post("SalesReceipt", body, requestid="rid-5xx").ok


def test_it_makes_python_quickbooks_report_an_injected_5xx(conn: Conn) -> None:
    qb = conn.qbo.quickbooks(conn.auth, conn.realm)
    conn.qbo.switches.fail_next = 1
    conn.qbo.switches.error_status = 502

    with pytest.raises(QuickbooksException) as exc:
        Customer.all(qb=qb)

    assert exc.value.error_code == 10000


def test_it_injects_5xx_at_a_seeded_rate(conn: Conn) -> None:
    conn.qbo.app.chaos.configure({"error_rate": 0.5, "seed": 7})

    statuses = [conn.get("preferences").status_code for _ in range(40)]

    assert 5 < statuses.count(503) < 35
    assert set(statuses) == {200, 503}


def test_it_holds_a_timed_out_request_until_the_client_gives_up(conn: Conn) -> None:
    conn.qbo.switches.timeout_next = 1
    conn.qbo.switches.timeout_seconds = 5.0

    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{conn.base}/preferences", headers=conn.headers(), timeout=0.2)

    assert conn.get("preferences").status_code == 200


def test_it_adds_latency_when_asked(conn: Conn) -> None:
    conn.qbo.switches.latency_ms = 300

    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{conn.base}/preferences", headers=conn.headers(), timeout=0.05)


def test_it_serialises_concurrent_retries_of_one_requestid(conn: Conn) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = _receipt(conn, "race")
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(
            pool.map(lambda _: conn.post("SalesReceipt", body, requestid="rid-race"), range(5))
        )

    assert {r.status_code for r in results} == {200}
    assert len({r.json()["SalesReceipt"]["Id"] for r in results}) == 1
    assert _count(conn, "race") == 1
    assert Decimal(results[0].json()["SalesReceipt"]["TotalAmt"]) == Decimal("42.00")
