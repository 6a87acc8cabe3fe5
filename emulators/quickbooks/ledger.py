"""Double entry: each posted document → postings → account balances and a trial balance.

A posting is (account Id, amount in the document's currency, amount in home currency), debit
positive. Every document's postings sum to zero in home currency (a rounding difference from the
exchange rate goes to "Exchange Gain or Loss", as QBO does), so the trial balance always nets to
zero. Balances are kept in Decimal; nothing here touches float.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from emulators.quickbooks import seed
from emulators.quickbooks.store import Company, Entity

ZERO = Decimal(0)
DEBIT_NORMAL = {"Asset", "Expense"}


@dataclass(frozen=True)
class Posting:
    account_id: str
    amount: Decimal
    home: Decimal


def quantum(currency: str) -> Decimal:
    places = seed.CURRENCIES.get(currency, ("", 2))[1]
    return Decimal(1).scaleb(-places)


def to_home(amount: Decimal, rate: Decimal, home_currency: str) -> Decimal:
    return (amount * rate).quantize(quantum(home_currency), rounding=ROUND_HALF_UP)


def dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def postings_for(company: Company, entity: str, doc: Entity) -> list[Posting]:
    """The postings of one stored document ([] for lists, voided and unposted documents)."""
    builder = _BUILDERS.get(entity)
    if builder is None:
        return []
    rate = dec(doc.get("ExchangeRate", 1))
    raw = [(acct, amt) for acct, amt in builder(company, doc) if amt != 0]
    postings = [Posting(a, amt, to_home(amt, rate, company.home_currency)) for a, amt in raw]
    return _balance_home(company, postings)


def _balance_home(company: Company, postings: list[Posting]) -> list[Posting]:
    residual = sum((p.home for p in postings), ZERO)
    if residual == 0:
        return postings
    fx = company.account_by_subtype("ExchangeGainOrLoss")["Id"]
    return [*postings, Posting(fx, ZERO, -residual)]


Builder = Callable[[Company, Entity], list[tuple[str, Decimal]]]


def _sales(sign: int, counter: str) -> Builder:
    """Sales-form documents: the counter account (deposit / A/R) against income and tax."""

    def build(company: Company, doc: Entity) -> list[tuple[str, Decimal]]:
        if counter == "deposit":
            counter_id = doc["DepositToAccountRef"]["value"]
        else:
            counter_id = company.account_by_subtype("AccountsReceivable")["Id"]
        out = [(counter_id, sign * dec(doc["TotalAmt"]))]
        for line in doc.get("Line", []):
            amount = dec(line.get("Amount", 0))
            if line.get("DetailType") == "SalesItemLineDetail":
                item = company.get("Item", line["SalesItemLineDetail"]["ItemRef"]["value"])
                assert item is not None  # validated before posting
                out.append((item["IncomeAccountRef"]["value"], -sign * amount))
            elif line.get("DetailType") == "DiscountLineDetail":
                acct = line["DiscountLineDetail"]["DiscountAccountRef"]["value"]
                out.append((acct, sign * amount))
        tax = dec(doc.get("TxnTaxDetail", {}).get("TotalTax", 0))
        if tax:
            out.append((company.account_by_subtype("SalesTaxPayable")["Id"], -sign * tax))
        return out

    return build


def _payment(company: Company, doc: Entity) -> list[tuple[str, Decimal]]:
    total = dec(doc["TotalAmt"])
    ar = company.account_by_subtype("AccountsReceivable")["Id"]
    return [(doc["DepositToAccountRef"]["value"], total), (ar, -total)]


def _deposit(company: Company, doc: Entity) -> list[tuple[str, Decimal]]:
    out = [(doc["DepositToAccountRef"]["value"], dec(doc["TotalAmt"]))]
    funds = company.account_by_subtype("UndepositedFunds")["Id"]
    for line in doc["Line"]:
        amount = dec(line["Amount"])
        if line.get("LinkedTxn"):
            out.append((funds, -amount))
        else:
            out.append((line["DepositLineDetail"]["AccountRef"]["value"], -amount))
    return out


def _transfer(company: Company, doc: Entity) -> list[tuple[str, Decimal]]:
    amount = dec(doc["Amount"])
    return [(doc["ToAccountRef"]["value"], amount), (doc["FromAccountRef"]["value"], -amount)]


def _journal(company: Company, doc: Entity) -> list[tuple[str, Decimal]]:
    out = []
    for line in doc["Line"]:
        detail = line.get("JournalEntryLineDetail")
        if detail is None:
            continue
        sign = 1 if detail["PostingType"] == "Debit" else -1
        out.append((detail["AccountRef"]["value"], sign * dec(line["Amount"])))
    return out


def _purchase(company: Company, doc: Entity) -> list[tuple[str, Decimal]]:
    sign = -1 if doc.get("Credit") else 1
    out = [(doc["AccountRef"]["value"], -sign * dec(doc["TotalAmt"]))]
    for line in doc["Line"]:
        detail = line.get("AccountBasedExpenseLineDetail")
        if detail is not None:
            out.append((detail["AccountRef"]["value"], sign * dec(line["Amount"])))
    return out


_BUILDERS: dict[str, Builder] = {
    "SalesReceipt": _sales(1, "deposit"),
    "RefundReceipt": _sales(-1, "deposit"),
    "Invoice": _sales(1, "ar"),
    "CreditMemo": _sales(-1, "ar"),
    "Payment": _payment,
    "Deposit": _deposit,
    "Transfer": _transfer,
    "JournalEntry": _journal,
    "Purchase": _purchase,
}


def book(company: Company, entity: str, doc: Entity) -> None:
    """Record (or replace) the postings of a document; voided documents post nothing."""
    unbook(company, entity, doc["Id"])
    postings = [] if doc.get("_voided") else postings_for(company, entity, doc)
    if not postings:
        return
    rows = [[p.account_id, p.amount, p.home] for p in postings]
    company.entities.setdefault("_Ledger", {})[f"{entity}:{doc['Id']}"] = {
        "TxnDate": doc.get("TxnDate", ""),
        "postings": rows,
    }
    _add_to_sums(company, rows, 1)


def unbook(company: Company, entity: str, doc_id: str) -> None:
    old = company.entities.setdefault("_Ledger", {}).pop(f"{entity}:{doc_id}", None)
    if old is not None:
        _add_to_sums(company, old["postings"], -1)


def _add_to_sums(company: Company, rows: list[list[Any]], sign: int) -> None:
    # Running totals per account, so an Account query does not re-add the whole ledger.
    if company._sums is None:
        return  # built lazily from the ledger on first read
    for account_id, amount, home in rows:
        sums = company._sums.setdefault(account_id, [ZERO, ZERO])
        sums[0] += sign * dec(amount)
        sums[1] += sign * dec(home)


def all_postings(company: Company, as_of: str | None = None) -> list[Posting]:
    out = []
    for entry in company.entities.get("_Ledger", {}).values():
        if as_of is not None and entry["TxnDate"] > as_of:
            continue
        out.extend(Posting(a, dec(amt), dec(home)) for a, amt, home in entry["postings"])
    return out


def _sums(company: Company, as_of: str | None) -> dict[str, list[Any]]:
    if as_of is None and company._sums is not None:
        return company._sums
    sums: dict[str, list[Any]] = {}
    for p in all_postings(company, as_of):
        total = sums.setdefault(p.account_id, [ZERO, ZERO])
        total[0] += p.amount
        total[1] += p.home
    if as_of is None:
        company._sums = sums
    return sums


def balances(company: Company, as_of: str | None = None) -> dict[str, dict[str, Decimal]]:
    """Per account: debit-positive balance in the account's currency and in home currency."""
    sums = _sums(company, as_of)
    out = {}
    for account in company.all("Account"):
        amount, home = sums.get(account["Id"], [ZERO, ZERO])
        # A home-currency account moves by the home amount of a foreign-currency document.
        in_home = account["CurrencyRef"]["value"] == company.home_currency
        out[account["Id"]] = {"balance": home if in_home else amount, "home": home}
    return out


def current_balance(account: Entity, debit_positive: Decimal) -> Decimal:
    """QBO shows balances in the account's natural sign: credit accounts positive when in credit."""
    natural = debit_positive if account["Classification"] in DEBIT_NORMAL else -debit_positive
    return natural.quantize(quantum(account["CurrencyRef"]["value"]))


def trial_balance(company: Company, as_of: str | None = None) -> dict[str, Any]:
    """Rows per account (home currency) with Debit/Credit, and totals that must agree."""
    rows = []
    totals = {"Debit": ZERO, "Credit": ZERO}
    q = quantum(company.home_currency)
    accounts = {a["Id"]: a for a in company.all("Account")}
    for acct_id, bal in balances(company, as_of).items():
        amount = bal["home"].quantize(q)
        if amount == 0:
            continue
        side = "Debit" if amount > 0 else "Credit"
        totals[side] += abs(amount)
        rows.append((accounts[acct_id], side, abs(amount)))
    return {"rows": rows, "totals": totals}
