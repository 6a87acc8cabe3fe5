from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


class ConnectGrant(BaseModel):
    """What Stripe Connect's token endpoint tells us about the account that said yes."""

    stripe_user_id: str
    livemode: bool
    scope: str = ""


class AppTokens(BaseModel):
    stripe_user_id: str
    livemode: bool
    access_token: str
    refresh_token: str
    # Stripe sends no expires_in; access tokens live about an hour.
    access_expires_at: datetime
    scope: str = ""


class KeyCheck(BaseModel):
    account_id: str
    display_name: str
    livemode: bool
    missing: list[str]


class FeeDetail(BaseModel):
    amount: int
    currency: str
    type: str
    description: str | None = None
    application: str | None = None


class StripeBalanceTransaction(BaseModel):
    """A balance transaction as we rely on it. Reference: https://docs.stripe.com/api/balance_transactions/object"""

    id: str
    type: str
    reporting_category: str
    amount: int
    fee: int
    net: int
    currency: str
    created: int
    available_on: int
    status: str
    exchange_rate: Decimal | None = None
    fee_details: list[FeeDetail] = []
    description: str | None = None
    source_id: str = ""
    source_type: str = ""
    # The expanded source object, kept whole for detail (customer, lines, metadata).
    source: dict[str, Any] | None = None
    raw: dict[str, Any]


class StripePayout(BaseModel):
    """Reference: https://docs.stripe.com/api/payouts/object"""

    id: str
    amount: int
    currency: str
    status: str
    automatic: bool
    arrival_date: int
    created: int
    method: str = "standard"
    balance_transaction: str | None = None
    failure_balance_transaction: str | None = None
    failure_code: str | None = None
    reconciliation_status: str | None = None
    raw: dict[str, Any]
