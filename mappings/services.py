"""Writes: choose existing QuickBooks accounts, vendor and item; map products; customer policy.

Every choice is checked against the company's own lists (mappings.catalog) before anything
is saved: the account must exist, be active, be of a type the purpose accepts and hold the
right currency. A refused choice raises `MappingError` (its message says what, why and what to
do; `field` names the form field) and changes nothing. QuickBooks being unreachable raises
connections' ProviderError, also before any change. The caller resolves the profile through
the tenant (`SyncProfile.objects.for_tenant(...)`) and checks Perm.CHANGE_MAPPINGS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction

from mappings import catalog
from mappings.defaults import (
    ACCOUNT_RULES,
    HOME_CURRENCY_PURPOSES,
    PER_CURRENCY_PURPOSES,
    PURPOSE_LABELS,
    SALES_ITEM_TYPES,
    CustomerPolicy,
    Purpose,
    account_name,
    account_spec,
)
from mappings.models import ProductItem, QboRef, SyncProfile
from mappings.selectors import GUEST_CUSTOMER, SALES_ITEM, VENDOR

CURRENCY = re.compile(r"^[a-z]{3}$")
# Stripe product ids are prod_… unless the account chose its own: letters, digits, _ - .
PRODUCT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
# A clearing account mirrors one Stripe balance: it cannot be shared with these.
CLEARING_APART = (Purpose.PAYOUT_BANK, Purpose.RESERVE, Purpose.SUSPENSE)


class MappingError(ValueError):
    """A choice that cannot be saved; `message` is for the person, `field` for the form."""

    def __init__(self, message: str, *, field: str = "qbo_id") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _a(word: str) -> str:
    return f"an {word}" if word[:1].upper() in "AEIOU" else f"a {word}"


def _either(types: tuple[str, ...]) -> str:
    if len(types) == 1:
        return _a(types[0])
    return _a(types[0]) + "".join(
        f"{', or ' if i == len(types) - 1 else ', '}{t}" for i, t in enumerate(types[1:], 1)
    )


def _home(profile: SyncProfile) -> str:
    return (profile.quickbooks.home_currency or "usd").lower()


def _currency_for(purpose: Purpose, currency: str) -> str:
    currency = (currency or "").strip().lower()
    if purpose in PER_CURRENCY_PURPOSES:
        if not CURRENCY.match(currency):
            raise MappingError(
                f"Say which Stripe currency this {PURPOSE_LABELS[purpose]} is for.",
                field="currency",
            )
        return currency
    if currency:
        raise MappingError(
            f"The {PURPOSE_LABELS[purpose]} serves every currency; it has no currency of its own.",
            field="currency",
        )
    return ""


def _find(qbo_id: str, lookup: Callable[[bool], Sequence[Any]], *, what: str) -> Any:
    """The entity with this id: from the cached list, then from a fresh one (just created?)."""
    qbo_id = (qbo_id or "").strip()
    if not qbo_id:
        raise MappingError(f"Choose {what}.")
    for refresh in (False, True):
        found = [x for x in lookup(refresh) if x.id == qbo_id]
        if found:
            return found[0]
    raise MappingError(
        f"QuickBooks has no active {what} with id {qbo_id}: it may have been deleted or made "
        "inactive. Refresh the list from QuickBooks and choose again."
    )


def _save(
    profile: SyncProfile, purpose: str, currency: str, entity: str, qbo_id: str, name: str
) -> QboRef:
    with transaction.atomic():
        ref, _ = QboRef.objects.update_or_create(
            profile=profile,
            purpose=purpose,
            currency=currency,
            defaults={"entity": entity, "qbo_id": qbo_id, "qbo_name": name},
        )
    return ref


def choose_account(*, profile: SyncProfile, purpose: str, currency: str, qbo_id: str) -> QboRef:
    """Map `purpose` (and, for clearing and payout bank, `currency`) to an existing account."""
    try:
        purpose = Purpose(purpose)
    except ValueError:
        raise MappingError("Choose what the account is for.", field="purpose") from None
    currency = _currency_for(purpose, currency)
    company = profile.quickbooks
    account: catalog.QboAccount = _find(
        qbo_id, lambda refresh: catalog.qbo_accounts(company, refresh=refresh), what="account"
    )
    label = PURPOSE_LABELS[purpose]
    rule = ACCOUNT_RULES[purpose]
    spec = account_spec(purpose)
    if account.account_type not in rule.types:
        default = account_name(spec, currency or None)
        raise MappingError(
            f"“{account.name}” is {_a(account.account_type)} account, but the {label} must be "
            f"{_either(rule.types)} account: {rule.why}. Choose another account, or create "
            f"“{default}” ({spec.account_type}) in QuickBooks and refresh the list."
        )
    held = account.currency or _home(profile)
    if purpose in PER_CURRENCY_PURPOSES and held != currency:
        raise MappingError(
            f"“{account.name}” holds {held.upper()}, but this {label} is for "
            f"{currency.upper()}: QuickBooks fixes an account's currency, so Stripe's "
            f"{currency.upper()} money cannot move through it. Choose a {currency.upper()} account"
            + (
                f", or let Tieout create “{account_name(spec, currency)}”."
                if spec.create
                else " (create one in QuickBooks first if there is none)."
            )
        )
    if purpose in HOME_CURRENCY_PURPOSES and held != _home(profile):
        raise MappingError(
            f"“{account.name}” holds {held.upper()}, but the {label} serves every currency, so "
            f"it must be in the company's home currency ({_home(profile).upper()})."
        )
    _check_clearing_apart(profile, purpose, currency, account)
    return _save(profile, purpose, currency, "Account", account.id, account.name)


def _check_clearing_apart(
    profile: SyncProfile, purpose: Purpose, currency: str, account: catalog.QboAccount
) -> None:
    """A clearing account mirrors one Stripe balance: shared, its balance no longer ties out."""
    others = QboRef.objects.filter(profile=profile, entity="Account", qbo_id=account.id).exclude(
        purpose=purpose, currency=currency
    )
    if purpose == Purpose.CLEARING:
        clash = others.filter(purpose__in=[Purpose.CLEARING, *CLEARING_APART]).first()
    elif purpose in CLEARING_APART:
        clash = others.filter(purpose=Purpose.CLEARING).first()
    else:
        return
    if clash is None:
        return
    used = PURPOSE_LABELS[Purpose(clash.purpose)]
    used += f" for {clash.currency.upper()}" if clash.currency else ""
    raise MappingError(
        f"“{account.name}” is already the {used}. A clearing account must mirror one Stripe "
        "balance on its own, or the tie-out cannot hold: choose a different account."
    )


def choose_vendor(*, profile: SyncProfile, currency: str, qbo_id: str) -> QboRef:
    """The payee of fee and dispute expenses; `currency` "" is the home-currency vendor."""
    currency = (currency or "").strip().lower()
    if currency and not CURRENCY.match(currency):
        raise MappingError("Say which currency this vendor is for.", field="currency")
    home = _home(profile)
    if currency == home:
        currency = ""
    company = profile.quickbooks
    vendor: catalog.QboVendor = _find(
        qbo_id, lambda refresh: catalog.qbo_vendors(company, refresh=refresh), what="vendor"
    )
    wanted = currency or home
    if (vendor.currency or home) != wanted:
        raise MappingError(
            f"“{vendor.name}” is billed in {(vendor.currency or home).upper()}, but this vendor "
            f"pays {wanted.upper()} fees: QuickBooks fixes a vendor's currency. Choose a "
            f"{wanted.upper()} vendor, or run the account setup to create “Stripe "
            f"({wanted.upper()})”."
        )
    return _save(profile, VENDOR, currency, "Vendor", vendor.id, vendor.name)


def _sale_item(profile: SyncProfile, qbo_id: str) -> catalog.QboItem:
    company = profile.quickbooks
    item: catalog.QboItem = _find(
        qbo_id, lambda refresh: catalog.qbo_items(company, refresh=refresh), what="item"
    )
    if item.type not in SALES_ITEM_TYPES:
        kind = {"Inventory": "an inventory item", "Category": "a category", "Group": "a bundle"}
        raise MappingError(
            f"“{item.name}” is {kind.get(item.type, _a(item.type or 'unknown') + ' item')}; sales "
            "post to a Service or Non-inventory item (inventory would move stock and cost of "
            "goods sold that Stripe knows nothing about). Choose another item."
        )
    return item


def choose_sales_item(*, profile: SyncProfile, qbo_id: str) -> QboRef:
    """The item of sales whose product has no item of its own ("Stripe Sales")."""
    item = _sale_item(profile, qbo_id)
    return _save(profile, SALES_ITEM, "", "Item", item.id, item.name)


def choose_guest_customer(*, profile: SyncProfile, currency: str, name: str) -> QboRef:
    """The customer of sales without a Stripe customer (and, under the "single" policy, of
    every sale), found by its QuickBooks display name; `currency` "" is the home currency."""
    currency = (currency or "").strip().lower()
    if currency and not CURRENCY.match(currency):
        raise MappingError("Say which currency this customer is for.", field="currency")
    home = _home(profile)
    if currency == home:
        currency = ""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise MappingError(
            "Type the customer's display name as QuickBooks shows it (at most 100 characters).",
            field="name",
        )
    found = catalog.qbo_customers_named(profile.quickbooks, name)
    if not found:
        raise MappingError(
            f"QuickBooks has no active customer named “{name}”. Check the spelling (it is the "
            "display name on the customer's page), or create the customer in QuickBooks first.",
            field="name",
        )
    customer = found[0]
    wanted = currency or home
    if (customer.currency or home) != wanted:
        raise MappingError(
            f"“{customer.name}” is billed in {(customer.currency or home).upper()}, but this "
            f"guest customer is for {wanted.upper()} sales: QuickBooks fixes a customer's "
            f"currency. Choose a {wanted.upper()} customer.",
            field="name",
        )
    return _save(profile, GUEST_CUSTOMER, currency, "Customer", customer.id, customer.name)


def choose(*, profile: SyncProfile, purpose: str, currency: str, qbo_id: str) -> QboRef:
    """One entry point for the pickers: an account purpose, the vendor or the sales item."""
    if purpose == VENDOR:
        return choose_vendor(profile=profile, currency=currency, qbo_id=qbo_id)
    if purpose == SALES_ITEM:
        if currency:
            raise MappingError("The sales item serves every currency.", field="currency")
        return choose_sales_item(profile=profile, qbo_id=qbo_id)
    return choose_account(profile=profile, purpose=purpose, currency=currency, qbo_id=qbo_id)


def map_product(
    *, profile: SyncProfile, product_id: str, qbo_id: str, product_name: str = ""
) -> ProductItem:
    """Post sales of a Stripe product to its own QuickBooks item (replacing an earlier one)."""
    product_id = (product_id or "").strip()
    if not PRODUCT_ID.match(product_id):
        raise MappingError(
            "Type the Stripe product id (like prod_NffrFeUfNV2Hib, on the product's page in "
            "Stripe) or choose a product from the list.",
            field="product_id",
        )
    item = _sale_item(profile, qbo_id)
    with transaction.atomic():
        row, _ = ProductItem.objects.update_or_create(
            profile=profile,
            stripe_product=product_id,
            defaults={
                "qbo_id": item.id,
                "qbo_name": item.name,
                "stripe_name": (product_name or "")[:250],
            },
        )
    return row


def unmap_product(*, profile: SyncProfile, product_id: str) -> bool:
    """Sales of the product go back to the default item; False when it was not mapped."""
    deleted, _ = ProductItem.objects.filter(profile=profile, stripe_product=product_id).delete()
    return bool(deleted)


def set_customer_policy(*, profile: SyncProfile, policy: str) -> SyncProfile:
    try:
        value = CustomerPolicy(policy)
    except ValueError:
        raise MappingError(
            "Choose how sales find their QuickBooks customer.", field="customer_policy"
        ) from None
    SyncProfile.objects.filter(pk=profile.pk).update(customer_policy=value)
    profile.customer_policy = value
    return profile
