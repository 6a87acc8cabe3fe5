"""The recommended QBO chart of accounts (docs/accounting.md §2) as data, and `Mappings`.

`RECOMMENDED_ACCOUNTS` is what autosetup creates (or lets the user map to existing accounts);
`Mappings` is the resolved result the planner takes: QBO references (id + name) per purpose.
Nothing here touches the database or QBO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Purpose(StrEnum):
    """What an account is for; the key of a mapping."""

    CLEARING = "clearing"
    PAYOUT_BANK = "payout_bank"
    SALES_INCOME = "sales_income"
    REFUNDS = "refunds"
    FEES = "fees"
    CHARGEBACKS = "chargebacks"
    ADJUSTMENTS = "adjustments"
    RESERVE = "reserve"
    SUSPENSE = "suspense"
    OPENING_BALANCE = "opening_balance"
    SALES_TAX = "sales_tax"


@dataclass(frozen=True, slots=True)
class AccountSpec:
    purpose: Purpose
    name: str
    account_type: str  # QBO AccountTypeEnum value, e.g. "Other Current Asset"
    account_sub_type: str  # QBO AccountSubTypeEnum value, e.g. "OtherCurrentAssets"
    per_currency: bool = False  # one account per settlement currency (clearing)
    create: bool = True  # False: the user picks an existing account (bank, equity)


RECOMMENDED_ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec(Purpose.CLEARING, "Stripe Clearing", "Bank", "Checking", per_currency=True),
    AccountSpec(Purpose.PAYOUT_BANK, "Checking", "Bank", "Checking", create=False),
    AccountSpec(Purpose.SALES_INCOME, "Stripe Sales", "Income", "SalesOfProductIncome"),
    AccountSpec(Purpose.REFUNDS, "Stripe Refunds", "Income", "DiscountsRefundsGiven"),
    AccountSpec(Purpose.FEES, "Stripe Fees", "Expense", "BankCharges"),
    AccountSpec(
        Purpose.CHARGEBACKS, "Stripe Chargebacks", "Expense", "OtherMiscellaneousServiceCost"
    ),
    AccountSpec(
        Purpose.ADJUSTMENTS, "Stripe Adjustments", "Expense", "OtherMiscellaneousServiceCost"
    ),
    AccountSpec(Purpose.RESERVE, "Stripe Reserve", "Other Current Asset", "OtherCurrentAssets"),
    AccountSpec(Purpose.SUSPENSE, "Stripe Suspense", "Other Current Asset", "OtherCurrentAssets"),
    AccountSpec(
        Purpose.OPENING_BALANCE,
        "Opening Balance Equity",
        "Equity",
        "OpeningBalanceEquity",
        create=False,
    ),
    AccountSpec(
        Purpose.SALES_TAX, "Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"
    ),
)

VENDOR_NAME = "Stripe"  # payee of fee and dispute expenses
SALES_ITEM_NAME = "Stripe Sales"  # Service item, income → Stripe Sales
GUEST_CUSTOMER_NAME = "Stripe Customer"  # customer of guest charges (§5)


def account_spec(purpose: Purpose) -> AccountSpec:
    for spec in RECOMMENDED_ACCOUNTS:
        if spec.purpose == purpose:
            return spec
    raise KeyError(purpose)


def account_name(spec: AccountSpec, currency: str | None = None) -> str:
    """The default name; per-currency accounts get the code: "Stripe Clearing – USD"."""
    if spec.per_currency:
        if currency is None:
            raise ValueError(f"{spec.purpose} needs a currency")
        return f"{spec.name} – {currency.upper()}"
    return spec.name


def account_payload(
    spec: AccountSpec, *, currency: str | None = None, multicurrency: bool = False
) -> dict[str, Any]:
    """The QBO Account create body (docs/quickbooks-api.md §8.1) for a recommended account."""
    payload: dict[str, Any] = {
        "Name": account_name(spec, currency),
        "AccountType": spec.account_type,
        "AccountSubType": spec.account_sub_type,
    }
    # A clearing account holds one currency; QBO fixes CurrencyRef at creation (§8.6).
    if spec.per_currency and multicurrency and currency is not None:
        payload["CurrencyRef"] = {"value": currency.upper()}
    return payload


def vendor_payload() -> dict[str, Any]:
    return {"DisplayName": VENDOR_NAME}


def sales_item_payload(income_account: Ref) -> dict[str, Any]:
    return {"Name": SALES_ITEM_NAME, "Type": "Service", "IncomeAccountRef": income_account.qbo()}


# ---- the resolved mapping the planner takes --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """A QBO ReferenceType: entity id plus its display name (kept for previews and memos)."""

    value: str
    name: str = ""

    def qbo(self, entity_type: str | None = None) -> dict[str, str]:
        ref = {"value": self.value}
        if self.name:
            ref["name"] = self.name
        if entity_type:
            ref["type"] = entity_type
        return ref


class CustomerPolicy(StrEnum):
    """How per-transaction mode picks a SalesReceipt's customer (§5)."""

    MATCH = "match"  # link table, then create a uniquely named customer
    MATCH_BY_EMAIL = "match_by_email"  # link table, then same email, then create
    SINGLE = "single"  # everything on the guest customer ("Stripe Customer")


