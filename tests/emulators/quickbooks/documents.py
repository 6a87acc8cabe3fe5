"""One accepted entity of every kind the emulator serves, posted over the wire."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.emulators.quickbooks.conftest import Conn, ref, sales_line

D = Decimal


def post_one_of_each(conn: Conn) -> dict[str, dict[str, Any]]:
    """Create one entity per writable kind (reads for the read-only ones); return them by kind."""
    out: dict[str, dict[str, Any]] = {}
    checking, funds = conn.account("Checking"), conn.account("Undeposited Funds")
    fees, equity = conn.account("Bank Charges"), conn.account("Opening Balance Equity")
    out["Account"] = conn.create(
        "Account", {"Name": "Stripe Clearing", "AccountType": "Bank", "AccountSubType": "Checking"}
    )
    out["Customer"] = conn.create(
        "Customer",
        {"DisplayName": "Jane Doe (cus_1)", "PrimaryEmailAddr": {"Address": "jane@example.com"}},
    )
    out["Vendor"] = conn.create("Vendor", {"DisplayName": "Stripe"})
    out["Employee"] = conn.create("Employee", {"GivenName": "Emma", "FamilyName": "Ployee"})
    out["Item"] = conn.create(
        "Item",
        {
            "Name": "Stripe Sales",
            "Type": "Service",
            "IncomeAccountRef": ref(conn.account("Services")),
        },
    )
    out["Class"] = conn.create("Class", {"Name": "Online"})
    out["Department"] = conn.create("Department", {"Name": "EU"})
    out["PaymentMethod"] = conn.create("PaymentMethod", {"Name": "Stripe", "Type": "CREDIT_CARD"})
    customer, item = ref(out["Customer"]), ref(out["Item"])
    out["SalesReceipt"] = conn.create(
        "SalesReceipt",
        {
            "CustomerRef": customer,
            "TxnDate": "2026-01-15",
            "DocNumber": "ch_1",
            "PrivateNote": "stripe ch_1",
            "PaymentMethodRef": ref(out["PaymentMethod"]),
            "Line": [
                sales_line(
                    item["value"],
                    "100.00",
                    Qty=1,
                    UnitPrice=D("100.00"),
                    TaxCodeRef={"value": "NON"},
                )
            ],
        },
    )
    out["Invoice"] = conn.create(
        "Invoice",
        {
            "CustomerRef": customer,
            "DocNumber": "in_1",
            "Line": [sales_line(item["value"], "80.00")],
        },
    )
    out["Payment"] = conn.create(
        "Payment",
        {
            "CustomerRef": customer,
            "TotalAmt": D("30.00"),
            "DepositToAccountRef": ref(funds),
            "Line": [
                {
                    "Amount": D("30.00"),
                    "LinkedTxn": [{"TxnId": out["Invoice"]["Id"], "TxnType": "Invoice"}],
                }
            ],
        },
    )
    out["RefundReceipt"] = conn.create(
        "RefundReceipt",
        {
            "CustomerRef": customer,
            "DepositToAccountRef": ref(checking),
            "DocNumber": "re_1",
            "Line": [sales_line(item["value"], "25.00")],
        },
    )
    out["CreditMemo"] = conn.create(
        "CreditMemo",
        {"CustomerRef": customer, "DocNumber": "cm_1", "Line": [sales_line(item["value"], "5.00")]},
    )
    out["Deposit"] = conn.create(
        "Deposit",
        {
            "DepositToAccountRef": ref(checking),
            "TxnDate": "2026-01-17",
            "PrivateNote": "po_1",
            "Line": [
                {
                    "Amount": D("100.00"),
                    "LinkedTxn": [
                        {
                            "TxnId": out["SalesReceipt"]["Id"],
                            "TxnType": "SalesReceipt",
                            "TxnLineId": "0",
                        }
                    ],
                },
                {
                    "Amount": D("-3.20"),
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {
                        "AccountRef": ref(fees),
                        "Entity": {"value": out["Vendor"]["Id"], "type": "VENDOR"},
                    },
                },
            ],
        },
    )
    out["Transfer"] = conn.create(
        "Transfer",
        {
            "FromAccountRef": ref(out["Account"]),
            "ToAccountRef": ref(checking),
            "Amount": D("96.80"),
            "TxnDate": "2026-01-17",
        },
    )
    out["JournalEntry"] = conn.create(
        "JournalEntry",
        {
            "DocNumber": "je_1",
            "Line": [
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": D("3.20"),
                    "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": ref(fees)},
                },
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": D("3.20"),
                    "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": ref(equity)},
                },
            ],
        },
    )
    out["Purchase"] = conn.create(
        "Purchase",
        {
            "PaymentType": "Cash",
            "AccountRef": ref(out["Account"]),
            "EntityRef": {"value": out["Vendor"]["Id"], "type": "Vendor"},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": D("3.20"),
                    "AccountBasedExpenseLineDetail": {"AccountRef": ref(fees)},
                }
            ],
        },
    )
    out["TaxCode"] = conn.query("select * from TaxCode")["TaxCode"][0]
    out["TaxRate"] = conn.query("select * from TaxRate")["TaxRate"][0]
    out["CompanyInfo"] = conn.query("select * from CompanyInfo")["CompanyInfo"][0]
    out["Preferences"] = conn.query("select * from Preferences")["Preferences"][0]
    return out
