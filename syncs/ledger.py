"""The immutable records the planner consumes: one Stripe balance transaction, one payout.

They are built by ingest from Stripe objects (docs/stripe-api.md §4) and never hold a Django
model or a raw Stripe dict. Each field names its Stripe origin. Construction checks the few
invariants the planner relies on (net = amount − fee, aware datetimes, one currency), so a bad
row fails at ingest, not halfway through a posting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from syncs.money import Money


@dataclass(frozen=True, slots=True)
class FeeDetail:
    """One entry of `balance_transaction.fee_details[]`."""

    type: str  # `fee_details[].type`: stripe_fee, application_fee, tax, withheld_tax, …
    amount: int  # `fee_details[].amount`, minor units; negative when Stripe refunds a fee
    description: str = ""  # `fee_details[].description`, e.g. "Dispute fee"
    application: str | None = None  # `fee_details[].application` (ca_…) for application fees


@dataclass(frozen=True, slots=True)
class LineItem:
    """One sold line: from `invoice.lines` (or Checkout line items) of the charge's invoice.

    Amounts are in the *presentment* currency of the source object, which the planner only uses
    when it equals the settlement currency.
    """

    description: str  # `line.description`
    amount: int  # `line.amount`, minor units, after discounts
    quantity: int = 1  # `line.quantity`
    product_id: str | None = None  # `line.price.product` (prod_…)


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    """Who paid: the charge's `customer` (cus_…) expanded, or `billing_details` for guests."""

    stripe_id: str | None  # `charge.customer`; None for a guest charge
    name: str = ""  # `customer.name` or `charge.billing_details.name`
    email: str = ""  # `customer.email` or `charge.billing_details.email`


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(sorted(mapping.items())))


@dataclass(frozen=True, slots=True)
class LedgerTxn:
    """One balance transaction (`txn_…`), plus the few source-object details we post with."""

    id: str  # `balance_transaction.id` (txn_…)
    type: str  # `balance_transaction.type` (charge, refund, adjustment, payout, stripe_fee, …)
    reporting_category: str  # `balance_transaction.reporting_category`: what we classify by
    amount: int  # `balance_transaction.amount`: gross, settlement currency, minor units
    fee: int  # `balance_transaction.fee`: positive when assessed, negative when refunded
    net: int  # `balance_transaction.net` = amount − fee
    currency: str  # `balance_transaction.currency`: the settlement (balance) currency
    created: datetime  # `balance_transaction.created` (Unix seconds → aware UTC datetime)
    fee_details: tuple[FeeDetail, ...] = ()  # `balance_transaction.fee_details[]`
    source_id: str | None = None  # `balance_transaction.source` (ch_, re_, dp_, po_, tr_, …)
    source_type: str | None = None  # the source's `object` (charge, refund, dispute, payout, …)
    exchange_rate: Decimal | None = None  # `balance_transaction.exchange_rate`
    description: str = ""  # `balance_transaction.description`, else the source's
    metadata: Mapping[str, str] = field(default_factory=dict)  # the source object's `metadata`
    customer: CustomerInfo | None = None  # see CustomerInfo
    line_items: tuple[LineItem, ...] = ()  # see LineItem; empty when there is no invoice
    presentment_amount: int | None = None  # `charge.amount` (or refund/dispute `amount`)
    presentment_currency: str | None = None  # `charge.currency`: what the customer saw
    charge_id: str | None = None  # `refund.charge` / `dispute.charge`: the original sale
    invoice_id: str | None = None  # the invoice paid by the charge (via InvoicePayment)
    # Sales tax collected: sum of `invoice.total_taxes[].amount`, included in `amount`; only
    # set when the invoice is in the settlement currency (0 otherwise, or when there is none).
    tax_amount: int = 0

    def __post_init__(self) -> None:
        for name in ("amount", "fee", "net", "tax_amount"):
            if type(getattr(self, name)) is not int:
                raise TypeError(f"LedgerTxn.{name} must be an int")
        if self.net != self.amount - self.fee:
            raise ValueError(f"{self.id}: net {self.net} != amount {self.amount} - fee {self.fee}")
        if self.created.tzinfo is None or self.created.utcoffset() is None:
            raise ValueError(f"{self.id}: created must be an aware datetime")
        Money(0, self.currency)  # validates the code
        if (self.presentment_amount is None) != (self.presentment_currency is None):
            raise ValueError(f"{self.id}: presentment amount and currency go together")
        object.__setattr__(self, "metadata", _frozen(self.metadata))
        object.__setattr__(self, "fee_details", tuple(self.fee_details))
        object.__setattr__(self, "line_items", tuple(self.line_items))

    @property
    def gross(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def fee_money(self) -> Money:
        return Money(self.fee, self.currency)

    @property
    def net_money(self) -> Money:
        return Money(self.net, self.currency)

    @property
    def presentment(self) -> Money | None:
        if self.presentment_amount is None or self.presentment_currency is None:
            return None
        return Money(self.presentment_amount, self.presentment_currency)


class PayoutStatus(StrEnum):
    """`payout.status`."""

    PENDING = "pending"
    IN_TRANSIT = "in_transit"
    PAID = "paid"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class PayoutInfo:
    """A payout (`po_…`), as needed to post its balance transactions."""

    id: str  # `payout.id`
    amount: int  # `payout.amount`: positive, minor units
    currency: str  # `payout.currency`
    status: PayoutStatus  # `payout.status`
    automatic: bool  # `payout.automatic`: false for manual and instant payouts
    # `payout.arrival_date` is a Unix timestamp for midnight UTC of the bank's value date; ingest
    # turns it into that UTC calendar date so no time zone can shift it a day.
    arrival_date: date
    # Whether the payout ever reached `paid`: from `payout.paid` events, or `status == paid` when
    # first seen. Stripe can move a payout from paid to failed (docs/stripe-api.md §4.2); only a
    # payout that was paid was ever transferred in QBO, so only it is reversed.
    was_paid: bool = False
    method: str = "standard"  # `payout.method`: standard or instant
    balance_transaction_id: str | None = None  # `payout.balance_transaction`
    failure_balance_transaction_id: str | None = None  # `payout.failure_balance_transaction`
    failure_code: str | None = None  # `payout.failure_code`
    failure_message: str | None = None  # `payout.failure_message`
    reconciliation_status: str = "not_applicable"  # `payout.reconciliation_status`
    destination: str | None = None  # `payout.destination` (ba_… / card_…)

    def __post_init__(self) -> None:
        if type(self.amount) is not int:
            raise TypeError("PayoutInfo.amount must be an int")
        Money(0, self.currency)
        object.__setattr__(self, "status", PayoutStatus(self.status))

    @property
    def transferred(self) -> bool:
        """Whether the money left the clearing account in QBO terms (it was paid at some point)."""
        return self.was_paid or self.status == PayoutStatus.PAID