class TaxMode(StrEnum):
    """How sales tax collected by Stripe (invoice `total_taxes`) reaches QBO (§5)."""

    NONE = "none"  # not separated: the sale's income includes it (a warning says so)
    US_TOTAL_TAX = "us_total_tax"  # send TxnTaxDetail.TotalTax; automated sales tax honours it
    TAX_CODES = "tax_codes"  # per Stripe tax rate → QBO TaxCode (not mapped yet: needs action)


def _frozen(mapping: Mapping[str, Ref]) -> Mapping[str, Ref]:
    return MappingProxyType(dict(sorted(mapping.items())))


@dataclass(frozen=True, slots=True)
class Mappings:
    """Everything the planner needs to know about the QBO side of one Stripe connection.

    Per-currency maps are keyed by Stripe's lower-case code. A missing entry is not an error
    here: the planner turns it into a "needs action" result instead of posting somewhere wrong.
    """

    clearing: Mapping[str, Ref]  # settlement currency → Stripe Clearing (Bank) account
    payout_bank: Mapping[str, Ref]  # settlement currency → bank account payouts land in
    sales_income: Ref  # Stripe Sales income account
    sales_item: Ref  # "Stripe Sales" service item (income → sales_income)
    refunds: Ref  # Stripe Refunds (used by refund failures; refunds credit an item)
    fees: Ref  # Stripe Fees expense account
    chargebacks: Ref
    adjustments: Ref
    reserve: Ref
    suspense: Ref
    opening_balance_equity: Ref
    vendor: Ref  # the "Stripe" vendor
    # Fee type (fee_details[].type, or the balance transaction's type for standalone fees:
    # application_fee, stripe_fx_fee, tax, …) → account, overriding `fees`.
    fee_accounts: Mapping[str, Ref] = field(default_factory=dict)
    product_items: Mapping[str, Ref] = field(default_factory=dict)  # prod_… → QBO item
    # Item refunds are credited to; None means the sale's own item (§2: same item).
    refund_item: Ref | None = None
    # reporting_category → account, overriding the default account of that row (adjustments,
    # Connect transfers, platform earnings, …).
    category_accounts: Mapping[str, Ref] = field(default_factory=dict)
    topup_bank: Mapping[str, Ref] = field(default_factory=dict)  # defaults to payout_bank
    guest_customer: Ref | None = None  # "Stripe Customer", for charges without a customer
    # QBO fixes a customer's and a vendor's currency (§5, quickbooks-api.md §8.6): with
    # multicurrency on, documents in another currency need their own guest customer and vendor.
    guest_customers: Mapping[str, Ref] = field(default_factory=dict)  # currency → customer
    vendors: Mapping[str, Ref] = field(default_factory=dict)  # currency → "Stripe" vendor
    customer_policy: CustomerPolicy = CustomerPolicy.MATCH
    tax_mode: TaxMode = TaxMode.NONE
    # The QBO company's home currency (lower-case); documents in another currency carry
    # CurrencyRef (QBO multicurrency must then be on).
    home_currency: str = "usd"

    def __post_init__(self) -> None:
        for name in (
            "clearing",
            "payout_bank",
            "fee_accounts",
            "product_items",
            "category_accounts",
            "topup_bank",
            "guest_customers",
            "vendors",
        ):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


