"""QBO's business rules per entity: required fields, references, account types, currencies,
line arithmetic, names, DocNumbers and the books closing date.

Each `prepare_<Entity>` takes the client's payload (already XSD-valid, server fields removed) and
returns the object to store, or raises a QBOFault with the code QBO would send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from emulators.quickbooks import faults, seed
from emulators.quickbooks.ledger import ZERO, dec, quantum
from emulators.quickbooks.store import Company, Entity

DOC_NUMBER_MAX = 21
PEOPLE = ("Customer", "Vendor", "Employee")
DEPOSITABLE = {"Bank", "Other Current Asset"}
DEPOSIT_LINE_TYPES = {
    "Income",
    "Other Income",
    "Expense",
    "Other Expense",
    "Other Current Asset",
    "Equity",
    "Cost of Goods Sold",
}
TXN_TYPE_NAMES = {
    "SalesReceipt": "Sales Receipt",
    "Invoice": "Invoice",
    "Payment": "Payment",
    "RefundReceipt": "Refund Receipt",
    "CreditMemo": "Credit Memo",
    "Deposit": "Deposit",
    "Transfer": "Transfer",
    "JournalEntry": "Journal Entry",
    "Purchase": "Expense",
}


@dataclass
class Ctx:
    company: Company
    entity: str
    existing: Entity | None
    allow_duplicate_doc_number: bool
    today: str


# ---- small helpers ---------------------------------------------------------------------------


def need(obj: Entity, key: str) -> Any:
    if obj.get(key) in (None, "", []):
        raise faults.required(key)
    return obj[key]


def ref_id(obj: Entity, key: str) -> str:
    value = need(obj, key)
    if not isinstance(value, dict) or value.get("value") in (None, ""):
        raise faults.required(f"{key}.value")
    return str(value["value"])


def referenced(ctx: Ctx, obj: Entity, key: str, entity: str) -> Entity:
    """The active entity a reference points at, or the 2500 / 610 fault QBO gives."""
    target_id = ref_id(obj, key)
    target = ctx.company.get(entity, target_id)
    if target is None:
        raise faults.invalid_reference(entity, target_id, key)
    if target.get("Active") is False:
        raise faults.not_found(entity, target_id)
    return target


def account_of_type(ctx: Ctx, obj: Entity, key: str, allowed: set[str], what: str) -> Entity:
    account = referenced(ctx, obj, key, "Account")
    if account["AccountType"] not in allowed:
        raise faults.business(
            f"{what}: account {account['Name']} of type {account['AccountType']} is not allowed"
            f" here (allowed: {', '.join(sorted(allowed))})",
            key,
        )
    return account


def money(value: Any, currency: str, element: str) -> Decimal:
    """An amount in the currency's precision (JPY 0, USD 2, KWD 3 decimals)."""
    try:
        amount = dec(value)
    except (InvalidOperation, ValueError):
        raise faults.invalid_value(element, f"Invalid number {value!r} for {element}") from None
    q = quantum(currency)
    if amount != amount.quantize(q, rounding=ROUND_HALF_UP):
        raise faults.business(
            f"Amount {value} for {element} has more decimal places than {currency} allows", element
        )
    if abs(amount) >= Decimal("1e10"):
        raise faults.invalid_value(element, f"Amount {value} exceeds 10 integer digits")
    return amount.quantize(q)


def check_text(value: str, element: str, max_len: int, forbidden: str = "") -> None:
    if len(value) > max_len:
        raise faults.string_length(element, max_len, len(value))
    bad = [c for c in forbidden if c in value]
    if bad:
        raise faults.fault(
            "2040", "Invalid String", f"{element} cannot contain {bad[0]!r}", element
        )


