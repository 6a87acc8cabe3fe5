"""Money as integer minor units plus a currency, and the one conversion to QBO decimals.

Stripe sends every amount as an integer in the currency's smallest unit ("minor units") with a
lower-case ISO 4217 code (docs/stripe-api.md §4.1). We keep that form everywhere in our code
(docs/accounting.md §1.4); `to_decimal` is the single place where an amount becomes the decimal
QBO expects, using the currency's exponent (JPY 0 decimals, USD 2, KWD 3). No float ever.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
# Stripe's three-decimal currencies (https://docs.stripe.com/currencies#three-decimal).
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# ISK, HUF and TWD are zero-decimal in practice, but Stripe still counts them in hundredths
# (an amount must be divisible by 100), so their Stripe exponent stays 2.


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has, as Stripe counts them."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined: always a bug, never converted."""


def _check_currency(currency: str) -> None:
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise ValueError(f"not an ISO 4217 code: {currency!r}")
    if currency != currency.lower():
        raise ValueError(f"currency codes are lower-case, as Stripe sends them: {currency!r}")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (cents, yen, fils) of a lower-case ISO currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass and floats sneak in from JSON: refuse both at the door.
        if type(self.amount) is not int:
            raise TypeError(f"Money.amount must be an int, got {type(self.amount).__name__}")
        _check_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{format(to_decimal(self), 'f')} {self.currency.upper()}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of amounts, all in `currency` (an empty iterable sums to zero)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def to_decimal(money: Money) -> Decimal:
    """The amount as QBO wants it: a Decimal with exactly the currency's decimal places."""
    return Decimal(money.amount).scaleb(-exponent(money.currency))


def from_decimal(value: Decimal, currency: str) -> Money:
    """The inverse of `to_decimal`; refuses values with more places than the currency has."""
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{value} has more decimal places than {currency} allows")
    return Money(int(minor), currency)
