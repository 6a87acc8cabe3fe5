from __future__ import annotations

from datetime import datetime

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
