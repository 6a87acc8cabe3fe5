"""What a new sandbox company starts with: chart of accounts, items, tax codes, preferences."""

from __future__ import annotations

from typing import Any

CURRENCIES: dict[str, tuple[str, int]] = {
    # code: (name, decimal places). KWD/JPY prove the precision rule is per currency.
    "USD": ("United States Dollar", 2),
    "EUR": ("Euro", 2),
    "GBP": ("British Pound Sterling", 2),
    "CAD": ("Canadian Dollar", 2),
    "AUD": ("Australian Dollar", 2),
    "JPY": ("Japanese Yen", 0),
    "KWD": ("Kuwaiti Dinar", 3),
}

CLASSIFICATION = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}

# (name, AccountType, AccountSubType)
DEFAULT_ACCOUNTS: list[tuple[str, str, str]] = [
    ("Checking", "Bank", "Checking"),
    ("Savings", "Bank", "Savings"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Visa", "Credit Card", "CreditCard"),
    ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Bank Charges", "Expense", "BankCharges"),
    ("Commissions & fees", "Expense", "CommissionsAndFees"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Exchange Gain or Loss", "Other Expense", "ExchangeGainOrLoss"),
]


def currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": CURRENCIES.get(code, (code, 2))[0]}


def preferences(home_currency: str, multicurrency: bool) -> dict[str, Any]:
    return {
        "AccountingInfoPrefs": {
            "TrackDepartments": False,
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False,
            "CustomerTerminology": "Customers",
        },
        "SalesFormsPrefs": {
            # Custom transaction numbers on: DocNumbers are ours and duplicates are refused (6140).
            "CustomTxnNumbers": True,
            "AllowDeposit": True,
            "AllowDiscount": True,
        },
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": multicurrency,
            "HomeCurrency": {"value": home_currency},
        },
        "TaxPrefs": {"UsingSalesTax": False},
    }


def company_info(name: str, realm_id: str) -> dict[str, Any]:
    return {
        "CompanyName": name,
        "LegalName": name,
        "CompanyAddr": {
            "Line1": "123 Sierra Way",
            "City": "San Pablo",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "87999",
        },
        "Country": "US",
        "Email": {"Address": "noreply@quickbooks.com"},
        "FiscalYearStartMonth": "January",
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "QBOIndustryType", "Value": "Sandbox"}],
    }


def items(accounts_by_name: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "Name": "Services",
            "Type": "Service",
            "Active": True,
            "IncomeAccountRef": {"value": accounts_by_name["Services"], "name": "Services"},
        },
        {
            "Name": "Sales",
            "Type": "NonInventory",
            "Active": True,
            "IncomeAccountRef": {
                "value": accounts_by_name["Sales of Product Income"],
                "name": "Sales of Product Income",
            },
        },
    ]


PAYMENT_METHODS = [
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
]
