"""Stripe's test-mode payment methods and bank account numbers, with the behaviour each one
triggers (https://docs.stripe.com/testing).

A script written for Stripe test mode passes these same ids (`pm_card_visa`,
`pm_card_chargeDeclined`, …) and gets the same outcomes here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    brand: str
    country: str
    last4: str
    funding: str = "credit"
    decline_code: str | None = None  # the charge fails with this decline code
    bypass_pending: bool = False  # funds are available at once
    dispute: str | None = None  # "fraudulent" dispute, or "inquiry" (moves no money)
    refund_fails: bool = False  # refunds succeed, then fail later


CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "US", "4242"),
    "pm_card_visa_debit": TestCard("visa", "US", "5556", funding="debit"),
    "pm_card_mastercard": TestCard("mastercard", "US", "4444"),
    "pm_card_amex": TestCard("amex", "US", "8431"),
    "pm_card_discover": TestCard("discover", "US", "1117"),
    "pm_card_us": TestCard("visa", "US", "4242"),
    "pm_card_gb": TestCard("visa", "GB", "0000"),
    "pm_card_de": TestCard("visa", "DE", "0016"),
    "pm_card_fr": TestCard("visa", "FR", "0003"),
    "pm_card_ca": TestCard("visa", "CA", "0000"),
    "pm_card_mx": TestCard("visa", "MX", "8001"),
    "pm_card_au": TestCard("visa", "AU", "0006"),
    "pm_card_jp": TestCard("visa", "JP", "0003"),
    "pm_card_chargeDeclined": TestCard("visa", "US", "0002", decline_code="generic_decline"),
    "pm_card_visa_chargeDeclined": TestCard("visa", "US", "0002", decline_code="generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "US", "9995", decline_code="insufficient_funds"
    ),
    "pm_card_bypassPending": TestCard("visa", "US", "0077", bypass_pending=True),
    "pm_card_bypassPendingInternational": TestCard("visa", "GB", "0278", bypass_pending=True),
    "pm_card_createDispute": TestCard("visa", "US", "0259", dispute="fraudulent"),
    "pm_card_createDisputeInquiry": TestCard("visa", "US", "1976", dispute="inquiry"),
    "pm_card_refundFail": TestCard("visa", "US", "5126", refund_fails=True),
}

# Legacy tokens accepted as `source` on charges.create.
TOKENS = {
    "tok_visa": "pm_card_visa",
    "tok_mastercard": "pm_card_mastercard",
    "tok_chargeDeclined": "pm_card_chargeDeclined",
    "tok_bypassPending": "pm_card_bypassPending",
    "tok_createDispute": "pm_card_createDispute",
    "tok_refundFail": "pm_card_refundFail",
    "tok_gb": "pm_card_gb",
    "tok_mx": "pm_card_mx",
}

TEST_ROUTING_NUMBER = "110000000"
SUCCEEDING_ACCOUNT_NUMBER = "000123456789"

# https://docs.stripe.com/connect/testing#payouts: account number → payout failure code.
FAILING_ACCOUNT_NUMBERS = {
    "000111111116": "no_account",
    "000111111113": "account_closed",
    "000222222227": "insufficient_funds",
    "000333333335": "debit_not_authorized",
    "000444444440": "invalid_currency",
}

FAILURE_MESSAGES = {
    "no_account": "The bank account details on file are probably incorrect. No bank account "
    "could be located with those details.",
    "account_closed": "The bank account has been closed.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "debit_not_authorized": "Debit transactions are not approved on the bank account.",
    "invalid_currency": "The bank was unable to process this payout because of its currency.",
    "could_not_process": "The bank could not process this payout.",
}

DISPUTE_WINNING_EVIDENCE = "winning_evidence"
DISPUTE_LOSING_EVIDENCE = "losing_evidence"
