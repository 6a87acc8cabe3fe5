"""Which setting fixes a problem: a problem's message → the page (and picker) that fixes it.

The error inbox and the run page show each cause with a link to its one fix (ux.md §7). The
messages come from the planner (mappings.resolve's MissingMapping, mappings.selectors), the
poster (QuickBooks faults, reconnects) and the plan step; a message no rule knows gets no link
rather than a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


class Kind:
    MAPPING = "mapping"  # a picker on the mapping page (anchor says which)
    SETUP = "setup"  # the accounts page's "create them for me" (auto-setup)
    RECONNECT = "reconnect"  # the connections page
    CLOSED_PERIOD = "closed_period"  # the closed-period policy in the profile's schedule form


@dataclass(frozen=True, slots=True)
class Fix:
    kind: str
    label: str  # the link's text: what the user will do there
    anchor: str = ""  # the picker on the mapping page, e.g. "clearing-eur"


def _clearing(m: re.Match[str]) -> Fix:
    cur = m.group(1)
    return Fix(Kind.MAPPING, f"Choose the {cur} clearing account", f"clearing-{cur.lower()}")


def _payout_bank(m: re.Match[str]) -> Fix:
    cur = m.group(1)
    return Fix(Kind.MAPPING, f"Choose the bank {cur} payouts land in", f"payout_bank-{cur.lower()}")


# First match wins: the specific before the general.
RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Fix]], ...] = (
    (re.compile(r"Map a Stripe Clearing account for ([A-Z]{3})"), _clearing),
    (re.compile(r"Choose the bank account ([A-Z]{3}) payouts land in"), _payout_bank),
    (
        re.compile(r"Set up the accounts Tieout posts to first"),
        lambda m: Fix(Kind.SETUP, "Create the accounts Tieout posts to"),
    ),
    (
        re.compile(r"multicurrency", re.IGNORECASE),
        lambda m: Fix(Kind.SETUP, "Run the account setup again (after turning multicurrency on)"),
    ),
    (
        re.compile(r"closed period|books (?:are )?closed|period (?:is |has )?closed", re.I),
        lambda m: Fix(Kind.CLOSED_PERIOD, "Choose what happens to closed-period documents"),
    ),
    (
        re.compile(r"reconnect|disconnected Tieout", re.IGNORECASE),
        lambda m: Fix(Kind.RECONNECT, "Reconnect QuickBooks"),
    ),
    (
        # A Stripe customer's QuickBooks customer cannot be made (syncs/customers.py): rename in
        # QuickBooks, or post such sales on the guest customer (the customer policy).
        re.compile(r"QuickBooks customer for .* could not be created"),
        lambda m: Fix(Kind.MAPPING, "Choose how sales find their customer", "customers"),
    ),
    (
        # QuickBooks refusing a reference: the chosen account or item was deleted or deactivated.
        re.compile(
            r"Invalid Reference Id|Object Not Found|(?:account|item|vendor)\b[^.]*\binactive",
            re.IGNORECASE,
        ),
        lambda m: Fix(Kind.MAPPING, "Check the chosen accounts and items"),
    ),
)


# The poster ends every QuickBooks refusal with this hint; it names no cause of its own.
BOILERPLATE = re.compile(r"Fix the cause \(often a mapping or a closed period\), then retry\.?")


def fix_for(message: str) -> Fix | None:
    message = BOILERPLATE.sub("", message)
    for pattern, build in RULES:
        found = pattern.search(message)
        if found:
            return build(found)
    return None


def fix_url(fix: Fix, *, slug: str, profile_id: int | None) -> str:
    """Where the fix is; without a known profile, the accounts page lists them all."""
    if fix.kind == Kind.RECONNECT:
        return reverse("connections:list", args=[slug])
    setup = reverse("syncs:setup", args=[slug])
    if profile_id is None:
        return setup
    if fix.kind == Kind.MAPPING:
        page = reverse("syncs:mappings", args=[slug, profile_id])
        return f"{page}#{fix.anchor}" if fix.anchor else page
    if fix.kind == Kind.CLOSED_PERIOD:
        return f"{setup}#schedule-{profile_id}"
    return f"{setup}#profile-{profile_id}"
