"""Fees and currency conversion, in integer minor units.

Pricing follows Stripe's US standard card pricing (https://stripe.com/pricing): 2.9 % + 30¢,
+1.5 % for international cards, +1 % when the charge is converted to another currency; a
dispute fee of 15.00 per dispute. All of it is configurable per emulator (`Pricing`).

Rounding: every fee and converted amount is computed with Decimal and rounded half-even to the
settlement currency's minor unit. Stripe does not publish its rounding rule; half-even keeps
sums unbiased. The fee is always expressed in the settlement currency, on the settled amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

ZERO_DECIMAL = {
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

# Major units of USD per major unit of the currency; a fixed table so that histories are
# deterministic. Stripe's live rates move; the product must read `exchange_rate`, not these.
USD_PER_UNIT = {
    "usd": Decimal("1"),
    "eur": Decimal("1.08"),
    "gbp": Decimal("1.27"),
    "cad": Decimal("0.73"),
    "aud": Decimal("0.66"),
    "chf": Decimal("1.13"),
    "mxn": Decimal("0.055"),
    "jpy": Decimal("0.0067"),
    "sek": Decimal("0.095"),
    "nzd": Decimal("0.60"),
}


@dataclass
class Pricing:
    percent_bps: int = 290
    fixed: dict[str, int] = field(
        default_factory=lambda: {
            "usd": 30,
            "eur": 25,
            "gbp": 20,
            "cad": 30,
            "aud": 30,
            "chf": 30,
            "jpy": 50,
            "mxn": 300,
        }
    )
    international_bps: int = 150
    conversion_bps: int = 100
    dispute_fee: dict[str, int] = field(
        default_factory=lambda: {"usd": 1500, "eur": 2000, "gbp": 2000}
    )
    dispute_fee_refunded_on_win: bool = True
    # Days from charge to funds available, as on Stripe's default US schedule (2 business
    # days; the emulator counts calendar days).
    availability_days: int = 2

    def fixed_fee(self, currency: str) -> int:
        return self.fixed.get(currency, 30)

    def dispute_fee_for(self, currency: str) -> int:
        return self.dispute_fee.get(currency, 1500)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def exponent(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 2


def round_minor(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_EVEN))


def exchange_rate(presentment: str, settlement: str) -> Decimal:
    """Units of settlement currency per unit of presentment currency (Stripe's `exchange_rate`)."""
    rate = USD_PER_UNIT.get(presentment, Decimal("1")) / USD_PER_UNIT.get(settlement, Decimal("1"))
    return rate.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


def convert(amount: int, presentment: str, settlement: str, rate: Decimal) -> int:
    """`amount` (minor units of presentment) in minor units of settlement, at `rate`."""
    shift = Decimal(10) ** (exponent(settlement) - exponent(presentment))
    return round_minor(Decimal(amount) * rate * shift)


def percent_of(amount: int, bps: int) -> Decimal:
    return Decimal(amount) * Decimal(bps) / Decimal(10000)


def processing_fee(
    pricing: Pricing, settled: int, currency: str, *, international: bool, converted: bool
) -> int:
    bps = pricing.percent_bps
    if international:
        bps += pricing.international_bps
    if converted:
        bps += pricing.conversion_bps
    return round_minor(percent_of(settled, bps)) + pricing.fixed_fee(currency)


def fee_detail(amount: int, currency: str, description: str, type_: str = "stripe_fee") -> dict:
    return {
        "amount": amount,
        "application": None,
        "currency": currency,
        "description": description,
        "type": type_,
    }
