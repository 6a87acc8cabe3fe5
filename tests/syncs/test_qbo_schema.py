"""The XSD helper itself must be able to fail, or every "valid payload" test is empty."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.qbo_schema import assert_valid_qbo

PURCHASE = {
    "PaymentType": "Cash",
    "AccountRef": {"value": "90"},
    "Line": [
        {
            "DetailType": "AccountBasedExpenseLineDetail",
            "Amount": Decimal("3.20"),
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "77"}},
        }
    ],
}


def test_it_accepts_a_minimal_purchase_and_transfer() -> None:
    assert_valid_qbo("Purchase", PURCHASE)
    assert_valid_qbo(
        "Transfer",
        {"FromAccountRef": {"value": "90"}, "ToAccountRef": {"value": "35"}, "Amount": Decimal(1)},
    )


@pytest.mark.parametrize(
    "change",
    [{"PaymentType": "Bogus"}, {"TxnDate": "not-a-date"}, {"Foo": "bar"}],
)
def test_it_rejects_what_the_xsd_rejects(change: dict[str, str]) -> None:
    with pytest.raises(pytest.fail.Exception, match="breaks the QBO XSD"):
        assert_valid_qbo("Purchase", {**PURCHASE, **change})