# ---- what an existing account must be to serve a purpose (the pickers' validation) ----------


@dataclass(frozen=True, slots=True)
class AccountRule:
    """The QBO account types a purpose accepts, and why, in an accountant's words."""

    types: tuple[str, ...]
    why: str


ACCOUNT_RULES: Mapping[Purpose, AccountRule] = MappingProxyType(
    {
        Purpose.CLEARING: AccountRule(
            ("Bank",), "it mirrors the Stripe balance and money moves in and out of it daily"
        ),
        Purpose.PAYOUT_BANK: AccountRule(("Bank",), "Stripe pays out into a bank account"),
        Purpose.SALES_INCOME: AccountRule(("Income", "Other Income"), "it records what you sold"),
        Purpose.REFUNDS: AccountRule(
            ("Income", "Other Income"), "refunds reduce income (a contra-income account)"
        ),
        Purpose.FEES: AccountRule(
            ("Expense", "Other Expense", "Cost of Goods Sold"), "Stripe's fees are a cost"
        ),
        Purpose.CHARGEBACKS: AccountRule(
            ("Expense", "Other Expense", "Income", "Other Income"),
            "a lost dispute is a cost or reduces income",
        ),
        Purpose.ADJUSTMENTS: AccountRule(
            ("Expense", "Other Expense", "Income", "Other Income"),
            "Stripe's adjustments are small costs or credits",
        ),
        Purpose.RESERVE: AccountRule(
            ("Other Current Asset",), "money Stripe holds back is still yours: an asset"
        ),
        Purpose.SUSPENSE: AccountRule(
            ("Other Current Asset",), "it parks unclassified money until you move it"
        ),
        Purpose.OPENING_BALANCE: AccountRule(
            ("Equity",), "the opening balance at cutover is equity"
        ),
        Purpose.SALES_TAX: AccountRule(
            ("Other Current Liability",), "tax collected is owed to the tax authority"
        ),
    }
)

# Per currency: one account per Stripe settlement currency, in that currency.
PER_CURRENCY_PURPOSES = frozenset({Purpose.CLEARING, Purpose.PAYOUT_BANK})
# Balance-sheet purposes QBO can hold in a foreign currency: one account for every currency
# must then be in the home currency (income, expense and equity accounts always are).
HOME_CURRENCY_PURPOSES = frozenset(
    {Purpose.RESERVE, Purpose.SUSPENSE, Purpose.SALES_TAX, Purpose.OPENING_BALANCE}
)
# Items a sale may post to: Inventory items would move stock and cost of goods sold that
# Stripe knows nothing about; categories and bundles cannot be sold on a receipt line.
SALES_ITEM_TYPES = ("Service", "NonInventory")

PURPOSE_LABELS: Mapping[Purpose, str] = MappingProxyType(
    {
        Purpose.CLEARING: "Stripe clearing account",
        Purpose.PAYOUT_BANK: "bank account payouts land in",
        Purpose.SALES_INCOME: "sales income account",
        Purpose.REFUNDS: "refunds account",
        Purpose.FEES: "Stripe fees account",
        Purpose.CHARGEBACKS: "chargebacks account",
        Purpose.ADJUSTMENTS: "adjustments account",
        Purpose.RESERVE: "reserve account",
        Purpose.SUSPENSE: "suspense account",
        Purpose.OPENING_BALANCE: "opening balance equity account",
        Purpose.SALES_TAX: "sales tax account",
    }
)
