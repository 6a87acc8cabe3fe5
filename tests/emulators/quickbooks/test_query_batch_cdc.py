"""The query endpoint's SQL subset, the batch endpoint and change data capture."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from emulators.quickbooks import query
from tests.emulators.quickbooks.conftest import Conn, fault_code, sales_line

D = Decimal


@pytest.fixture
def people(conn: Conn) -> Conn:
    for name in ("Alice", "bob", "Carol", "O'Brien"):
        conn.customer(name)
    return conn


def _names(result: dict[str, object]) -> list[str]:
    return [c["DisplayName"] for c in result.get("Customer", [])]  # type: ignore[union-attr]


def test_it_filters_with_equals_case_insensitively(people: Conn) -> None:
    assert _names(people.query("SELECT * FROM Customer WHERE DisplayName = 'BOB'")) == ["bob"]


def test_it_filters_with_in_and_and(people: Conn) -> None:
    result = people.query(
        "select * from Customer where DisplayName IN ('Alice', 'Carol', 'Zed') and Active = true"
    )

    assert _names(result) == ["Alice", "Carol"]


def test_it_filters_with_like_and_escaped_quotes(people: Conn) -> None:
    assert _names(people.query("select * from Customer where DisplayName like 'O\\'B%'")) == [
        "O'Brien"
    ]


def test_it_orders_and_pages(people: Conn) -> None:
    page = people.query(
        "select * from Customer ORDERBY DisplayName DESC STARTPOSITION 2 MAXRESULTS 2"
    )

    assert _names(page) == ["Carol", "bob"]
    assert page["startPosition"] == 2
    assert page["maxResults"] == 2


def test_it_counts(people: Conn) -> None:
    assert people.query("select count(*) from Customer where Active = true") == {"totalCount": 4}


def test_it_answers_an_empty_query_response(conn: Conn) -> None:
    assert conn.query("select * from Customer") == {}


def test_it_filters_references_and_amounts(conn: Conn) -> None:
    item = conn.item("Services")["Id"]
    for amount in ("5.00", "50.00", "500.00"):
        conn.create("SalesReceipt", {"Line": [sales_line(item, amount)]})
    checking = conn.account("Undeposited Funds")["Id"]

    found = conn.query(
        f"select * from SalesReceipt where TotalAmt > '10' and DepositToAccountRef = '{checking}'"
    )

    assert [D(r["TotalAmt"]) for r in found["SalesReceipt"]] == [D("50.00"), D("500.00")]


def test_it_filters_on_metadata_times(conn: Conn) -> None:
    conn.qbo.clock.advance(1800)
    since = conn.qbo.clock.now().isoformat()
    conn.customer("Late")

    found = conn.query(f"select * from Customer where MetaData.LastUpdatedTime >= '{since}'")

    assert _names(found) == ["Late"]


@pytest.mark.parametrize(
    "text",
    [
        "select Id from Customer",
        "select * from Customer where DisplayName = 'a' or DisplayName = 'b'",
        "select * from Customer where",
        "delete from Customer",
    ],
)
def test_it_refuses_what_qbo_sql_does_not_support(conn: Conn, text: str) -> None:
    assert fault_code(conn.get("query", query=text)) == "4000"


def test_it_refuses_non_filterable_fields_and_unknown_entities(conn: Conn) -> None:
    assert (
        fault_code(conn.get("query", query="select * from SalesReceipt where PrivateNote = 'x'"))
        == "4001"
    )
    assert fault_code(conn.get("query", query="select * from Nope")) == "4001"


def test_it_caps_maxresults_at_1000() -> None:
    assert query.parse("select * from Customer maxresults 5000").max_results == 1000
    assert query.parse("select * from Customer").max_results == 100


def test_it_accepts_the_query_as_a_post_body(people: Conn) -> None:
    import requests

    response = requests.post(
        f"{people.base}/query",
        data="select count(*) from Customer",
        headers={**people.headers(), "Content-Type": "application/text"},
        timeout=5,
    )

    assert response.json()["QueryResponse"]["totalCount"] == 4


# ---- batch -----------------------------------------------------------------------------------


def test_it_runs_batch_items_independently(conn: Conn) -> None:
    existing = conn.customer("Taken")
    body = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "New"}},
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Taken"}},
            {
                "bId": "3",
                "operation": "update",
                "Customer": {"Id": existing["Id"], "SyncToken": "0", "sparse": True, "Notes": "hi"},
            },
            {"bId": "4", "Query": "select count(*) from Customer"},
        ]
    }

    response = conn.post("batch", body)

    assert response.status_code == 200
    items = {i["bId"]: i for i in response.json()["BatchItemResponse"]}
    assert items["1"]["Customer"]["DisplayName"] == "New"
    assert items["2"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["2"]["Fault"]["type"] == "ValidationFault"
    assert items["3"]["Customer"]["SyncToken"] == "1"
    assert items["4"]["QueryResponse"] == {"totalCount": 2}


def test_it_deletes_in_a_batch(conn: Conn) -> None:
    receipt = conn.create("SalesReceipt", {"Line": [sales_line(conn.item("Services")["Id"], "1")]})
    body = {
        "BatchItemRequest": [
            {
                "bId": "1",
                "operation": "delete",
                "SalesReceipt": {"Id": receipt["Id"], "SyncToken": receipt["SyncToken"]},
            }
        ]
    }

    item = conn.post("batch", body).json()["BatchItemResponse"][0]

    assert item["SalesReceipt"]["status"] == "Deleted"


def test_it_refuses_more_than_30_batch_items(conn: Conn) -> None:
    body = {
        "BatchItemRequest": [{"bId": str(n), "Query": "select * from Customer"} for n in range(31)]
    }

    assert fault_code(conn.post("batch", body)) == "1040"


def test_it_refuses_a_batch_requestid_over_36_characters(conn: Conn) -> None:
    body = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Customer"}]}

    assert fault_code(conn.post("batch", body, requestid="x" * 37)) == "2050"


# ---- CDC -------------------------------------------------------------------------------------


def test_it_returns_changes_and_deletions_since_a_time(conn: Conn) -> None:
    item = conn.item("Services")["Id"]
    conn.qbo.clock.advance(600)
    since = conn.qbo.clock.now().isoformat()
    conn.customer("Fresh")
    receipt = conn.create("SalesReceipt", {"Line": [sales_line(item, "3.00")]})
    conn.post("SalesReceipt", {"Id": receipt["Id"], "SyncToken": "0"}, operation="delete")

    body = conn.get("cdc", entities="Customer,SalesReceipt,Account", changedSince=since).json()

    blocks = body["CDCResponse"][0]["QueryResponse"]
    assert [c["DisplayName"] for c in blocks[0]["Customer"]] == ["Fresh"]
    assert blocks[1]["SalesReceipt"] == [
        {
            "Id": receipt["Id"],
            "status": "Deleted",
            "domain": "QBO",
            "MetaData": {"LastUpdatedTime": since},
        }
    ]
    assert "Account" not in blocks[2]


def test_it_limits_cdc_to_30_days(conn: Conn) -> None:
    too_old = (conn.qbo.clock.now() - timedelta(days=31)).isoformat()

    assert fault_code(conn.get("cdc", entities="Customer", changedSince=too_old)) == "2010"
    assert fault_code(conn.get("cdc", entities="Customer")) == "2020"


def test_it_finds_documents_by_doc_number_through_the_index(conn: Conn) -> None:
    item = conn.item("Services")["Id"]
    for number in ("ch_A", "ch_B", "ch_C"):
        conn.create("SalesReceipt", {"DocNumber": number, "Line": [sales_line(item, "1.00")]})

    found = conn.query("select * from SalesReceipt where DocNumber in ('ch_a', 'ch_C', 'nope')")

    assert [r["DocNumber"] for r in found["SalesReceipt"]] == ["ch_A", "ch_C"]
    assert conn.query("select count(*) from SalesReceipt where DocNumber = 'CH_B'") == {
        "totalCount": 1
    }


def test_it_finds_a_customer_by_email(conn: Conn) -> None:
    conn.customer("Mailed", PrimaryEmailAddr={"Address": "jane@example.com"})
    conn.customer("Other", PrimaryEmailAddr={"Address": "other@example.com"})

    found = conn.query("select * from Customer where PrimaryEmailAddr = 'Jane@example.com'")

    assert _names(found) == ["Mailed"]
