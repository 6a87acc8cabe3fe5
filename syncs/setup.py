"""Auto-setup: the recommended chart of accounts, vendor, item and guest customer (§2).

What QuickBooks already has under the recommended names is reused (a few reads, once);
the rest is created through the outbox like any other write — deterministic key and
requestid, one poster per company — and the ids are stored as the profile's refs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from connections import services as connection_services
from connections.models import Connection
from connections.providers.quickbooks import client as qbo
from connections.providers.stripe import client as stripe_client
from mappings import defaults
from mappings.defaults import Purpose
from mappings.models import QboRef, SyncProfile
from mappings.selectors import GUEST_CUSTOMER, SALES_ITEM, VENDOR
from syncs import poster
from syncs.models import BalanceTransaction, OutboxDocument
from syncs.planner import canonical_json


@dataclass
class SetupReport:
    reused: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Wanted:
    purpose: str
    currency: str
    entity: str
    name: str
    payload: dict[str, object]


def _read(connection: Connection, statement: str) -> list[dict[str, object]]:
    return connection_services.quickbooks_call(
        connection_id=connection.pk, call=lambda token, realm: qbo.query(token, realm, statement)
    )


def _currencies(profile: SyncProfile) -> list[str]:
    """Every settlement currency: in the ledger so far, and in the Stripe balance today."""
    seen = set(
        BalanceTransaction.objects.filter(connection=profile.stripe).values_list(
            "currency", flat=True
        )
    )
    client = connection_services.stripe_client_for(profile.stripe)
    seen |= set(stripe_client.balance_totals(client))
    return sorted(seen or {(profile.quickbooks.home_currency or "usd").lower()})


def _wanted_accounts(profile: SyncProfile, currencies: list[str]) -> list[Wanted]:
    company = profile.quickbooks
    wanted = []
    for spec in defaults.RECOMMENDED_ACCOUNTS:
        if not spec.create:
            continue
        for currency in currencies if spec.per_currency else [""]:
            payload = defaults.account_payload(
                spec,
                currency=currency or None,
                multicurrency=bool(company.multicurrency_enabled)
                and currency.upper() != company.home_currency,
            )
            wanted.append(Wanted(spec.purpose, currency, "Account", str(payload["Name"]), payload))
    return wanted


def profile_autosetup(*, profile: SyncProfile) -> SetupReport:
    report = SetupReport()
    company = profile.quickbooks
    currencies = _currencies(profile)
    home = (company.home_currency or "usd").lower()
    if not company.multicurrency_enabled and any(c != home for c in currencies):
        report.problems.append(_multicurrency_off(company, currencies))
        currencies = [home]
    accounts = _read(company, "SELECT * FROM Account MAXRESULTS 1000")
    by_name = {str(a["Name"]): a for a in accounts}
    wanted_accounts = _wanted_accounts(profile, currencies)
    _store_existing_choices(
        profile, accounts, {w.name for w in wanted_accounts}, currencies, report
    )
    # QuickBooks fixes a customer's and a vendor's currency: one of each per foreign currency.
    foreign = [c for c in currencies if c != home]
    wanted = [
        *wanted_accounts,
        _vendor(),
        _guest_customer(),
        *(_vendor(c) for c in foreign),
        *(_guest_customer(c) for c in foreign),
    ]
    _ensure(profile, wanted, by_name, report)
    income = QboRef.objects.get(profile=profile, purpose=Purpose.SALES_INCOME)
    item = defaults.sales_item_payload(defaults.Ref(income.qbo_id, income.qbo_name))
    _ensure(profile, [Wanted(SALES_ITEM, "", "Item", defaults.SALES_ITEM_NAME, item)], {}, report)
    return report


def _in_currency(
    name: str, payload: dict[str, object], currency: str
) -> tuple[str, dict[str, object]]:
    if not currency:
        return name, payload
    named = f"{name} ({currency.upper()})"
    return named, {**payload, "DisplayName": named, "CurrencyRef": {"value": currency.upper()}}


def _vendor(currency: str = "") -> Wanted:
    name, payload = _in_currency(defaults.VENDOR_NAME, defaults.vendor_payload(), currency)
    return Wanted(VENDOR, currency, "Vendor", name, payload)


def _guest_customer(currency: str = "") -> Wanted:
    base = defaults.GUEST_CUSTOMER_NAME
    name, payload = _in_currency(base, {"DisplayName": base}, currency)
    return Wanted(GUEST_CUSTOMER, currency, "Customer", name, payload)


def _multicurrency_off(company: Connection, currencies: list[str]) -> str:
    others = ", ".join(c.upper() for c in currencies if c != (company.home_currency or "").lower())
    return (
        f"Stripe also settles in {others}, but multicurrency is off in "
        f"{company.display_name}. Turn it on in QuickBooks (Settings → Account and settings → "
        "Advanced → Currency), then run this setup again; until then only "
        f"{company.home_currency or 'home-currency'} transactions are posted."
    )


def _store_existing_choices(
    profile: SyncProfile,
    accounts: list[dict[str, object]],
    clearing_names: set[str],
    currencies: list[str],
    report: SetupReport,
) -> None:
    """The accounts the user owns (payout bank, opening balance equity): best guesses to review."""
    banks = [
        a for a in accounts if a.get("AccountType") == "Bank" and a["Name"] not in clearing_names
    ]
    equity = [a for a in accounts if a.get("AccountSubType") == "OpeningBalanceEquity"]
    if not banks:
        report.problems.append(
            "No bank account for payouts: create one in QuickBooks, then map it."
        )
    for currency in currencies:
        if banks:
            _save_ref(profile, Purpose.PAYOUT_BANK, currency, "Account", banks[0])
    if equity:
        _save_ref(profile, Purpose.OPENING_BALANCE, "", "Account", equity[0])


def _save_ref(
    profile: SyncProfile, purpose: str, currency: str, entity: str, found: dict[str, object]
) -> None:
    name = str(found.get("Name") or found.get("DisplayName") or "")
    QboRef.objects.update_or_create(
        profile=profile,
        purpose=purpose,
        currency=currency,
        defaults={"entity": entity, "qbo_id": str(found["Id"]), "qbo_name": name},
    )


def _ensure(
    profile: SyncProfile,
    wanted: list[Wanted],
    existing: dict[str, dict[str, object]],
    report: SetupReport,
) -> None:
    company = profile.quickbooks
    rows: list[tuple[Wanted, OutboxDocument]] = []
    for item in wanted:
        if item.entity == "Account" and item.name in existing:
            _save_ref(profile, item.purpose, item.currency, item.entity, existing[item.name])
            report.reused.append(item.name)
            continue
        rows.append((item, _outbox_row(profile, item)))
    if not rows:
        return
    # Vendors, items and customers already in QuickBooks answer "name taken" (6240) and are
    # adopted by name: no read before create.
    poster.outbox_post(quickbooks_id=company.pk)
    for item, row in rows:
        row.refresh_from_db()
        if row.status == OutboxDocument.Status.POSTED:
            QboRef.objects.update_or_create(
                profile=profile,
                purpose=item.purpose,
                currency=item.currency,
                defaults={"entity": item.entity, "qbo_id": row.qbo_id, "qbo_name": item.name},
            )
            report.created.append(item.name)
        else:
            report.problems.append(f"{item.entity} {item.name!r}: {row.last_error or row.status}")


def _outbox_row(profile: SyncProfile, item: Wanted) -> OutboxDocument:
    company = profile.quickbooks
    key = f"setup:{company.pk}:{item.entity}:{item.name}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    row, _ = OutboxDocument.objects.get_or_create(
        key=key,
        defaults={
            "tenant_id": profile.tenant_id,
            "quickbooks": company,
            "role": "setup",
            "entity": item.entity,
            "request_id": digest[:32],
            "doc_number": "S-" + digest[:16],
            "body": canonical_json(item.payload),
            "amount": 0,
            "currency": "",
        },
    )
    return row
