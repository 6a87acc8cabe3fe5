"""Fixtures for the Stripe emulator tests: a served emulator and real stripe clients on it.

Only the admin API (clock, seeding, restricted keys, webhook delivery) and OAuth consent pages
use plain HTTP, through `RunningEmulator` helpers: stripe-python has no method for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from emulators.stripe.testing import RunningEmulator, serve


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    with serve() as running:
        yield running


@pytest.fixture
def client(emu: RunningEmulator) -> stripe.StripeClient:
    return emu.client()


def pay(
    client: stripe.StripeClient,
    amount: int = 2500,
    currency: str = "usd",
    card: str = "pm_card_visa",
    options: dict[str, Any] | None = None,
) -> Any:
    """A confirmed PaymentIntent; returns its charge with the balance transaction expanded."""
    pi = client.v1.payment_intents.create(
        {"amount": amount, "currency": currency, "payment_method": card, "confirm": True},
        options or {},
    )
    return client.v1.charges.retrieve(
        pi.latest_charge, {"expand": ["balance_transaction"]}, options or {}
    )
