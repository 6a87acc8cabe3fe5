"""What the pickers choose from: the QuickBooks company's accounts, vendors and items, and the
Stripe account's products.

QuickBooks reads are metered across the app, so each list is one paged query, made only when a
page or a save needs it, and cached per connection for a few minutes; "Refresh from
QuickBooks" forgets the cache. Stripe products are read the same way; a restricted key without
Products — Read gets a plain explanation instead of a list, and the user types the id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from django.core.cache import cache

from connections import services as connection_services
from connections.models import Connection
from connections.providers.errors import ProviderError
from connections.providers.quickbooks import client as qbo

CACHE_SECONDS = 300
PAGE_SIZE = 1000  # QuickBooks' largest page
MAX_PRODUCTS = 500  # a picker longer than this is no help: the user types the id instead


@dataclass(frozen=True, slots=True)
class QboAccount:
    id: str
    name: str
    account_type: str
    sub_type: str
    currency: str  # lower-case ISO code; "" when QuickBooks did not say (home currency)


@dataclass(frozen=True, slots=True)
class QboVendor:
    id: str
    name: str
    currency: str


@dataclass(frozen=True, slots=True)
class QboItem:
    id: str
    name: str
    type: str


def _currency(row: dict[str, Any]) -> str:
    ref = row.get("CurrencyRef")
    return str(ref.get("value", "")).lower() if isinstance(ref, dict) else ""


def _account(row: dict[str, Any]) -> QboAccount:
    return QboAccount(
        id=str(row["Id"]),
        name=str(row.get("FullyQualifiedName") or row.get("Name") or ""),
        account_type=str(row.get("AccountType") or ""),
        sub_type=str(row.get("AccountSubType") or ""),
        currency=_currency(row),
    )


def _vendor(row: dict[str, Any]) -> QboVendor:
    return QboVendor(
        id=str(row["Id"]), name=str(row.get("DisplayName") or ""), currency=_currency(row)
    )


def _item(row: dict[str, Any]) -> QboItem:
    return QboItem(
        id=str(row["Id"]),
        name=str(row.get("FullyQualifiedName") or row.get("Name") or ""),
        type=str(row.get("Type") or ""),
    )


def _key(connection: Connection, what: str) -> str:
    return f"mappings:catalog:{connection.pk}:{what}"


def _read_all(connection: Connection, entity: str) -> list[dict[str, Any]]:
    """Every active entity of one kind (QuickBooks leaves inactive ones out), page by page."""
    rows: list[dict[str, Any]] = []
    start = 1
    while True:
        # `entity` is one of our three constants; the numbers are ours.
        statement = f"SELECT * FROM {entity} STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"  # noqa: S608
        page = connection_services.quickbooks_call(
            connection_id=connection.pk,
            call=lambda token, realm, statement=statement: qbo.query(token, realm, statement),
        )
        rows.extend(row for row in page if row.get("Active", True) is not False)
        if len(page) < PAGE_SIZE:
            return rows
        start += PAGE_SIZE


def _cached[T](
    connection: Connection, entity: str, parse: Callable[[dict[str, Any]], T], refresh: bool
) -> list[T]:
    key = _key(connection, entity)
    if not refresh:
        found = cache.get(key)
        if found is not None:
            return list(found)
    parsed = sorted(
        (parse(row) for row in _read_all(connection, entity)),
        key=lambda x: x.name.lower(),  # type: ignore[attr-defined]
    )
    cache.set(key, parsed, CACHE_SECONDS)
    return parsed


def qbo_accounts(connection: Connection, *, refresh: bool = False) -> list[QboAccount]:
    """Raises ProviderError when QuickBooks cannot be read (the caller says so in words)."""
    return _cached(connection, "Account", _account, refresh)


def qbo_vendors(connection: Connection, *, refresh: bool = False) -> list[QboVendor]:
    return _cached(connection, "Vendor", _vendor, refresh)


def qbo_items(connection: Connection, *, refresh: bool = False) -> list[QboItem]:
    return _cached(connection, "Item", _item, refresh)


def forget(connection: Connection) -> None:
    """Drop the cached lists (after "Refresh from QuickBooks", or after setup created some)."""
    cache.delete_many([_key(connection, e) for e in ("Account", "Vendor", "Item", "products")])


# ---- Stripe products -------------------------------------------------------------------------

NO_PRODUCT_READ = (
    "This Stripe key may not read products (Products — Read), so there is no list to choose "
    "from. Type the product id (it starts with prod_, on the product's page in Stripe), or allow "
    "Products — Read on the key in Stripe (Developers → API keys) and refresh."
)


@dataclass(frozen=True, slots=True)
class Products:
    choices: tuple[tuple[str, str], ...]  # (product id, name)
    problem: str = ""  # why there is no list, in words


def stripe_products(connection: Connection, *, refresh: bool = False) -> Products:
    key = _key(connection, "products")
    if not refresh:
        found = cache.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
    try:
        client = connection_services.stripe_client_for(connection)
        listed: list[tuple[str, str]] = []
        for product in client.v1.products.list({"limit": 100}).auto_paging_iter():
            data = product.to_dict()
            listed.append((str(data["id"]), str(data.get("name") or data["id"])))
            if len(listed) >= MAX_PRODUCTS:
                break
    except stripe.PermissionError:
        result = Products((), NO_PRODUCT_READ)
    except (stripe.StripeError, ProviderError):
        # Not cached: the next page view tries again.
        return Products(
            (),
            "Stripe did not list the products just now; type the product id instead, or "
            "refresh in a minute.",
        )
    else:
        result = Products(tuple(sorted(listed, key=lambda p: p[1].lower())))
    cache.set(key, result, CACHE_SECONDS)
    return result


def qbo_customers_named(connection: Connection, name: str) -> list[QboVendor]:
    """Active customers with exactly this display name (one read, not cached: customer lists
    can be long, and this runs only when someone saves a guest customer)."""
    statement = f"SELECT * FROM Customer WHERE DisplayName = {qbo.quoted(name)}"  # noqa: S608
    rows = connection_services.quickbooks_call(
        connection_id=connection.pk, call=lambda token, realm: qbo.query(token, realm, statement)
    )
    return [_vendor(row) for row in rows if row.get("Active", True) is not False]