def same_name(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.casefold() == b.casefold()


def unique_name(ctx: Ctx, value: str, entities: tuple[str, ...], field: str) -> None:
    own_id = ctx.existing["Id"] if ctx.existing else None
    scope = "people" if entities == PEOPLE else entities[0]
    for _entity, other in ctx.company.lookup("name", scope, value.casefold()):
        if other["Id"] != own_id:
            if entities == PEOPLE:
                raise faults.duplicate_name()
            raise faults.duplicate_list_name(entities[0].lower())


# ---- list entities ---------------------------------------------------------------------------


def prepare_Account(ctx: Ctx, obj: Entity) -> Entity:
    name = need(obj, "Name")
    check_text(name, "Name", 100, ':"')
    subtype = obj.get("AccountSubType")
    acct_type = obj.get("AccountType") or _type_of_subtype(ctx, subtype)
    if not acct_type:
        raise faults.fault(
            "6010",
            "Invalid account type",
            "Business Validation Error: You must select an account type",
            "AccountType",
        )
    if acct_type not in seed.CLASSIFICATION:
        raise faults.invalid_value("AccountType", f"Unknown AccountType {acct_type}")
    unique_name(ctx, name, ("Account",), "Name")
    currency = _currency_of(ctx, obj)
    if ctx.existing and ctx.existing["CurrencyRef"]["value"] != currency:
        raise faults.business("You can't change the currency of an account", "CurrencyRef")
    obj.update(
        AccountType=acct_type,
        Classification=seed.CLASSIFICATION[acct_type],
        FullyQualifiedName=name,
        CurrencyRef=seed.currency_ref(currency),
    )
    obj.setdefault("AccountSubType", subtype or _default_subtype(acct_type))
    obj.setdefault("Active", True)
    obj.setdefault("SubAccount", False)
    return obj


def _type_of_subtype(ctx: Ctx, subtype: str | None) -> str | None:
    for _name, acct_type, sub in seed.DEFAULT_ACCOUNTS:
        if sub == subtype:
            return acct_type
    return None


def _default_subtype(acct_type: str) -> str:
    for _name, known_type, sub in seed.DEFAULT_ACCOUNTS:
        if known_type == acct_type:
            return sub
    return acct_type.replace(" ", "")


def _person(ctx: Ctx, obj: Entity) -> Entity:
    name = obj.get("DisplayName") or " ".join(
        str(obj[k])
        for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
        if obj.get(k)
    )
    if not name:
        raise faults.required("DisplayName")
    check_text(name, "DisplayName", 500, ":\t\n")
    unique_name(ctx, name, PEOPLE, "DisplayName")
    obj["DisplayName"] = name
    obj.setdefault("Active", True)
    return obj


def prepare_Customer(ctx: Ctx, obj: Entity) -> Entity:
    obj = _person(ctx, obj)
    currency = _currency_of(ctx, obj)
    if ctx.existing and ctx.existing["CurrencyRef"]["value"] != currency:
        raise faults.business(
            "You can't change the currency of a customer once it has been set", "CurrencyRef"
        )
    obj["CurrencyRef"] = seed.currency_ref(currency)
    obj["FullyQualifiedName"] = obj["DisplayName"]
    return obj


def prepare_Vendor(ctx: Ctx, obj: Entity) -> Entity:
    obj = _person(ctx, obj)
    obj["CurrencyRef"] = seed.currency_ref(_currency_of(ctx, obj))
    return obj


def prepare_Employee(ctx: Ctx, obj: Entity) -> Entity:
    return _person(ctx, obj)


def prepare_Item(ctx: Ctx, obj: Entity) -> Entity:
    name = need(obj, "Name")
    check_text(name, "Name", 100, ":")
    item_type = need(obj, "Type")
    unique_name(ctx, name, ("Item",), "Name")
    if item_type in ("Service", "NonInventory", "Inventory"):
        referenced(ctx, obj, "IncomeAccountRef", "Account")
    if "ExpenseAccountRef" in obj:
        referenced(ctx, obj, "ExpenseAccountRef", "Account")
    obj["FullyQualifiedName"] = name
    obj.setdefault("Active", True)
    return obj


def _named(kind: str) -> Callable[[Ctx, Entity], Entity]:
    def prepare(ctx: Ctx, obj: Entity) -> Entity:
        name = need(obj, "Name")
        check_text(name, "Name", 100, ":")
        unique_name(ctx, name, (kind,), "Name")
        obj.setdefault("Active", True)
        if kind in ("Class", "Department"):
            obj["FullyQualifiedName"] = name
        return obj

    return prepare


# ---- transactions: shared rules --------------------------------------------------------------


def _currency_of(ctx: Ctx, obj: Entity) -> str:
    currency = str(obj.get("CurrencyRef", {}).get("value") or ctx.company.home_currency)
    if currency not in seed.CURRENCIES:
        raise faults.invalid_value("CurrencyRef", f"Unknown currency {currency}")
    if currency != ctx.company.home_currency and not ctx.company.multicurrency:
        raise faults.business(
            f"Multicurrency is off: {currency} is not the home currency", "CurrencyRef"
        )
    return currency


def txn_common(ctx: Ctx, obj: Entity) -> str:
    """Date, currency, rate, DocNumber and closing-date rules shared by all transactions."""
    obj.setdefault("TxnDate", ctx.today)
    currency = _currency_of(ctx, obj)
    obj["CurrencyRef"] = seed.currency_ref(currency)
    if currency == ctx.company.home_currency:
        obj["ExchangeRate"] = Decimal(1)
    else:
        rate = dec(obj.get("ExchangeRate", 1))
        if rate <= 0:
            raise faults.invalid_value("ExchangeRate", "ExchangeRate must be positive")
        obj["ExchangeRate"] = rate
    closed_on_or_before(ctx, obj["TxnDate"])
    _doc_number(ctx, obj)
    return currency


def closed_on_or_before(ctx: Ctx, txn_date: str) -> None:
    close = ctx.company.preferences.get("AccountingInfoPrefs", {}).get("BookCloseDate")
    if close and str(txn_date) <= str(close):
        raise faults.period_closed(str(txn_date), str(close))


def _doc_number(ctx: Ctx, obj: Entity) -> None:
    number = obj.get("DocNumber")
    if number is None:
        return
    if number == "AUTO_GENERATE" and ctx.entity in ("Invoice", "SalesReceipt", "CreditMemo"):
        number = obj["DocNumber"] = str(1000 + len(ctx.company.all(ctx.entity)) + 1)
    check_text(str(number), "DocNumber", DOC_NUMBER_MAX)
    custom = ctx.company.preferences.get("SalesFormsPrefs", {}).get("CustomTxnNumbers")
    if not custom or ctx.allow_duplicate_doc_number:
        return
    own_id = ctx.existing["Id"] if ctx.existing else None
    for _entity, other in ctx.company.lookup("doc", ctx.entity, str(number).casefold()):
        if other["Id"] != own_id and other.get("DocNumber") == number:
            raise faults.duplicate_doc_number(str(number), TXN_TYPE_NAMES[ctx.entity], other["Id"])


def _customer_currency(ctx: Ctx, obj: Entity, currency: str, required: bool) -> None:
    if not required and not obj.get("CustomerRef"):
        return
    customer = referenced(ctx, obj, "CustomerRef", "Customer")
    if customer["CurrencyRef"]["value"] != currency:
        raise faults.business(
            f"The transaction currency {currency} must match the customer's currency"
            f" {customer['CurrencyRef']['value']}",
            "CurrencyRef",
        )


def _account_currency(ctx: Ctx, account: Entity, currency: str, element: str) -> None:
    acct_currency = account["CurrencyRef"]["value"]
    if acct_currency not in (currency, ctx.company.home_currency):
        raise faults.business(
            f"Account {account['Name']} is in {acct_currency}; the transaction is in {currency}",
            element,
        )


def _check_total(obj: Entity, computed: Decimal, currency: str) -> None:
    """A supplied TotalAmt must equal the sum of the lines (0 means "not supplied": the
    python-quickbooks default)."""
    supplied = obj.get("TotalAmt")
    if supplied in (None, "") or dec(supplied) == 0:
        return
    if money(supplied, currency, "TotalAmt") != computed:
        raise faults.business(
            f"TotalAmt {supplied} does not equal the sum of the lines {computed}", "TotalAmt"
        )


def _lines(obj: Entity) -> list[Entity]:
    lines = need(obj, "Line")
    if not isinstance(lines, list):
        raise faults.invalid_value("Line", "Line must be a list")
    for n, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise faults.invalid_value("Line", "Each Line must be an object")
        line.setdefault("Id", str(n))
        line.setdefault("LineNum", n)
    return lines


# ---- sales forms -----------------------------------------------------------------------------


def _sales_lines(ctx: Ctx, obj: Entity, currency: str) -> Decimal:
    # QBO appends its own SubTotalLineDetail line to sales forms; a client echoing it back on
    # update must not count it twice, so it is dropped here and rebuilt below.
    if isinstance(obj.get("Line"), list):
        obj["Line"] = [
            line
            for line in obj["Line"]
            if not (isinstance(line, dict) and line.get("DetailType") == "SubTotalLineDetail")
        ]
    total = subtotal = ZERO
    for line in _lines(obj):
        kind = line.get("DetailType")
        if kind == "SalesItemLineDetail":
            detail = line["SalesItemLineDetail"]
            referenced(ctx, detail, "ItemRef", "Item")
            amount = money(need(line, "Amount"), currency, "Amount")
            _qty_times_price(detail, amount, currency)
            line["Amount"] = amount
            total += amount
            subtotal += amount
        elif kind == "DiscountLineDetail":
            detail = line["DiscountLineDetail"]
            amount = money(need(line, "Amount"), currency, "Amount")
            if "DiscountAccountRef" not in detail:
                detail["DiscountAccountRef"] = {
                    "value": ctx.company.account_by_subtype("DiscountsRefundsGiven")["Id"]
                }
            referenced(ctx, detail, "DiscountAccountRef", "Account")
            line["Amount"] = amount
            total -= amount
        elif kind == "DescriptionOnly":
            continue
        else:
            raise faults.invalid_value("DetailType", f"Unsupported line DetailType {kind}")
    tax = obj.get("TxnTaxDetail", {}).get("TotalTax")
    if tax not in (None, ""):
        obj["TxnTaxDetail"]["TotalTax"] = money(tax, currency, "TotalTax")
        total += obj["TxnTaxDetail"]["TotalTax"]
    obj["Line"].append(
        {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    )
    return total


def _qty_times_price(detail: Entity, amount: Decimal, currency: str) -> None:
    if detail.get("Qty") in (None, "") or detail.get("UnitPrice") in (None, ""):
        return
    if dec(detail["Qty"]) == 0 or dec(detail["UnitPrice"]) == 0:
        return  # python-quickbooks sends Qty 0 / UnitPrice 0 by default: "not supplied"
    expected = (dec(detail["Qty"]) * dec(detail["UnitPrice"])).quantize(
        quantum(currency), rounding=ROUND_HALF_UP
    )
    if expected != amount:
        raise faults.fault(
            "6070",
            "Amount is not equal to UnitPrice * Qty",
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
            "Amount",
        )


def _sales_form(deposit: str | None, customer_required: bool) -> Callable[[Ctx, Entity], Entity]:
    def prepare(ctx: Ctx, obj: Entity) -> Entity:
        currency = txn_common(ctx, obj)
        _customer_currency(ctx, obj, currency, customer_required)
        if deposit == "optional" and not obj.get("DepositToAccountRef"):
            funds = ctx.company.account_by_subtype("UndepositedFunds")
            obj["DepositToAccountRef"] = {"value": funds["Id"], "name": funds["Name"]}
        if deposit is not None:
            account = account_of_type(
                ctx, obj, "DepositToAccountRef", DEPOSITABLE, "DepositToAccountRef"
            )
            _account_currency(ctx, account, currency, "DepositToAccountRef")
        total = _sales_lines(ctx, obj, currency)
        _check_total(obj, total, currency)
        obj["TotalAmt"] = total
        obj["HomeTotalAmt"] = (total * obj["ExchangeRate"]).quantize(
            quantum(ctx.company.home_currency), rounding=ROUND_HALF_UP
        )
        return obj

    return prepare


# ---- payment, deposit, transfer, journal entry, purchase -------------------------------------


def prepare_Payment(ctx: Ctx, obj: Entity) -> Entity:
    currency = txn_common(ctx, obj)
    _customer_currency(ctx, obj, currency, required=True)
    total = money(need(obj, "TotalAmt"), currency, "TotalAmt")
    if total < 0:
        raise faults.invalid_value("TotalAmt", "TotalAmt cannot be negative")
    if not obj.get("DepositToAccountRef"):
        funds = ctx.company.account_by_subtype("UndepositedFunds")
        obj["DepositToAccountRef"] = {"value": funds["Id"], "name": funds["Name"]}
    account = account_of_type(ctx, obj, "DepositToAccountRef", DEPOSITABLE, "DepositToAccountRef")
    _account_currency(ctx, account, currency, "DepositToAccountRef")
    applied = ZERO
    for line in obj.get("Line", []):
        amount = money(need(line, "Amount"), currency, "Amount")
        line["Amount"] = amount
        for link in need(line, "LinkedTxn"):
            applied += _apply_link(ctx, obj, link, amount)
    if applied > total:
        raise faults.business(
            f"The amounts applied ({applied}) exceed the payment's TotalAmt ({total})", "Line"
        )
    obj["TotalAmt"] = total
    obj["UnappliedAmt"] = total - applied
    return obj


def _apply_link(ctx: Ctx, payment: Entity, link: Entity, amount: Decimal) -> Decimal:
    txn_type, txn_id = need(link, "TxnType"), str(need(link, "TxnId"))
    if txn_type not in ("Invoice", "CreditMemo"):
        raise faults.fault(
            "620",
            "Txn ID cannot be linked",
            f"A payment cannot be linked to a {txn_type}",
            "LinkedTxn",
        )
    target = ctx.company.get(txn_type, txn_id)
    if target is None or target.get("_voided"):
        raise faults.invalid_reference(txn_type, txn_id, "LinkedTxn")
    if target["CustomerRef"]["value"] != payment["CustomerRef"]["value"]:
        raise faults.business(f"{txn_type} {txn_id} belongs to another customer", "LinkedTxn")
    own_id = ctx.existing["Id"] if ctx.existing else None
    open_amount = dec(target["TotalAmt"]) - applied_to(ctx.company, txn_type, txn_id, own_id)
    if amount > open_amount:
        raise faults.business(
            f"The payment amount {amount} exceeds the open balance {open_amount} of {txn_type}"
            f" {txn_id}",
            "Line",
        )
    return amount if txn_type == "Invoice" else -amount


def applied_to(company: Company, txn_type: str, txn_id: str, skip_payment: str | None) -> Decimal:
    """What payments have applied to an invoice or credit memo (its TotalAmt minus Balance)."""
    total = ZERO
    for entity, holder in company.lookup("link", txn_type, txn_id):
        if entity != "Payment" or holder.get("_voided") or holder["Id"] == skip_payment:
            continue
        for line in holder.get("Line", []):
            for link in line.get("LinkedTxn", []):
                if link.get("TxnType") == txn_type and str(link.get("TxnId")) == txn_id:
                    total += dec(line["Amount"])
    return total


def prepare_Deposit(ctx: Ctx, obj: Entity) -> Entity:
    currency = txn_common(ctx, obj)
    account = account_of_type(ctx, obj, "DepositToAccountRef", DEPOSITABLE, "DepositToAccountRef")
    _account_currency(ctx, account, currency, "DepositToAccountRef")
    total = ZERO
    for line in _lines(obj):
        amount = money(need(line, "Amount"), currency, "Amount")
        line["Amount"] = amount
        if line.get("LinkedTxn"):
            _deposit_link(ctx, line, amount)
        else:
            detail = need(line, "DepositLineDetail")
            account_of_type(ctx, detail, "AccountRef", DEPOSIT_LINE_TYPES, "DepositLineDetail")
            line["DetailType"] = "DepositLineDetail"
        total += amount
    _check_total(obj, total, currency)
    obj["TotalAmt"] = total
    return obj


DEPOSIT_LINKABLE = ("SalesReceipt", "Payment", "RefundReceipt")


def _deposit_link(ctx: Ctx, line: Entity, amount: Decimal) -> None:
    if "DepositLineDetail" in line or "DetailType" in line:
        raise faults.business("A linked deposit line carries only Amount and LinkedTxn", "Line")
    for link in line["LinkedTxn"]:
        txn_type, txn_id = need(link, "TxnType"), str(need(link, "TxnId"))
        need(link, "TxnLineId")
        if txn_type not in DEPOSIT_LINKABLE:
            raise faults.fault(
                "620",
                "Txn ID cannot be linked",
                f"A deposit cannot be linked to a {txn_type} here",
                "LinkedTxn",
            )
        target = ctx.company.get(txn_type, txn_id)
        if target is None or target.get("_voided"):
            raise faults.invalid_reference(txn_type, txn_id, "LinkedTxn")
        funds = ctx.company.account_by_subtype("UndepositedFunds")["Id"]
        if target["DepositToAccountRef"]["value"] != funds:
            raise faults.business(
                f"{txn_type} {txn_id} was not received into Undeposited Funds", "LinkedTxn"
            )
        expected = (
            -dec(target["TotalAmt"]) if txn_type == "RefundReceipt" else dec(target["TotalAmt"])
        )
        if amount != expected:
            raise faults.business(
                f"Deposit line {amount} differs from {txn_type} {txn_id} amount {expected}",
                "Amount",
            )
        own_id = ctx.existing["Id"] if ctx.existing else None
        holder = deposited_by(ctx.company, txn_type, txn_id)
        if holder is not None and holder != own_id:
            raise faults.business(
                f"{txn_type} {txn_id} is already in deposit {holder}", "LinkedTxn"
            )


def deposited_by(company: Company, txn_type: str, txn_id: str) -> str | None:
    for entity, holder in company.lookup("link", txn_type, txn_id):
        if entity == "Deposit":
            return str(holder["Id"])
    return None


BALANCE_SHEET = {t for t, c in seed.CLASSIFICATION.items() if c in ("Asset", "Liability", "Equity")}


def prepare_Transfer(ctx: Ctx, obj: Entity) -> Entity:
    currency = txn_common(ctx, obj)
    src = account_of_type(ctx, obj, "FromAccountRef", BALANCE_SHEET, "FromAccountRef")
    dst = account_of_type(ctx, obj, "ToAccountRef", BALANCE_SHEET, "ToAccountRef")
    if src["Id"] == dst["Id"]:
        raise faults.business("FromAccountRef and ToAccountRef must differ", "ToAccountRef")
    _account_currency(ctx, src, currency, "FromAccountRef")
    _account_currency(ctx, dst, currency, "ToAccountRef")
    amount = money(need(obj, "Amount"), currency, "Amount")
    if amount <= 0:
        raise faults.invalid_value("Amount", "Amount must be positive")
    obj["Amount"] = amount
    return obj


def prepare_JournalEntry(ctx: Ctx, obj: Entity) -> Entity:
    currency = txn_common(ctx, obj)
    debits = credits = ZERO
    for line in _lines(obj):
        detail = need(line, "JournalEntryLineDetail")
        posting = need(detail, "PostingType")
        account = referenced(ctx, detail, "AccountRef", "Account")
        _account_currency(ctx, account, currency, "AccountRef")
        _journal_entity(ctx, detail, account)
        amount = money(need(line, "Amount"), currency, "Amount")
        if amount < 0:
            raise faults.invalid_value("Amount", "Journal lines take positive amounts")
        line["Amount"] = amount
        line["DetailType"] = "JournalEntryLineDetail"
        if posting == "Debit":
            debits += amount
        else:
            credits += amount
    if debits != credits:
        raise faults.business(
            f"Journal Entry is out of balance: debits {debits} and credits {credits} must be equal",
            "Line",
        )
    obj["TotalAmt"] = debits
    return obj


def _journal_entity(ctx: Ctx, detail: Entity, account: Entity) -> None:
    wanted = {"Accounts Receivable": "Customer", "Accounts Payable": "Vendor"}.get(
        account["AccountType"]
    )
    if wanted is None:
        return
    entity = detail.get("Entity", {})
    kind = str(entity.get("Type") or entity.get("EntityRef", {}).get("type") or "")
    if kind.casefold() != wanted.casefold() or not entity.get("EntityRef"):
        raise faults.business(
            f"A line on {account['Name']} needs an Entity of type {wanted}", "Entity"
        )
    referenced(ctx, entity, "EntityRef", wanted)


PAYMENT_ACCOUNT_TYPES = {"Cash": {"Bank"}, "Check": {"Bank"}, "CreditCard": {"Credit Card"}}


def prepare_Purchase(ctx: Ctx, obj: Entity) -> Entity:
    currency = txn_common(ctx, obj)
    payment_type = need(obj, "PaymentType")
    allowed = PAYMENT_ACCOUNT_TYPES.get(
        payment_type, {"Bank", "Credit Card", "Other Current Asset"}
    )
    account = account_of_type(ctx, obj, "AccountRef", allowed, f"PaymentType {payment_type}")
    _account_currency(ctx, account, currency, "AccountRef")
    if obj.get("EntityRef"):
        kind = str(obj["EntityRef"].get("type") or "Vendor")
        referenced(ctx, obj, "EntityRef", kind.capitalize())
    total = ZERO
    for line in _lines(obj):
        detail = line.get("AccountBasedExpenseLineDetail")
        if detail is None:
            raise faults.invalid_value(
                "DetailType", "Only AccountBasedExpenseLineDetail lines are emulated on Purchase"
            )
        line_account = referenced(ctx, detail, "AccountRef", "Account")
        if line_account["AccountType"] in ("Accounts Receivable", "Accounts Payable"):
            raise faults.business("An expense line cannot use A/R or A/P", "AccountRef")
        amount = money(need(line, "Amount"), currency, "Amount")
        line["Amount"] = amount
        total += amount
    _check_total(obj, total, currency)
    obj["TotalAmt"] = total
    obj.setdefault("Credit", False)
    return obj


PREPARERS: dict[str, Callable[[Ctx, Entity], Entity]] = {
    "Account": prepare_Account,
    "Customer": prepare_Customer,
    "Vendor": prepare_Vendor,
    "Employee": prepare_Employee,
    "Item": prepare_Item,
    "Class": _named("Class"),
    "Department": _named("Department"),
    "PaymentMethod": _named("PaymentMethod"),
    "SalesReceipt": _sales_form("optional", customer_required=False),
    "Invoice": _sales_form(None, customer_required=True),
    "RefundReceipt": _sales_form("required", customer_required=False),
    "CreditMemo": _sales_form(None, customer_required=True),
    "Payment": prepare_Payment,
    "Deposit": prepare_Deposit,
    "Transfer": prepare_Transfer,
    "JournalEntry": prepare_JournalEntry,
    "Purchase": prepare_Purchase,
}
