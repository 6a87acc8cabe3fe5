"""A realistic, seeded Stripe history for the demo and the tests.

Over `days` days from the current emulator clock: card sales (domestic, international and
converted), invoices with tax, partial and full refunds, a failed refund, disputes won and lost,
a top-up, standalone Stripe fees, a reserve hold and release, automatic daily payouts, a
failed payout, a payout that fails after being paid, and a manual payout. The same options
on a fresh store always give the same ids, amounts and times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from emulators.stripe import cards, ledger, shapes
from emulators.stripe.errors import StripeError
from emulators.stripe.store import DAY, PLATFORM_ACCOUNT, Store, next_midnight

FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Radia",
    "Tim",
    "Margaret",
    "Linus",
    "Katherine",
    "Dennis",
    "Hedy",
    "John",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Hamilton",
    "Torvalds",
    "Johnson",
    "Ritchie",
    "Lamarr",
]
PRODUCTS = [
    ("Starter plan", 1900),
    ("Pro plan", 4900),
    ("Consulting hour", 15000),
    ("Workshop ticket", 29900),
]
DOMESTIC_CARDS = ["pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_visa_debit"]
FOREIGN = ["gbp", "cad", "aud"]
INTERNATIONAL_CARDS = ["pm_card_gb", "pm_card_mx", "pm_card_de", "pm_card_fr"]


@dataclass
class Options:
    seed: int = 1
    days: int = 30
    customers: int = 12
    currencies: list[str] = field(default_factory=lambda: ["usd"])
    account: str = PLATFORM_ACCOUNT
    livemode: bool = False
    sales_per_day: tuple[int, int] = (2, 6)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Options:
        currencies = params.get("currencies") or "usd"
        if isinstance(currencies, str):
            currencies = [c.strip().lower() for c in currencies.split(",") if c.strip()]
        return cls(
            seed=int(params.get("seed", 1)),
            days=int(params.get("days", 30)),
            customers=int(params.get("customers", 12)),
            currencies=list(currencies),
            account=params.get("account") or PLATFORM_ACCOUNT,
            livemode=str(params.get("livemode", "false")).lower() == "true",
        )


class Scenario:
    def __init__(self, store: Store, options: Options) -> None:
        self.store = store
        self.options = options
        self.rng = random.Random(options.seed)
        self.book = ledger.Book(store, options.account, options.livemode)
        self.customers: list[dict[str, Any]] = []
        self.prices: list[dict[str, Any]] = []
        self.tax_rate: dict[str, Any] | None = None
        self.charges: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}

    def count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    # --- set-up ------------------------------------------------------------------------------

    def setup(self) -> None:
        acct = self.book.acct
        for currency in self.options.currencies:
            if currency not in acct["_settlement_currencies"]:
                acct["_settlement_currencies"].append(currency)
                bank = shapes.bank_account(
                    self.store,
                    acct["id"],
                    currency=currency,
                    account_number=cards.SUCCEEDING_ACCOUNT_NUMBER,
                    country=acct["country"],
                )
                acct["_bank_accounts"][bank["id"]] = bank
        for index in range(self.options.customers):
            first = FIRST_NAMES[index % len(FIRST_NAMES)]
            last = LAST_NAMES[(index * 7) % len(LAST_NAMES)]
            email = f"{first}.{last}{index}@example.com".lower()
            customer = shapes.customer(
                self.store,
                self.options.livemode,
                {"name": f"{first} {last}", "email": email, "metadata": {}},
            )
            self.book.put(customer)
            self.book.emit("customer.created", customer)
            self.customers.append(customer)
        for name, amount in PRODUCTS:
            product = self.book.put(
                shapes.product(self.store, self.options.livemode, {"name": name, "metadata": {}})
            )
            for currency in self.options.currencies:
                price = self.book.put(
                    shapes.price(
                        self.store,
                        self.options.livemode,
                        {
                            "product": product["id"],
                            "unit_amount": amount,
                            "currency": currency,
                            "metadata": {},
                        },
                    )
                )
                product["default_price"] = product["default_price"] or price["id"]
                self.prices.append(price)
        self.tax_rate = self.book.put(
            shapes.tax_rate(
                self.store,
                self.options.livemode,
                {
                    "display_name": "Sales tax",
                    "percentage": 8.25,
                    "inclusive": "false",
                    "jurisdiction": "US - CA",
                    "country": "US",
                    "tax_type": "sales_tax",
                    "metadata": {},
                },
            )
        )

    # --- single operations -------------------------------------------------------------------

    def sale(self, card: str | None = None, currency: str | None = None) -> dict[str, Any] | None:
        rng = self.rng
        price = rng.choice(self.prices)
        if currency is None and rng.random() < 0.1:
            # A presentment currency the account does not settle in: converted, with FX fee.
            currency = next(c for c in FOREIGN if c not in self.options.currencies)
        currency = currency or price["currency"]
        quantity = rng.choice([1, 1, 1, 2, 3])
        card = card or rng.choice(DOMESTIC_CARDS * 4 + INTERNATIONAL_CARDS)
        customer = rng.choice(self.customers)
        pi = self.book.put(
            shapes.payment_intent(
                self.store,
                self.options.livemode,
                {
                    "amount": price["unit_amount"] * quantity,
                    "currency": currency,
                    "customer": customer["id"],
                    "description": f"{quantity} x price {price['id']}",
                    "metadata": {"price": price["id"]},
                },
            )
        )
        self.book.emit("payment_intent.created", pi)
        try:
            ledger.confirm_payment_intent(self.book, pi, card)
        except StripeError:
            self.count("declined")
            return None
        charge = self.book.get(pi["latest_charge"])
        assert charge is not None
        self.charges.append(charge)
        self.count("charges")
        return charge

    def invoice_sale(self) -> None:
        customer = self.rng.choice(self.customers)
        currency = self.options.currencies[0]
        invoice = shapes.invoice(
            self.store,
            self.options.livemode,
            customer,
            {"currency": currency, "metadata": {}},
            self.book.acct,
        )
        assert self.tax_rate is not None
        invoice["default_tax_rates"] = [self.tax_rate["id"]]
        self.book.put(invoice)
        self.book.emit("invoice.created", invoice)
        from emulators.stripe import resources  # resources imports this package's modules

        ctx = resources.Ctx(self.store, self.book, {}, "POST", "", "", {})
        for price in self.rng.sample([p for p in self.prices if p["currency"] == currency], 2):
            ctx.params = {
                "customer": customer["id"],
                "invoice": invoice["id"],
                "price": price["id"],
                "quantity": "1",
            }
            resources.invoice_item_create(ctx)
        ctx.params = {"payment_method": self.rng.choice(DOMESTIC_CARDS)}
        resources.invoice_pay(ctx, invoice["id"])
        self.count("invoices")

    def maybe_refund(self) -> None:
        candidates = [c for c in self.charges if not c["refunded"] and not c["disputed"]]
        if not candidates or self.rng.random() > 0.35:
            return
        charge = self.rng.choice(candidates)
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = remaining if self.rng.random() < 0.5 else max(1, remaining // 2)
        ledger.create_refund(
            self.book, charge, amount, {"reason": "requested_by_customer", "metadata": {}}
        )
        self.count("refunds")

    def dispute(self, evidence: str) -> None:
        charge = self.sale(card="pm_card_createDispute")
        assert charge is not None
        dispute = next(
            d for d in self.store.objects(self.book.lk, "dispute") if d["charge"] == charge["id"]
        )
        ledger.submit_evidence(self.book, dispute, {"uncategorized_text": evidence}, True)
        self.count("disputes")

    def failed_refund(self) -> None:
        charge = self.sale(card="pm_card_refundFail")
        assert charge is not None
        ledger.create_refund(self.book, charge, None, {"metadata": {}})
        self.count("failed_refunds")

    def failing_bank_for_tonight(self) -> dict[str, Any]:
        """Make tonight's automatic payout go to a bank account that rejects it."""
        acct = self.book.acct
        return shapes.add_default_bank_account(self.store, acct, "000111111116")

    def restore_bank(self) -> None:
        shapes.add_default_bank_account(self.store, self.book.acct)

    def manual_payout(self) -> None:
        currency = self.options.currencies[0]
        for _ in range(5):  # enough instantly available funds to pay some out by hand
            self.sale(card="pm_card_bypassPending", currency=currency)
        amount = min(ledger.available_amount(self.book, currency), 20000)
        if amount > 0:
            ledger.create_payout(
                self.book,
                amount=amount,
                currency=currency,
                automatic=False,
                description="Manual payout",
            )
            self.count("manual_payouts")

    # --- the timeline ------------------------------------------------------------------------

    def day(self, index: int) -> None:
        days = self.options.days
        low, high = self.options.sales_per_day
        start = self.store.now
        for _ in range(self.rng.randint(low, high)):
            self.advance_to(self.store.now + self.rng.randint(600, 7200))
            self.sale()
            self.maybe_refund()
        specials = {
            1: lambda: self.dispute(cards.DISPUTE_WINNING_EVIDENCE),
            2: self.failed_refund,
            3: lambda: self.dispute(cards.DISPUTE_LOSING_EVIDENCE),
            4: self.topup,
            5: self.invoice_sale,
            6: self.manual_payout,
            7: lambda: self.reserve(5000, "Reserve hold"),
            max(8, days // 2): self.failing_bank_for_tonight,
            max(9, days // 2 + 1): self.restore_bank,
            max(10, days - 3): lambda: self.reserve(-5000, "Reserve release"),
        }
        if index in specials:
            specials[index]()
        if index % 3 == 0:
            self.invoice_sale()
        if index % 7 == 6:
            self.fees()
        del start

    def topup(self) -> None:
        ledger.create_topup(
            self.book,
            {
                "amount": 50000,
                "currency": self.options.currencies[0],
                "description": "Top-up for refunds",
                "metadata": {},
            },
        )
        self.count("topups")

    def reserve(self, amount: int, description: str) -> None:
        ledger.reserve(self.book, amount, self.options.currencies[0], description)
        self.count("reserves")

    def fees(self) -> None:
        currency = self.options.currencies[0]
        ledger.stripe_fee(
            self.book, 1250 + self.rng.randint(0, 800), currency, "Billing - Usage Fee"
        )
        ledger.stripe_fee(
            self.book, 200 + self.rng.randint(0, 300), currency, "Radar for Fraud Teams"
        )
        self.count("fees")

    def advance_to(self, timestamp: int) -> None:
        ledger.advance(self.store, timestamp)

    def fail_a_paid_payout(self) -> None:
        paid = [
            p
            for p in self.store.objects(self.book.lk, "payout")
            if p["status"] == "paid" and p["automatic"]
        ]
        if paid:
            ledger.fail_payout(self.book, paid[len(paid) // 2], "account_closed")
            self.count("payouts_failed_after_paid")

    def run(self) -> dict[str, Any]:
        self.setup()
        for index in range(self.options.days):
            midnight = next_midnight(self.store.now)
            self.day(index)
            self.advance_to(max(midnight, self.store.now))
            if index == self.options.days - 2:
                self.fail_a_paid_payout()
        self.advance_to(next_midnight(self.store.now) + DAY)
        payouts = list(self.store.objects(self.book.lk, "payout"))
        self.counts["payouts"] = len(payouts)
        self.counts["failed_payouts"] = sum(1 for p in payouts if p["status"] == "failed")
        return {
            "account": self.options.account,
            "livemode": self.options.livemode,
            "now": self.store.now,
            "counts": self.counts,
        }


def generate(store: Store, options: Options) -> dict[str, Any]:
    with store.lock:
        if store.account(options.account) is None:
            store.add_account(options.account, platform=PLATFORM_ACCOUNT, name="Seeded account")
        return Scenario(store, options).run()
