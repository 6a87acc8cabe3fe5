"""Books that add up: after any sequence of documents every account's CurrentBalance equals the
signed sum of its postings — computed here by the test's own model of the debit/credit rules —
and the trial balance nets to zero."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.quickbooks import jsonio
from emulators.quickbooks.testing import RunningEmulator, serve
from emulators.quickbooks.throttle import Limits
from tests.emulators.quickbooks.conftest import Conn, ref, sales_line

D = Decimal
DEBIT_NORMAL = {"Asset", "Expense"}
cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: D(c) / 100)

# (kind, parameters) — each kind's effect on the books is modelled in Model.apply below.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("receipt"), cents, st.sampled_from(["Undeposited Funds", "Checking"])),
        st.tuples(st.just("refund"), cents, st.sampled_from(["Checking", "Savings"])),
        st.tuples(
            st.just("purchase"),
            cents,
            st.sampled_from([("Cash", "Checking"), ("Check", "Savings"), ("CreditCard", "Visa")]),
        ),
        st.tuples(st.just("deposit"), cents, st.sampled_from(["Services", "Bank Charges"])),
        st.tuples(
            st.just("transfer"),
            cents,
            st.sampled_from([("Checking", "Savings"), ("Undeposited Funds", "Checking")]),
        ),
        st.tuples(
            st.just("journal"),
            cents,
            st.sampled_from([("Bank Charges", "Checking"), ("Opening Balance Equity", "Savings")]),
        ),
        st.tuples(st.just("invoice_paid"), cents, st.integers(min_value=0, max_value=100)),
        st.tuples(st.just("void_last_receipt"), st.just(D(0)), st.just(None)),
        st.tuples(st.just("reprice_last_receipt"), cents, st.just(None)),
        st.tuples(st.just("delete_last_purchase"), st.just(D(0)), st.just(None)),
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningEmulator]:
    with serve(limits=Limits(enabled=False)) as running:
        yield running


class Model:
    """The test's independent bookkeeping: debit-positive balance per account name."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.balance: dict[str, Decimal] = defaultdict(lambda: D(0))
        self.receipts: list[tuple[dict[str, Any], list[tuple[str, Decimal]]]] = []
        self.purchases: list[tuple[dict[str, Any], list[tuple[str, Decimal]]]] = []
        self.ids = {
            a["Name"]: a["Id"]
            for a in conn.query("select * from Account maxresults 1000")["Account"]
        }
        self.services = conn.item("Services")["Id"]
        self.customer = conn.customer("Model Customer")

    def post(
        self, entity: str, body: dict[str, Any], effect: list[tuple[str, Decimal]]
    ) -> dict[str, Any]:
        created = self.conn.create(entity, body)
        for name, amount in effect:
            self.balance[name] += amount
        return created

    def acct(self, name: str) -> dict[str, str]:
        return {"value": self.ids[name]}

    def apply(self, kind: str, amount: Decimal, arg: Any) -> None:
        getattr(self, kind)(amount, arg)

    def receipt(self, amount: Decimal, account: str) -> None:
        effect = [(account, amount), ("Services", -amount)]
        doc = self.post(
            "SalesReceipt",
            {
                "DepositToAccountRef": self.acct(account),
                "Line": [sales_line(self.services, str(amount))],
            },
            effect,
        )
        self.receipts.append((doc, effect))

    def refund(self, amount: Decimal, account: str) -> None:
        self.post(
            "RefundReceipt",
            {
                "DepositToAccountRef": self.acct(account),
                "Line": [sales_line(self.services, str(amount))],
            },
            [(account, -amount), ("Services", amount)],
        )

    def purchase(self, amount: Decimal, arg: tuple[str, str]) -> None:
        payment_type, account = arg
        effect = [(account, -amount), ("Bank Charges", amount)]
        doc = self.post(
            "Purchase",
            {
                "PaymentType": payment_type,
                "AccountRef": self.acct(account),
                "Line": [
                    {
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "Amount": amount,
                        "AccountBasedExpenseLineDetail": {"AccountRef": self.acct("Bank Charges")},
                    }
                ],
            },
            effect,
        )
        self.purchases.append((doc, effect))

    def deposit(self, amount: Decimal, account: str) -> None:
        self.post(
            "Deposit",
            {
                "DepositToAccountRef": self.acct("Checking"),
                "Line": [
                    {
                        "Amount": amount,
                        "DetailType": "DepositLineDetail",
                        "DepositLineDetail": {"AccountRef": self.acct(account)},
                    }
                ],
            },
            [("Checking", amount), (account, -amount)],
        )

    def transfer(self, amount: Decimal, arg: tuple[str, str]) -> None:
        src, dst = arg
        self.post(
            "Transfer",
            {"FromAccountRef": self.acct(src), "ToAccountRef": self.acct(dst), "Amount": amount},
            [(src, -amount), (dst, amount)],
        )

    def journal(self, amount: Decimal, arg: tuple[str, str]) -> None:
        debit, credit = arg

        def line(posting: str, name: str) -> dict[str, Any]:
            return {
                "DetailType": "JournalEntryLineDetail",
                "Amount": amount,
                "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": self.acct(name)},
            }

        self.post(
            "JournalEntry",
            {"Line": [line("Debit", debit), line("Credit", credit)]},
            [(debit, amount), (credit, -amount)],
        )

    def invoice_paid(self, amount: Decimal, percent: int) -> None:
        ar = "Accounts Receivable (A/R)"
        invoice = self.post(
            "Invoice",
            {"CustomerRef": ref(self.customer), "Line": [sales_line(self.services, str(amount))]},
            [(ar, amount), ("Services", -amount)],
        )
        paid = (amount * percent / 100).quantize(D("0.01"))
        if paid:
            self.post(
                "Payment",
                {
                    "CustomerRef": ref(self.customer),
                    "TotalAmt": paid,
                    "Line": [
                        {
                            "Amount": paid,
                            "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                        }
                    ],
                },
                [("Undeposited Funds", paid), (ar, -paid)],
            )

    def void_last_receipt(self, _amount: Decimal, _arg: None) -> None:
        if not self.receipts:
            return
        doc, effect = self.receipts.pop()
        self.conn.create(
            "SalesReceipt",
            {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True},
            operation="update",
            include="void",
        )
        for name, amount in effect:
            self.balance[name] -= amount

    def reprice_last_receipt(self, amount: Decimal, _arg: None) -> None:
        if not self.receipts:
            return
        doc, effect = self.receipts.pop()
        account = effect[0][0]
        new_effect = [(account, amount), ("Services", -amount)]
        updated = self.conn.create(
            "SalesReceipt",
            {
                "Id": doc["Id"],
                "SyncToken": doc["SyncToken"],
                "sparse": True,
                "Line": [sales_line(self.services, str(amount))],
            },
        )
        for name, old in effect:
            self.balance[name] -= old
        for name, new in new_effect:
            self.balance[name] += new
        self.receipts.append((updated, new_effect))

    def delete_last_purchase(self, _amount: Decimal, _arg: None) -> None:
        if not self.purchases:
            return
        doc, effect = self.purchases.pop()
        response = self.conn.post(
            "Purchase", {"Id": doc["Id"], "SyncToken": doc["SyncToken"]}, operation="delete"
        )
        assert response.json()["Purchase"]["status"] == "Deleted"
        for name, amount in effect:
            self.balance[name] -= amount


def _natural(account: dict[str, Any], debit_positive: Decimal) -> Decimal:
    return debit_positive if account["Classification"] in DEBIT_NORMAL else -debit_positive


def _trial_balance_totals(conn: Conn) -> tuple[Decimal, Decimal]:
    report = conn.get("reports/TrialBalance").json()
    total = report["Rows"]["Row"][-1]["Summary"]["ColData"]
    return D(total[1]["value"]), D(total[2]["value"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
def test_it_keeps_every_balance_equal_to_the_sum_of_its_postings(
    server: RunningEmulator, ops: list[tuple[str, Decimal, Any]]
) -> None:
    auth, realm = server.connect()
    conn = Conn(server, auth, realm)
    model = Model(conn)

    for kind, amount, arg in ops:
        model.apply(kind, amount, arg)

    accounts = conn.query("select * from Account maxresults 1000")["Account"]
    for account in accounts:
        expected = _natural(account, model.balance[account["Name"]])
        assert D(account["CurrentBalance"]) == expected, account["Name"]
    debit, credit = _trial_balance_totals(conn)
    assert debit == credit
    assert debit == sum((b for b in model.balance.values() if b > 0), D(0))
    admin = jsonio.loads(
        requests.get(f"{server.url}/_emulator/companies/{realm}/balances", timeout=5).text
    )
    assert sum(D(a["home_debit_balance"]) for a in admin["accounts"]) == 0


def test_it_reports_an_empty_trial_balance_for_a_new_company(conn: Conn) -> None:
    assert _trial_balance_totals(conn) == (D(0), D(0))


def test_it_keeps_foreign_currency_balances_per_currency(conn: Conn) -> None:
    prefs = conn.query("select * from Preferences")["Preferences"][0]
    conn.create(
        "Preferences",
        {
            "SyncToken": prefs["SyncToken"],
            "sparse": True,
            "CurrencyPrefs": {"MultiCurrencyEnabled": True},
        },
    )
    eur_bank = conn.create(
        "Account",
        {"Name": "Stripe Clearing EUR", "AccountType": "Bank", "CurrencyRef": {"value": "EUR"}},
    )
    customer = conn.customer("Euro Buyer", CurrencyRef={"value": "EUR"})
    item = conn.item("Services")["Id"]

    conn.create(
        "SalesReceipt",
        {
            "CustomerRef": ref(customer),
            "CurrencyRef": {"value": "EUR"},
            "ExchangeRate": D("1.5"),
            "DepositToAccountRef": ref(eur_bank),
            "Line": [sales_line(item, "0.01"), sales_line(item, "0.01"), sales_line(item, "0.01")],
        },
    )

    assert D(conn.account("Stripe Clearing EUR")["CurrentBalance"]) == D("0.03")
    assert D(conn.account("Services")["CurrentBalance"]) == D("0.06")  # 3 × round(0.015)
    assert D(conn.account("Exchange Gain or Loss")["CurrentBalance"]) == D("0.01")
    debit, credit = _trial_balance_totals(conn)
    assert debit == credit == D("0.06")


def test_it_filters_the_trial_balance_by_end_date(conn: Conn) -> None:
    item = conn.item("Services")["Id"]
    conn.create("SalesReceipt", {"TxnDate": "2026-01-10", "Line": [sales_line(item, "5.00")]})
    conn.create("SalesReceipt", {"TxnDate": "2026-03-10", "Line": [sales_line(item, "7.00")]})

    report = conn.get("reports/TrialBalance", end_date="2026-01-31").json()

    total = report["Rows"]["Row"][-1]["Summary"]["ColData"]
    assert (D(total[1]["value"]), D(total[2]["value"])) == (D("5.00"), D("5.00"))


def test_it_keeps_the_books_straight_under_concurrent_writes(conn: Conn) -> None:
    from concurrent.futures import ThreadPoolExecutor

    item = conn.item("Services")["Id"]

    def post(n: int) -> int:
        body = {"DocNumber": f"cc_{n}", "Line": [sales_line(item, "1.25")]}
        return conn.post("SalesReceipt", body, requestid=f"cc-{n % 40}").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(80)))

    assert statuses.count(200) == 80  # the second 40 replay the first 40's answers
    assert conn.query("select count(*) from SalesReceipt") == {"totalCount": 40}
    assert D(conn.account("Undeposited Funds")["CurrentBalance"]) == D("50.00")
    assert _trial_balance_totals(conn) == (D("50.00"), D("50.00"))
