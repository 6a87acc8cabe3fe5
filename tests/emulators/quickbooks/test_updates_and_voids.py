"""Sparse and full updates with SyncToken, void and delete where QBO allows them."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest
from quickbooks.objects import Customer, Invoice, Item, SalesItemLine, SalesItemLineDetail

from emulators.quickbooks import xsd
from tests.emulators.quickbooks.conftest import Conn, fault_code, ref, sales_line

D = Decimal


def _invoice(conn: Conn, amount: str = "40.00") -> dict[str, object]:
    customer = conn.customer()
    return conn.create(
        "Invoice",
        {"CustomerRef": ref(customer), "Line": [sales_line(conn.item("Services")["Id"], amount)]},
    )


def test_it_keeps_unsent_fields_on_a_sparse_update(conn: Conn) -> None:
    customer = conn.customer("Sparse", Notes="keep me")

    updated = conn.create(
        "Customer",
        {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "Sparse Ltd"},
    )

    assert updated["Notes"] == "keep me"
    assert updated["SyncToken"] == "1"
    assert updated["MetaData"]["CreateTime"] == customer["MetaData"]["CreateTime"]


def test_it_clears_unsent_fields_on_a_full_update(conn: Conn) -> None:
    customer = conn.customer("Full", Notes="drop me")

    updated = conn.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "DisplayName": "Full"}
    )

    assert "Notes" not in updated


def test_it_rebooks_a_document_when_its_lines_change(conn: Conn) -> None:
    receipt = conn.create(
        "SalesReceipt", {"Line": [sales_line(conn.item("Services")["Id"], "10.00")]}
    )

    conn.create(
        "SalesReceipt", {**receipt, "Line": [sales_line(conn.item("Services")["Id"], "25.00")]}
    )

    assert D(conn.account("Undeposited Funds")["CurrentBalance"]) == D("25.00")


def test_it_accepts_a_python_quickbooks_full_update_of_a_read_document(conn: Conn) -> None:
    qb = conn.qbo.quickbooks(conn.auth, conn.realm)
    customer = Customer()
    customer.DisplayName = "Editor"
    customer = customer.save(qb=qb)
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    line = SalesItemLine()
    line.Amount = D("10.00")
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.filter(Name="Services", qb=qb)[0].to_ref()
    invoice.Line.append(line)
    invoice = invoice.save(qb=qb)

    fetched = Invoice.get(invoice.Id, qb=qb)
    fetched.Line[0].Amount = D("12.00")
    saved = fetched.save(qb=qb)  # sends the old TotalAmt back, as the library does

    assert saved.TotalAmt == D("12.00")
    assert saved.SyncToken == "1"


def test_it_voids_an_invoice_with_operation_void(conn: Conn) -> None:
    invoice = _invoice(conn)

    voided = conn.create("Invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")

    assert D(voided["TotalAmt"]) == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert D(conn.account("Accounts Receivable (A/R)")["CurrentBalance"]) == 0


def test_it_refuses_to_void_a_paid_invoice(conn: Conn) -> None:
    invoice = _invoice(conn)
    conn.create(
        "Payment",
        {
            "CustomerRef": invoice["CustomerRef"],
            "TotalAmt": D("40.00"),
            "Line": [
                {
                    "Amount": D("40.00"),
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                }
            ],
        },
    )

    response = conn.post("Invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")

    assert fault_code(response) == "6000"


def test_it_refuses_void_where_qbo_does_not_offer_it(conn: Conn) -> None:
    refund = conn.create(
        "RefundReceipt",
        {
            "DepositToAccountRef": ref(conn.account("Checking")),
            "Line": [sales_line(conn.item("Services")["Id"], "1.00")],
        },
    )

    response = conn.post("RefundReceipt", {"Id": refund["Id"], "SyncToken": "0"}, operation="void")

    assert fault_code(response) == "500"


def test_it_refuses_changes_to_a_voided_document(conn: Conn) -> None:
    receipt = conn.create(
        "SalesReceipt", {"Line": [sales_line(conn.item("Services")["Id"], "3.00")]}
    )
    conn.create(
        "SalesReceipt",
        {"Id": receipt["Id"], "SyncToken": "0", "sparse": True},
        operation="update",
        include="void",
    )

    response = conn.post(
        "SalesReceipt",
        {"Id": receipt["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "revive"},
    )

    assert fault_code(response) == "6000"


def test_it_restores_an_invoice_balance_when_its_payment_is_deleted(conn: Conn) -> None:
    invoice = _invoice(conn)
    payment = conn.create(
        "Payment",
        {
            "CustomerRef": invoice["CustomerRef"],
            "TotalAmt": D("15.00"),
            "Line": [
                {
                    "Amount": D("15.00"),
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                }
            ],
        },
    )
    assert D(conn.get(f"invoice/{invoice['Id']}").json()["Invoice"]["Balance"]) == D("25.00")

    conn.post("Payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")

    assert D(conn.get(f"invoice/{invoice['Id']}").json()["Invoice"]["Balance"]) == D("40.00")


def test_it_accepts_an_accounts_receivable_journal_line_with_a_customer(conn: Conn) -> None:
    customer = conn.customer()
    ar = ref(conn.account("Accounts Receivable (A/R)"))
    line = {"DetailType": "JournalEntryLineDetail", "Amount": D("5.00")}

    entry = conn.create(
        "JournalEntry",
        {
            "Line": [
                {
                    **line,
                    "JournalEntryLineDetail": {
                        "PostingType": "Debit",
                        "AccountRef": ar,
                        "Entity": {"Type": "Customer", "EntityRef": ref(customer)},
                    },
                },
                {
                    **line,
                    "JournalEntryLineDetail": {
                        "PostingType": "Credit",
                        "AccountRef": ref(conn.account("Services")),
                    },
                },
            ]
        },
    )

    assert D(entry["TotalAmt"]) == D("5.00")
    assert D(conn.account("Accounts Receivable (A/R)")["CurrentBalance"]) == D("5.00")


def test_it_runs_unvalidated_with_one_warning_without_the_xsd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(xsd, "_schema", None)
    monkeypatch.setattr(xsd, "_warned", False)
    monkeypatch.setenv("QBO_XSD_DIR", str(tmp_path))

    with caplog.at_level(logging.WARNING, logger=xsd.__name__):
        xsd.validate("Customer", {"DisplayName": "x", "Foo": 1})
        xsd.validate("Customer", {"DisplayName": "x", "Foo": 1})

    assert [r.message for r in caplog.records if "not XSD-validated" in r.message] != []
    assert len(caplog.records) == 1


def test_it_numbers_lines_and_adds_a_subtotal_line_like_qbo(conn: Conn) -> None:
    item = conn.item("Services")["Id"]
    receipt = conn.create(
        "SalesReceipt", {"Line": [sales_line(item, "2.00"), sales_line(item, "3.00")]}
    )

    assert [line["Id"] for line in receipt["Line"][:2]] == ["1", "2"]
    assert receipt["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    assert D(receipt["Line"][-1]["Amount"]) == D("5.00")


def test_it_does_not_count_an_echoed_subtotal_line_twice(conn: Conn) -> None:
    item = conn.item("Services")["Id"]
    receipt = conn.create("SalesReceipt", {"Line": [sales_line(item, "2.00")]})

    updated = conn.create("SalesReceipt", receipt)  # full update sending back every line

    assert D(updated["TotalAmt"]) == D("2.00")
    assert [line["DetailType"] for line in updated["Line"]] == [
        "SalesItemLineDetail",
        "SubTotalLineDetail",
    ]


def test_it_numbers_documents_when_asked_to_auto_generate(conn: Conn) -> None:
    item = conn.item("Services")["Id"]

    first = conn.create(
        "Invoice",
        {
            "CustomerRef": ref(conn.customer()),
            "DocNumber": "AUTO_GENERATE",
            "Line": [sales_line(item, "1.00")],
        },
    )

    assert first["DocNumber"] == "1001"
