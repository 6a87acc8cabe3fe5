"""Pure lookups: ledger row + Mappings → the QBO account or item refs to post to.

Anything that cannot be resolved raises `MissingMapping`, which the planner reports as a
"needs action" result; nothing falls back to a guess that would post to the wrong account.
"""

from __future__ import annotations

from collections.abc import Iterable

from mappings.defaults import Mappings, Ref
from syncs.ledger import LedgerTxn, LineItem


class MissingMapping(LookupError):
    """A required mapping is absent; `action` says what the user has to set."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def clearing_account(mappings: Mappings, currency: str) -> Ref:
    try:
        return mappings.clearing[currency]
    except KeyError:
        raise MissingMapping(
            f"Map a Stripe Clearing account for {currency.upper()} (Settings → Accounts)"
        ) from None


def payout_bank(mappings: Mappings, currency: str) -> Ref:
    try:
        return mappings.payout_bank[currency]
    except KeyError:
        raise MissingMapping(
            f"Choose the bank account {currency.upper()} payouts land in (Settings → Accounts)"
        ) from None


def topup_bank(mappings: Mappings, currency: str) -> Ref:
    if currency in mappings.topup_bank:
        return mappings.topup_bank[currency]
    return payout_bank(mappings, currency)


def vendor(mappings: Mappings, currency: str) -> Ref:
    return mappings.vendors.get(currency, mappings.vendor)


def guest_customer(mappings: Mappings, currency: str) -> Ref | None:
    return mappings.guest_customers.get(currency, mappings.guest_customer)


def fee_account(mappings: Mappings, fee_type: str) -> Ref:
    """Where a fee of this type goes: its own mapping, else Stripe Fees."""
    return mappings.fee_accounts.get(fee_type, mappings.fees)


def category_account(mappings: Mappings, category: str, default: Ref) -> Ref:
    return mappings.category_accounts.get(category, default)


def item_for(mappings: Mappings, product_id: str | None) -> Ref:
    """Stripe product → QBO item; unmapped (or no product) → the "Stripe Sales" item (§5)."""
    if product_id is None:
        return mappings.sales_item
    return mappings.product_items.get(product_id, mappings.sales_item)


def single_item(mappings: Mappings, line_items: Iterable[LineItem]) -> Ref:
    """The one item of a sale whose lines all map to the same item, else "Stripe Sales"."""
    items = {item_for(mappings, line.product_id) for line in line_items}
    if len(items) == 1:
        return items.pop()
    return mappings.sales_item


def refund_item(mappings: Mappings, txn: LedgerTxn) -> Ref:
    """The item a refund credits: the mapped refund item, else the sale's own item (§2)."""
    if mappings.refund_item is not None:
        return mappings.refund_item
    return single_item(mappings, txn.line_items)


DISPLAY_NAME_MAX = 100  # QBO allows 500; importers cite 100 (docs/quickbooks-api.md §8.1)


def customer_display_names(
    name: str, email: str, stripe_id: str | None, currency: str | None = None
) -> list[str]:
    """Candidate DisplayNames for a new QBO customer, in the order §5 tries them: the name,
    then "name (email)", then "name (cus_…)".

    QBO forbids ':' tab and newline and shares one namespace with vendors and employees
    (docs/quickbooks-api.md §8.1), so the caller tries each until one is free. `currency` is
    given for a customer in another currency than the company's home currency (QBO fixes a
    customer's currency): every candidate then ends in " (EUR)", like the guest customer and
    vendor of that currency, so the home-currency customer keeps the plain name.
    """
    suffix = f" ({currency.upper()})" if currency else ""
    room = DISPLAY_NAME_MAX - len(suffix)
    clean = _clean_name(name)
    mail = _clean_name(email)
    bases: list[str] = []
    if clean:
        bases.append(clean[:room])
        if mail:
            bases.append(_with_tail(clean, f" ({mail})", room))
    elif mail:
        bases.append(mail[:room])
    if stripe_id:
        bases.append(
            _with_tail(clean or mail, f" ({stripe_id})", room) if clean or mail else stripe_id
        )
    return list(dict.fromkeys(f"{base}{suffix}" for base in bases if base))


def _clean_name(text: str) -> str:
    return " ".join(text.replace(":", " ").split())


def _with_tail(base: str, tail: str, room: int) -> str:
    """`base` + `tail` in `room` characters, shortening the base so the tail stays whole."""
    if len(tail) >= room:
        return tail.strip()[:room]
    return base[: room - len(tail)].rstrip() + tail


def mapping_problems(mappings: Mappings) -> list[str]:
    """Mistakes that would make QBO refuse documents or break the tie-out, in plain words.

    A clearing account must mirror one Stripe balance, so it cannot be shared between
    currencies or double as the bank, reserve or suspense account (a Transfer from an account
    to itself is refused, and a shared account's balance no longer ties out).
    """
    problems = []
    by_account: dict[str, list[str]] = {}
    for currency, ref in mappings.clearing.items():
        by_account.setdefault(ref.value, []).append(currency.upper())
    for value, currencies in sorted(by_account.items()):
        if len(currencies) > 1:
            problems.append(f"Clearing account {value} is used for {', '.join(currencies)}")
    others = {
        "payout bank": list(mappings.payout_bank.values()) + list(mappings.topup_bank.values()),
        "reserve": [mappings.reserve],
        "suspense": [mappings.suspense],
    }
    for role, refs in others.items():
        for ref in refs:
            if ref.value in by_account:
                problems.append(f"The {role} account {ref.name or ref.value} is a clearing account")
    return problems
