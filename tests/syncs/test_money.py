"""Money: integer minor units, one currency at a time, one conversion to QBO decimals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncs.ledger import LedgerTxn, PayoutInfo
from syncs.money import CurrencyMismatch, Money, exponent, from_decimal, to_decimal, total
from tests.syncs.ledger_data import txn, when


def test_it_knows_zero_and_three_decimal_currencies() -> None:
    assert [
        exponent(c) for c in ("jpy", "krw", "usd", "eur", "kwd", "bhd", "jod", "omr", "tnd")
    ] == [
        0,
        0,
        2,
        2,
        3,
        3,
        3,
        3,
        3,
    ]


def test_it_converts_with_the_currency_exponent() -> None:
    assert to_decimal(Money(1234, "usd")) == Decimal("12.34")
    assert str(to_decimal(Money(1500, "jpy"))) == "1500"
    assert format(to_decimal(Money(12345, "kwd")), "f") == "12.345"
    assert format(to_decimal(Money(0, "usd")), "f") == "0.00"
    assert format(to_decimal(Money(-5, "usd")), "f") == "-0.05"


def test_it_adds_and_subtracts_within_one_currency() -> None:
    assert Money(1000, "usd") + Money(-320, "usd") == Money(680, "usd")
    assert Money(1000, "usd") - Money(320, "usd") == Money(680, "usd")
    assert -Money(5, "eur") == Money(-5, "eur")
    assert total([Money(1, "usd"), Money(2, "usd")], "usd") == Money(3, "usd")
    assert total([], "jpy") == Money(0, "jpy")
    assert str(Money(123456, "usd")) == "1234.56 USD"


def test_it_refuses_to_mix_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(100, "usd") + Money(100, "eur")
    with pytest.raises(CurrencyMismatch):
        total([Money(1, "usd")], "eur")
    with pytest.raises(CurrencyMismatch):
        assert Money(1, "usd") < Money(2, "eur")


@pytest.mark.parametrize("amount", [1.5, Decimal("1"), True, "100"])
def test_it_refuses_anything_but_integer_minor_units(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount, "usd")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["USD", "us", "usdx", "u$d"])
def test_it_refuses_codes_that_are_not_lower_case_iso(currency: str) -> None:
    with pytest.raises(ValueError):
        Money(1, currency)


def test_it_refuses_decimals_finer_than_the_currency() -> None:
    assert from_decimal(Decimal("12.34"), "usd") == Money(1234, "usd")
    assert from_decimal(Decimal("12.340"), "usd") == Money(1234, "usd")
    with pytest.raises(ValueError):
        from_decimal(Decimal("12.5"), "jpy")


@settings(deadline=None)
@given(st.integers(-(10**12), 10**12), st.sampled_from(["usd", "jpy", "kwd", "eur"]))
def test_it_round_trips_every_amount_exactly(amount: int, currency: str) -> None:
    money = Money(amount, currency)
    decimal = to_decimal(money)
    assert from_decimal(decimal, currency) == money
    assert -decimal.as_tuple().exponent == exponent(currency)


# ---- ledger records --------------------------------------------------------------------------


def test_it_refuses_a_balance_transaction_whose_net_is_not_amount_minus_fee() -> None:
    with pytest.raises(ValueError, match="net"):
        LedgerTxn(
            id="txn_1",
            type="charge",
            reporting_category="charge",
            amount=1000,
            fee=30,
            net=1000,
            currency="usd",
            created=when("2026-01-01 00:00"),
        )


def test_it_refuses_naive_datetimes_and_float_amounts() -> None:
    with pytest.raises(ValueError, match="aware"):
        txn("charge", 1000, created=datetime(2026, 1, 1))
    with pytest.raises(TypeError):
        txn("charge", 10.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PayoutInfo("po_1", 1.0, "usd", "paid", True, when("2026-01-01 00:00").date())  # type: ignore[arg-type]


def test_it_freezes_metadata_and_exposes_money() -> None:
    t = txn("charge", 1000, 30, metadata={"order": "42"})
    with pytest.raises(TypeError):
        t.metadata["order"] = "43"  # type: ignore[index]
    assert (t.gross, t.fee_money, t.net_money) == (
        Money(1000, "usd"),
        Money(30, "usd"),
        Money(970, "usd"),
    )
