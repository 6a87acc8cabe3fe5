from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None


class CompanyInfo(BaseModel):
    company_name: str
    country: str = ""


class Preferences(BaseModel):
    home_currency: str
    multicurrency_enabled: bool
    custom_txn_numbers: bool
    books_closed_on: date | None
