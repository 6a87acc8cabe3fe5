"""A fresh QuickBooks emulator company, set up the way mapping autosetup will do it (§2),
driven in-process through the emulator's API object (no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from emulators.quickbooks import jsonio, ledger
from emulators.quickbooks.clock import ManualClock
from emulators.quickbooks.entities import Api
from emulators.quickbooks.store import Company, Store
from mappings.defaults import (
    GUEST_CUSTOMER_NAME,
    RECOMMENDED_ACCOUNTS,
    Mappings,
    Purpose,
    Ref,
    account_payload,
    sales_item_payload,
    vendor_payload,
)
from syncs.planner import Batch


@dataclass
class Books:
    api: Api
    company: Company
    mappings: Mappings

    def post(self, batch: Batch) -> None:
        for doc in batch.documents:
            # Through the wire format, as the poster will send it.
            self.api.post(self.company, doc.entity, jsonio.loads(doc.json()), {})

    def balance(self, ref: Ref) -> Decimal:
        return ledger.balances(self.company)[ref.value]["balance"]


def _create(api: Api, company: Company, entity: str, payload: dict[str, Any]) -> Ref:
    created = api.post(company, entity, payload, {})
    return Ref(created["Id"], created.get("Name") or created.get("DisplayName", ""))


def new_books(currencies: tuple[str, ...] = ("usd",)) -> Books:
    """A fresh sandbox company (home currency USD) set up the way mapping autosetup will do it
    (§2), with a clearing account, bank, guest customer and vendor per settlement currency."""
    store = Store(ManualClock(datetime(2031, 6, 1, tzinfo=UTC)))
    multicurrency = currencies != ("usd",)
    company = store.create_company(multicurrency=multicurrency)
    api = Api(store)
    existing = {a["Name"]: Ref(a["Id"], a["Name"]) for a in company.all("Account")}
    refs: dict[Purpose, Ref] = {}
    for spec in RECOMMENDED_ACCOUNTS:
        if spec.per_currency:
            continue
        if spec.name in existing:
            refs[spec.purpose] = existing[spec.name]
        else:
            refs[spec.purpose] = _create(api, company, "Account", account_payload(spec))
    clearing, banks, guests, vendors = {}, {}, {}, {}
    spec = next(s for s in RECOMMENDED_ACCOUNTS if s.purpose == Purpose.CLEARING)
    for currency in currencies:
        code = {"value": currency.upper()}
        payload = account_payload(spec, currency=currency, multicurrency=multicurrency)
        clearing[currency] = _create(api, company, "Account", payload)
        if currency == "usd":
            banks[currency] = refs[Purpose.PAYOUT_BANK]
            guests[currency] = _create(
                api, company, "Customer", {"DisplayName": GUEST_CUSTOMER_NAME}
            )
            vendors[currency] = _create(api, company, "Vendor", vendor_payload())
            continue
        bank = {"Name": f"Checking {currency.upper()}", "AccountType": "Bank", "CurrencyRef": code}
        banks[currency] = _create(api, company, "Account", bank)
        guest = {"DisplayName": f"{GUEST_CUSTOMER_NAME} {currency.upper()}", "CurrencyRef": code}
        guests[currency] = _create(api, company, "Customer", guest)
        vendor = {"DisplayName": f"Stripe {currency.upper()}", "CurrencyRef": code}
        vendors[currency] = _create(api, company, "Vendor", vendor)
    connect = _create(
        api, company, "Account", {"Name": "Connect payouts", "AccountType": "Expense"}
    )
    platform = _create(api, company, "Account", {"Name": "Platform fees", "AccountType": "Income"})
    item = _create(api, company, "Item", sales_item_payload(refs[Purpose.SALES_INCOME]))
    mappings = Mappings(
        clearing=clearing,
        payout_bank=banks,
        sales_income=refs[Purpose.SALES_INCOME],
        sales_item=item,
        refunds=refs[Purpose.REFUNDS],
        fees=refs[Purpose.FEES],
        chargebacks=refs[Purpose.CHARGEBACKS],
        adjustments=refs[Purpose.ADJUSTMENTS],
        reserve=refs[Purpose.RESERVE],
        suspense=refs[Purpose.SUSPENSE],
        opening_balance_equity=refs[Purpose.OPENING_BALANCE],
        vendor=vendors["usd"] if "usd" in vendors else next(iter(vendors.values())),
        vendors=vendors,
        category_accounts={"transfer": connect, "platform_earning": platform},
        guest_customers=guests,
    )
    return Books(api, company, mappings)
