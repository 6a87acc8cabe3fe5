"""One test per QBO validation rule, each asserting the Fault code QBO sends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.emulators.quickbooks.conftest import Conn, fault_code, fault_of, ref, sales_line

D = Decimal


def _receipt(conn: Conn, amount: str = "10.00", **extra: Any) -> dict[str, Any]:
    return {"Line": [sales_line(conn.item("Services")["Id"], amount)], **extra}


def _set_prefs(conn: Conn, **sections: dict[str, Any]) -> None:
    prefs = conn.query("select * from Preferences")["Preferences"][0]
    conn.create("Preferences", {"SyncToken": prefs["SyncToken"], "sparse": True, **sections})


@pytest.mark.parametrize(
    ("entity", "body", "missing"),
    [
        ("SalesReceipt", {"DocNumber": "x"}, "Line"),
        ("Invoice", {"Line": []}, "CustomerRef"),
        ("Payment", {"CustomerRef": {"value": "1"}}, None),
        (
            "RefundReceipt",
            {
                "Line": [
                    {
                        "Amount": 1,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ]
            },
            "DepositToAccountRef",
        ),
        ("Deposit", {"Line": []}, "DepositToAccountRef"),
        ("Transfer", {"Amount": 1}, "FromAccountRef"),
        ("Purchase", {"AccountRef": {"value": "1"}, "Line": []}, "PaymentType"),
        ("Account", {"AccountType": "Bank"}, "Name"),
        ("Item", {"Name": "x"}, "Type"),
        ("Customer", {"Notes": "no name"}, "DisplayName"),
    ],
)
def test_it_answers_a_missing_required_field_with_2020(
    conn: Conn, entity: str, body: dict[str, Any], missing: str | None
) -> None:
    if entity == "Payment":
        body = {"CustomerRef": ref(conn.customer())}
        missing = "TotalAmt"

    response = conn.post(entity, body)

    assert fault_code(response) == "2020"
    assert fault_of(response)["Error"][0]["element"] == missing
    assert fault_of(response)["type"] == "ValidationFault"


def test_it_refuses_a_doc_number_longer_than_21_characters(conn: Conn) -> None:
    response = conn.post("SalesReceipt", _receipt(conn, DocNumber="x" * 22))

    assert fault_code(response) == "2050"
    assert conn.post("SalesReceipt", _receipt(conn, DocNumber="x" * 21)).status_code == 200


@pytest.mark.parametrize("second", ["Customer", "Vendor", "Employee"])
def test_it_keeps_display_names_unique_across_customer_vendor_employee(
    conn: Conn, second: str
) -> None:
    conn.create("Vendor", {"DisplayName": "Stripe"})

    response = conn.post(second, {"DisplayName": "stripe"})

    assert fault_code(response) == "6240"
    assert fault_of(response)["Error"][0]["Message"] == "Duplicate Name Exists Error"


def test_it_refuses_a_duplicate_doc_number_naming_the_existing_document(conn: Conn) -> None:
    first = conn.create("SalesReceipt", _receipt(conn, DocNumber="ch_42"))

    response = conn.post("SalesReceipt", _receipt(conn, DocNumber="ch_42"))

    assert fault_code(response) == "6140"
    detail = fault_of(response)["Error"][0]["Detail"]
    assert (
        f"DocNumber=ch_42 is assigned to TxnType=Sales Receipt with TxnId={first['Id']}" in detail
    )


def test_it_checks_doc_numbers_per_transaction_type(conn: Conn) -> None:
    conn.create("SalesReceipt", _receipt(conn, DocNumber="n1"))

    response = conn.post(
        "RefundReceipt",
        _receipt(conn, DocNumber="n1", DepositToAccountRef=ref(conn.account("Checking"))),
    )

    assert response.status_code == 200


def test_it_allows_duplicate_doc_numbers_when_asked_or_when_the_check_is_off(conn: Conn) -> None:
    conn.create("SalesReceipt", _receipt(conn, DocNumber="dup"))

    assert (
        conn.post(
            "SalesReceipt", _receipt(conn, DocNumber="dup"), include="allowduplicatedocnum"
        ).status_code
        == 200
    )
    _set_prefs(conn, SalesFormsPrefs={"CustomTxnNumbers": False})
    assert conn.post("SalesReceipt", _receipt(conn, DocNumber="dup")).status_code == 200


def test_it_refuses_a_stale_sync_token_with_5010(conn: Conn) -> None:
    customer = conn.customer()
    conn.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "first edit"}
    )

    response = conn.post(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "lost edit"}
    )

    assert fault_code(response) == "5010"
    assert fault_of(response)["Error"][0]["Message"] == "Stale Object Error"


def test_it_refuses_postings_on_or_before_the_books_closing_date(conn: Conn) -> None:
    _set_prefs(conn, AccountingInfoPrefs={"BookCloseDate": "2026-01-31"})

    on_close = conn.post("SalesReceipt", _receipt(conn, TxnDate="2026-01-31"))
    after = conn.post("SalesReceipt", _receipt(conn, TxnDate="2026-02-01"))

    assert fault_code(on_close) == "6210"
    assert after.status_code == 200


def test_it_refuses_editing_a_document_in_a_closed_period(conn: Conn) -> None:
    receipt = conn.create("SalesReceipt", _receipt(conn, TxnDate="2026-01-10"))
    _set_prefs(conn, AccountingInfoPrefs={"BookCloseDate": "2026-01-31"})

    response = conn.post(
        "SalesReceipt",
        {"Id": receipt["Id"], "SyncToken": "0", "sparse": True, "TxnDate": "2026-02-10"},
    )

    assert fault_code(response) == "6210"


@pytest.mark.parametrize(
    ("entity", "account"),
    [
        ("SalesReceipt", "Services"),
        ("RefundReceipt", "Accounts Receivable (A/R)"),
        ("Deposit", "Bank Charges"),
        ("Payment", "Visa"),
    ],
)
def test_it_requires_deposit_accounts_of_bank_or_other_current_asset_type(
    conn: Conn, entity: str, account: str
) -> None:
    customer = conn.customer()
    bad = ref(conn.account(account))
    body: dict[str, Any] = _receipt(conn, CustomerRef=ref(customer), DepositToAccountRef=bad)
    if entity == "Deposit":
        body = {
            "DepositToAccountRef": bad,
            "Line": [
                {"Amount": 1, "DepositLineDetail": {"AccountRef": ref(conn.account("Services"))}}
            ],
        }
    if entity == "Payment":
        body = {"CustomerRef": ref(customer), "TotalAmt": 1, "DepositToAccountRef": bad}

    response = conn.post(entity, body)

    assert fault_code(response) == "6000"
    assert fault_of(response)["Error"][0]["element"] == "DepositToAccountRef"


def test_it_refuses_a_bank_account_on_a_deposit_line(conn: Conn) -> None:
    response = conn.post(
        "Deposit",
        {
            "DepositToAccountRef": ref(conn.account("Checking")),
            "Line": [
                {"Amount": 1, "DepositLineDetail": {"AccountRef": ref(conn.account("Savings"))}}
            ],
        },
    )

    assert fault_code(response) == "6000"


@pytest.mark.parametrize(
    ("payment_type", "account", "ok"),
    [
        ("Cash", "Checking", True),
        ("Check", "Visa", False),
        ("CreditCard", "Visa", True),
        ("CreditCard", "Checking", False),
    ],
)
def test_it_requires_the_purchase_payment_account_to_match_the_payment_type(
    conn: Conn, payment_type: str, account: str, ok: bool
) -> None:
    response = conn.post(
        "Purchase",
        {
            "PaymentType": payment_type,
            "AccountRef": ref(conn.account(account)),
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": 1,
                    "AccountBasedExpenseLineDetail": {
                        "AccountRef": ref(conn.account("Bank Charges"))
                    },
                }
            ],
        },
    )

    if ok:
        assert response.status_code == 200
    else:
        assert fault_code(response) == "6000"


def test_it_refuses_a_total_that_differs_from_the_sum_of_lines(conn: Conn) -> None:
    response = conn.post("SalesReceipt", _receipt(conn, "10.00", TotalAmt=D("11.00")))

    assert fault_code(response) == "6000"
    assert fault_of(response)["Error"][0]["element"] == "TotalAmt"
    assert conn.post("SalesReceipt", _receipt(conn, "10.00", TotalAmt=D("10.00"))).ok


def test_it_refuses_payment_lines_above_the_payment_total(conn: Conn) -> None:
    customer = conn.customer()
    invoice = conn.create(
        "Invoice",
        {"CustomerRef": ref(customer), "Line": [sales_line(conn.item("Services")["Id"], "50.00")]},
    )

    response = conn.post(
        "Payment",
        {
            "CustomerRef": ref(customer),
            "TotalAmt": D("20.00"),
            "Line": [
                {
                    "Amount": D("30.00"),
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                }
            ],
        },
    )

    assert fault_code(response) == "6000"


def test_it_refuses_amount_not_equal_to_qty_times_unit_price_with_6070(conn: Conn) -> None:
    item = conn.item("Services")["Id"]

    response = conn.post(
        "SalesReceipt", {"Line": [sales_line(item, "10.00", Qty=3, UnitPrice=D("3.00"))]}
    )

    assert fault_code(response) == "6070"


def test_it_refuses_an_unbalanced_journal_entry(conn: Conn) -> None:
    def line(posting: str, amount: str, account: str) -> dict[str, Any]:
        return {
            "DetailType": "JournalEntryLineDetail",
            "Amount": D(amount),
            "JournalEntryLineDetail": {
                "PostingType": posting,
                "AccountRef": ref(conn.account(account)),
            },
        }

    response = conn.post(
        "JournalEntry",
        {"Line": [line("Debit", "10.00", "Bank Charges"), line("Credit", "9.99", "Checking")]},
    )

    assert fault_code(response) == "6000"
    assert "out of balance" in fault_of(response)["Error"][0]["Detail"]


def test_it_requires_a_customer_on_an_accounts_receivable_journal_line(conn: Conn) -> None:
    response = conn.post(
        "JournalEntry",
        {
            "Line": [
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": 1,
                    "JournalEntryLineDetail": {
                        "PostingType": "Debit",
                        "AccountRef": ref(conn.account("Accounts Receivable (A/R)")),
                    },
                },
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": 1,
                    "JournalEntryLineDetail": {
                        "PostingType": "Credit",
                        "AccountRef": ref(conn.account("Services")),
                    },
                },
            ]
        },
    )

    assert fault_code(response) == "6000"


def test_it_fixes_a_customers_currency_once_set(conn: Conn) -> None:
    _set_prefs(conn, CurrencyPrefs={"MultiCurrencyEnabled": True})
    customer = conn.customer("Euro Buyer", CurrencyRef={"value": "EUR"})

    response = conn.post(
        "Customer",
        {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "CurrencyRef": {"value": "USD"}},
    )

    assert fault_code(response) == "6000"
    assert fault_of(response)["Error"][0]["element"] == "CurrencyRef"


def test_it_requires_the_transaction_currency_to_match_the_customer(conn: Conn) -> None:
    _set_prefs(conn, CurrencyPrefs={"MultiCurrencyEnabled": True})
    customer = conn.customer("Euro Buyer", CurrencyRef={"value": "EUR"})

    response = conn.post("SalesReceipt", _receipt(conn, CustomerRef=ref(customer)))

    assert fault_code(response) == "6000"


def test_it_refuses_foreign_currency_while_multicurrency_is_off(conn: Conn) -> None:
    response = conn.post(
        "SalesReceipt", _receipt(conn, CurrencyRef={"value": "EUR"}, ExchangeRate=D("1.1"))
    )

    assert fault_code(response) == "6000"


@pytest.mark.parametrize(
    ("currency", "amount", "ok"),
    [
        ("USD", "10.001", False),
        ("USD", "10.10", True),
        ("JPY", "100.5", False),
        ("JPY", "100", True),
        ("KWD", "1.234", True),
        ("KWD", "1.2345", False),
    ],
)
def test_it_requires_amounts_in_the_currency_precision(
    conn: Conn, currency: str, amount: str, ok: bool
) -> None:
    _set_prefs(conn, CurrencyPrefs={"MultiCurrencyEnabled": True})
    body = _receipt(conn, amount)
    if currency != "USD":
        body.update(CurrencyRef={"value": currency}, ExchangeRate=D("0.01"))

    response = conn.post("SalesReceipt", body)

    if ok:
        assert response.status_code == 200, response.text
    else:
        assert fault_code(response) == "6000"


def test_it_cannot_turn_multicurrency_off_once_on(conn: Conn) -> None:
    _set_prefs(conn, CurrencyPrefs={"MultiCurrencyEnabled": True})
    prefs = conn.query("select * from Preferences")["Preferences"][0]

    response = conn.post(
        "Preferences",
        {
            "SyncToken": prefs["SyncToken"],
            "sparse": True,
            "CurrencyPrefs": {"MultiCurrencyEnabled": False},
        },
    )

    assert fault_code(response) == "6000"


def test_it_answers_610_for_an_unknown_id(conn: Conn) -> None:
    assert fault_code(conn.get("salesreceipt/9999")) == "610"


def test_it_answers_2500_for_an_invalid_reference(conn: Conn) -> None:
    response = conn.post("SalesReceipt", {"Line": [sales_line("9999", "1.00")]})

    assert fault_code(response) == "2500"


def test_it_refuses_an_inactive_reference_with_610(conn: Conn) -> None:
    customer = conn.customer()
    conn.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )

    response = conn.post("SalesReceipt", _receipt(conn, CustomerRef=ref(customer)))

    assert fault_code(response) == "610"


def test_it_does_not_delete_list_entities(conn: Conn) -> None:
    customer = conn.customer()

    response = conn.post("Customer", {"Id": customer["Id"], "SyncToken": "0"}, operation="delete")

    assert fault_code(response) == "500"


def test_it_refuses_changing_a_deposited_transaction_with_6540(conn: Conn) -> None:
    receipt = conn.create("SalesReceipt", _receipt(conn, "10.00"))
    conn.create(
        "Deposit",
        {
            "DepositToAccountRef": ref(conn.account("Checking")),
            "Line": [
                {
                    "Amount": D("10.00"),
                    "LinkedTxn": [
                        {"TxnId": receipt["Id"], "TxnType": "SalesReceipt", "TxnLineId": "0"}
                    ],
                }
            ],
        },
    )

    response = conn.post(
        "SalesReceipt", {"Id": receipt["Id"], "SyncToken": "0"}, operation="delete"
    )

    assert fault_code(response) == "6540"


def test_it_requires_linked_deposit_receipts_to_sit_in_undeposited_funds(conn: Conn) -> None:
    receipt = conn.create(
        "SalesReceipt", _receipt(conn, "10.00", DepositToAccountRef=ref(conn.account("Checking")))
    )

    response = conn.post(
        "Deposit",
        {
            "DepositToAccountRef": ref(conn.account("Savings")),
            "Line": [
                {
                    "Amount": D("10.00"),
                    "LinkedTxn": [
                        {"TxnId": receipt["Id"], "TxnType": "SalesReceipt", "TxnLineId": "0"}
                    ],
                }
            ],
        },
    )

    assert fault_code(response) == "6000"


def test_it_answers_an_unsupported_minor_version(conn: Conn) -> None:
    assert fault_code(conn.get("preferences", minorversion="abc")) == "2010"
    assert fault_code(conn.get("preferences", minorversion="99")) == "2010"
    assert conn.get("preferences", minorversion="70").status_code == 200
