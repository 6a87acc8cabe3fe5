"""Customer matching in per-transaction mode (docs/accounting.md §5, §7) against the QuickBooks
emulator: link table, email, unique names on 6240, one customer per currency, guests, customers
deleted or made inactive in QuickBooks, reads per charge, and exactly once across crashes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from connections.models import Connection
from connections.providers.quickbooks import client as qbo_client
from connections.services import quickbooks_call, quickbooks_refresh_company_facts
from emulators.quickbooks.testing import RunningEmulator
from mappings.defaults import CustomerPolicy
from mappings.models import SyncProfile
from syncs import customers, plan, poster, setup
from syncs.models import BalanceTransaction, CustomerLink, OutboxDocument, SourceObject
from syncs.throttle import Throttle
from tests.conftest import World
from tests.emulator_fixtures import connect_quickbooks
from tests.factories import ConnectionFactory
from tests.qbo_schema import assert_valid_qbo

pytestmark = pytest.mark.django_db

NO_WAIT = Throttle(limits={"request": 10_000, "batch": 10_000})
START = datetime(2026, 11, 2, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_email_index() -> Iterator[None]:
    customers.email_index_clear()
    yield
    customers.email_index_clear()


@pytest.fixture
def company(world: World, qbo: RunningEmulator) -> Connection:
    client = world.client_for(world.alice)
    assert client.get(connect_quickbooks(client, world.alice_tenant.slug)).status_code == 302
    found = Connection.objects.filter(provider="quickbooks", tenant=world.alice_tenant).latest("pk")
    qbo.company(found.external_id).preferences["CurrencyPrefs"]["MultiCurrencyEnabled"] = True
    quickbooks_refresh_company_facts(connection_id=found.pk)
    found.refresh_from_db()
    return found


@pytest.fixture
def profile(
    world: World, company: Connection, qbo: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> SyncProfile:
    stripe = ConnectionFactory(tenant=world.alice_tenant, method="stripe_key")
    made = SyncProfile.objects.create(
        tenant=world.alice_tenant,
        stripe=stripe,
        quickbooks=company,
        customer_policy=CustomerPolicy.MATCH,
    )
    # The settlement currencies come from Stripe's balance in production; fixed here.
    monkeypatch.setattr(setup, "_currencies", lambda profile: ["eur", "usd"])
    report = setup.profile_autosetup(profile=made)
    assert not report.problems, report.problems
    return made


class Ledger:
    """Balance transactions, their charges and the Stripe customers, as ingest stores them."""

    def __init__(self, profile: SyncProfile) -> None:
        self.profile = profile
        self.count = 0

    def customer(self, stripe_id: str, name: str, email: str) -> None:
        SourceObject.objects.create(
            tenant=self.profile.tenant,
            connection=self.profile.stripe,
            stripe_id=stripe_id,
            object_type="customer",
            customer_id=stripe_id,
            raw={"id": stripe_id, "object": "customer", "name": name, "email": email},
        )

    def _row(self, category: str, amount: int, fee: int, currency: str, source: str) -> str:
        self.count += 1
        txn_id = f"txn_{self.count:04d}"
        BalanceTransaction.objects.create(
            tenant=self.profile.tenant,
            connection=self.profile.stripe,
            stripe_id=txn_id,
            type=category,
            reporting_category=category,
            amount=amount,
            fee=fee,
            net=amount - fee,
            currency=currency,
            fee_details=[{"type": "stripe_fee", "amount": fee}] if fee else [],
            status="available",
            created=START + timedelta(minutes=self.count),
            available_on=START + timedelta(days=2),
            source_id=source,
            source_type="charge" if category == "charge" else "refund",
            raw={"id": txn_id},
        )
        return txn_id

    def charge(self, customer: str | None, amount: int = 1000, currency: str = "usd") -> str:
        charge_id = f"ch_{self.count + 1:04d}"
        raw = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "currency": currency,
            "customer": customer,
            "balance_transaction": f"txn_{self.count + 1:04d}",
            "billing_details": {"name": None, "email": None},
            "metadata": {},
        }
        SourceObject.objects.create(
            tenant=self.profile.tenant,
            connection=self.profile.stripe,
            stripe_id=charge_id,
            object_type="charge",
            customer_id=customer or "",
            raw=raw,
        )
        return self._row("charge", amount, 59, currency, charge_id)

    def refund(self, txn_id: str, amount: int) -> str:
        row = BalanceTransaction.objects.get(stripe_id=txn_id)
        refund_id = f"re_{self.count + 1:04d}"
        SourceObject.objects.create(
            tenant=self.profile.tenant,
            connection=self.profile.stripe,
            stripe_id=refund_id,
            object_type="refund",
            raw={
                "id": refund_id,
                "object": "refund",
                "amount": amount,
                "currency": row.currency,
                "charge": row.source_id,
            },
        )
        return self._row("refund", -amount, 0, row.currency, refund_id)


@pytest.fixture
def ledger(profile: SyncProfile) -> Ledger:
    return Ledger(profile)


def _books(qbo: RunningEmulator, company: Connection) -> Any:
    return qbo.company(company.external_id)


def _qbo_customer(
    qbo: RunningEmulator, company: Connection, name: str, email: str = "", currency: str = ""
) -> str:
    payload: dict[str, Any] = {"DisplayName": name}
    if email:
        payload["PrimaryEmailAddr"] = {"Address": email}
    if currency:
        payload["CurrencyRef"] = {"value": currency}
    return str(qbo.app.api.post(_books(qbo, company), "Customer", payload, {})["Id"])


def _sync(profile: SyncProfile) -> plan.PlanReport:
    report = plan.outbox_plan(profile=profile)
    for _ in range(5):
        OutboxDocument.objects.update(next_attempt_at=timezone.now())
        poster.outbox_post(quickbooks_id=profile.quickbooks_id, throttle=NO_WAIT)
    return report


def _receipt(qbo: RunningEmulator, company: Connection, txn_id: str, role: str = "sale") -> Any:
    row = OutboxDocument.objects.get(key__contains=f":{txn_id}:{role}:")
    assert row.status == "posted", (row.status, row.last_error)
    entity = "SalesReceipt" if role == "sale" else "RefundReceipt"
    return _books(qbo, company).get(entity, row.qbo_id)


def _customer_names(qbo: RunningEmulator, company: Connection) -> Counter[str]:
    return Counter(c["DisplayName"] for c in _books(qbo, company).all("Customer"))


def _reads(qbo: RunningEmulator) -> int:
    calls = qbo.app.log.by_endpoint
    return sum(calls.get(k, 0) for k in ("query", "read"))


def _set_policy(profile: SyncProfile, policy: CustomerPolicy) -> None:
    SyncProfile.objects.filter(pk=profile.pk).update(customer_policy=policy)
    profile.refresh_from_db()


# ---- the rules of §5 --------------------------------------------------------------------------


def test_a_linked_customer_is_used_with_no_read_and_no_create(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    jane = _qbo_customer(qbo, company, "Jane Doe (VIP)", "jane@example.com")
    CustomerLink.objects.create(
        tenant=profile.tenant,
        quickbooks=company,
        stripe_customer_id="cus_jane",
        currency="usd",
        qbo_id=jane,
        qbo_name="Jane Doe (VIP)",
        matched_by="email",
    )
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")
    customers_before, reads_before = len(_books(qbo, company).all("Customer")), _reads(qbo)

    _sync(profile)

    assert _receipt(qbo, company, sale)["CustomerRef"]["value"] == jane
    assert _reads(qbo) == reads_before
    assert len(_books(qbo, company).all("Customer")) == customers_before
    assert not OutboxDocument.objects.filter(role="customer").exists()


def test_match_by_email_links_the_customer_with_that_email_and_currency(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    _set_policy(profile, CustomerPolicy.MATCH_BY_EMAIL)
    _qbo_customer(qbo, company, "J. Doe in euros", "Jane@Example.com", currency="EUR")
    jane = _qbo_customer(qbo, company, "J. Doe", "Jane@Example.com")
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")

    _sync(profile)

    assert _receipt(qbo, company, sale)["CustomerRef"]["value"] == jane
    link = CustomerLink.objects.get(stripe_customer_id="cus_jane")
    assert (link.qbo_id, link.matched_by, link.currency) == (jane, "email", "usd")
    assert "Jane Doe" not in _customer_names(qbo, company)


def test_match_without_email_creates_a_customer_and_reads_nothing(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    jane = _qbo_customer(qbo, company, "J. Doe", "jane@example.com")
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")
    reads_before = _reads(qbo)

    _sync(profile)

    receipt = _receipt(qbo, company, sale)
    assert receipt["CustomerRef"]["value"] != jane
    created = _books(qbo, company).get("Customer", receipt["CustomerRef"]["value"])
    assert created["DisplayName"] == "Jane Doe"
    assert created["PrimaryEmailAddr"]["Address"] == "jane@example.com"
    assert _reads(qbo) == reads_before
    link = CustomerLink.objects.get(stripe_customer_id="cus_jane")
    assert (link.qbo_id, link.qbo_name, link.matched_by) == (created["Id"], "Jane Doe", "created")


def test_a_taken_name_falls_back_to_name_and_email_then_the_stripe_id(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    # Another Jane Doe (a different person), and a vendor holding the next name: customers,
    # vendors and employees share one namespace (6240).
    _qbo_customer(qbo, company, "Jane Doe", "other.jane@example.com")
    qbo.app.api.post(
        _books(qbo, company), "Vendor", {"DisplayName": "Jane Doe (jane@example.com)"}, {}
    )
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")

    _sync(profile)

    receipt = _receipt(qbo, company, sale)
    created = _books(qbo, company).get("Customer", receipt["CustomerRef"]["value"])
    assert created["DisplayName"] == "Jane Doe (cus_jane)"
    assert _customer_names(qbo, company)["Jane Doe"] == 1
    row = OutboxDocument.objects.get(role="customer")
    assert_valid_qbo("Customer", row.payload)
    assert row.status == "posted" and row.payload["DisplayName"] == "Jane Doe (cus_jane)"


def test_every_name_taken_needs_a_person_and_the_sale_waits(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    for name in ("Jane Doe", "Jane Doe (jane@example.com)", "Jane Doe (cus_jane)"):
        _qbo_customer(qbo, company, name)
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")

    report = _sync(profile)

    row = OutboxDocument.objects.get(role="customer")
    assert row.status == "needs_action"
    assert "every other name" in row.last_error
    assert not OutboxDocument.objects.filter(key__contains=f":{sale}:").exists()
    assert any("could not be created" in problem for problem in report.needs_action)


def test_an_ignored_customer_create_sends_its_sales_to_the_guest_customer(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    for name in ("Jane Doe", "Jane Doe (jane@example.com)", "Jane Doe (cus_jane)"):
        _qbo_customer(qbo, company, name)
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")
    _sync(profile)
    # A person decides not to create her (the error inbox's "ignore").
    OutboxDocument.objects.filter(role="customer").update(status="ignored")

    report = _sync(profile)

    customer = _receipt(qbo, company, sale)["CustomerRef"]["value"]
    assert _books(qbo, company).get("Customer", customer)["DisplayName"] == "Stripe Customer"
    assert not report.waiting and not report.needs_action


def test_a_customer_create_shows_on_the_document_pages(
    world: World, profile: SyncProfile, ledger: Ledger
) -> None:
    from django.urls import reverse

    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    ledger.charge("cus_jane")
    _sync(profile)
    row = OutboxDocument.objects.get(role="customer")
    client = world.client_for(world.alice)
    slug = world.alice_tenant.slug

    listing = client.get(reverse("syncs:documents", args=[slug]))
    detail = client.get(reverse("syncs:document_detail", args=[slug, row.pk]))

    assert listing.status_code == 200 and detail.status_code == 200
    assert "Jane Doe" in detail.content.decode()


def test_a_customer_paying_in_two_currencies_gets_one_customer_per_currency(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    in_usd = ledger.charge("cus_jane", 1000, "usd")
    in_eur = ledger.charge("cus_jane", 2000, "eur")
    again_in_eur = ledger.charge("cus_jane", 3000, "eur")

    _sync(profile)

    books = _books(qbo, company)
    usd = books.get("Customer", _receipt(qbo, company, in_usd)["CustomerRef"]["value"])
    eur = books.get("Customer", _receipt(qbo, company, in_eur)["CustomerRef"]["value"])
    assert (usd["DisplayName"], usd["CurrencyRef"]["value"]) == ("Jane Doe", "USD")
    assert (eur["DisplayName"], eur["CurrencyRef"]["value"]) == ("Jane Doe (EUR)", "EUR")
    assert _receipt(qbo, company, again_in_eur)["CustomerRef"]["value"] == eur["Id"]
    assert sorted(CustomerLink.objects.values_list("currency", flat=True)) == ["eur", "usd"]
    for row in OutboxDocument.objects.filter(role="customer"):
        assert_valid_qbo("Customer", row.payload)


def test_a_refund_names_the_same_customer_as_its_sale(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane", 5000)
    refund = ledger.refund(sale, 2000)

    _sync(profile)

    sold_to = _receipt(qbo, company, sale)["CustomerRef"]["value"]
    assert _receipt(qbo, company, refund, "refund")["CustomerRef"]["value"] == sold_to
    assert _customer_names(qbo, company)["Jane Doe"] == 1


def test_a_refund_names_its_sales_customer_even_after_the_policy_changed(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    _set_policy(profile, CustomerPolicy.SINGLE)
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane", 5000)
    _sync(profile)
    guest = _receipt(qbo, company, sale)["CustomerRef"]["value"]

    _set_policy(profile, CustomerPolicy.MATCH)
    refund = ledger.refund(sale, 2000)
    other_sale = ledger.charge("cus_jane", 3000)
    _sync(profile)

    assert _receipt(qbo, company, refund, "refund")["CustomerRef"]["value"] == guest
    jane = _receipt(qbo, company, other_sale)["CustomerRef"]["value"]
    assert jane != guest and CustomerLink.objects.get().qbo_id == jane


@pytest.mark.parametrize("policy", [CustomerPolicy.MATCH, CustomerPolicy.SINGLE])
def test_guest_charges_and_the_single_policy_use_the_guest_customer(
    profile: SyncProfile,
    ledger: Ledger,
    qbo: RunningEmulator,
    company: Connection,
    policy: CustomerPolicy,
) -> None:
    _set_policy(profile, policy)
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    guest = ledger.charge(None)
    jane = ledger.charge("cus_jane")
    guest_eur = ledger.charge(None, 700, "eur")

    _sync(profile)

    books = _books(qbo, company)

    def named(txn_id: str) -> str:
        customer = _receipt(qbo, company, txn_id)["CustomerRef"]["value"]
        return str(books.get("Customer", customer)["DisplayName"])

    assert named(guest) == "Stripe Customer"
    assert named(guest_eur) == "Stripe Customer (EUR)"
    assert named(jane) == ("Jane Doe" if policy == CustomerPolicy.MATCH else "Stripe Customer")
    assert CustomerLink.objects.exists() == (policy == CustomerPolicy.MATCH)


# ---- customers renamed, made inactive or deleted in QuickBooks after sync (§7) ----------------


def test_a_customer_renamed_in_quickbooks_keeps_its_link(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    first = ledger.charge("cus_jane")
    _sync(profile)
    jane = _receipt(qbo, company, first)["CustomerRef"]["value"]
    books = _books(qbo, company)
    stored = books.get("Customer", jane)
    qbo.app.api.update(
        books,
        "Customer",
        {"Id": jane, "SyncToken": stored["SyncToken"], "sparse": True, "DisplayName": "Jane D."},
        False,
    )

    second = ledger.charge("cus_jane")
    _sync(profile)

    assert _receipt(qbo, company, second)["CustomerRef"]["value"] == jane
    assert len(books.all("Customer")) == len(set(_customer_names(qbo, company)))


@pytest.mark.parametrize("how", ["inactive", "deleted"])
def test_a_customer_gone_from_quickbooks_is_matched_again(
    profile: SyncProfile,
    ledger: Ledger,
    qbo: RunningEmulator,
    company: Connection,
    how: str,
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    first = ledger.charge("cus_jane")
    _sync(profile)
    old = _receipt(qbo, company, first)["CustomerRef"]["value"]
    books = _books(qbo, company)
    if how == "inactive":
        stored = books.get("Customer", old)
        qbo.app.api.update(
            books,
            "Customer",
            {"Id": old, "SyncToken": stored["SyncToken"], "sparse": True, "Active": False},
            False,
        )
    else:
        books.unput("Customer", old)

    second = ledger.charge("cus_jane")
    plan.outbox_plan(profile=profile)
    poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    refused = OutboxDocument.objects.get(key__contains=f":{second}:sale:")
    refused_request = refused.request_id
    # Detected: QuickBooks refused the receipt (610 inactive / 2500 missing); the link is gone.
    assert (refused.status, refused.rematch) == ("needs_action", True)
    assert "deleted or made inactive" in refused.last_error
    assert not CustomerLink.objects.filter(qbo_id=old).exists()
    # Someone retries it by hand before the next sync: refused again, still to be matched again.
    OutboxDocument.objects.filter(pk=refused.pk).update(status="planned")
    poster.outbox_post(quickbooks_id=company.pk, throttle=NO_WAIT)
    refused.refresh_from_db()
    assert (refused.status, refused.rematch) == ("needs_action", True)
    assert "deleted or made inactive" in refused.last_error

    _sync(profile)  # the next sync matches the Stripe customer again

    receipt = _receipt(qbo, company, second)
    new = books.get("Customer", receipt["CustomerRef"]["value"])
    assert new["Id"] != old and new.get("Active") is not False
    # The inactive customer still holds "Jane Doe"; the deleted one freed it.
    assert new["DisplayName"] == (
        "Jane Doe (jane@example.com)" if how == "inactive" else "Jane Doe"
    )
    assert CustomerLink.objects.get(stripe_customer_id="cus_jane").qbo_id == new["Id"]
    # The refused row itself was planned again (no second row), under a new requestid so that
    # QuickBooks cannot replay its refusal.
    assert OutboxDocument.objects.filter(key__contains=f":{second}:sale:").count() == 1
    refused.refresh_from_db()
    assert refused.request_id != refused_request and not refused.rematch


def test_the_guest_customer_made_inactive_needs_a_person(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    guest = ledger.charge(None)
    books = _books(qbo, company)
    stripe_customer = next(
        c for c in books.all("Customer") if c["DisplayName"] == "Stripe Customer"
    )
    qbo.app.api.update(
        books,
        "Customer",
        {
            "Id": stripe_customer["Id"],
            "SyncToken": stripe_customer["SyncToken"],
            "sparse": True,
            "Active": False,
        },
        False,
    )

    _sync(profile)

    row = OutboxDocument.objects.get(key__contains=f":{guest}:sale:")
    assert (row.status, row.rematch) == ("needs_action", False)
    assert "Make it active again" in row.last_error


def test_sales_wait_when_the_customer_list_cannot_be_read(
    profile: SyncProfile,
    ledger: Ledger,
    qbo: RunningEmulator,
    company: Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from connections.providers.errors import ProviderError

    _set_policy(profile, CustomerPolicy.MATCH_BY_EMAIL)
    jane = _qbo_customer(qbo, company, "J. Doe", "jane@example.com")
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    ledger.customer("cus_bob", "Bob", "")
    sale = ledger.charge("cus_jane")
    bobs = ledger.charge("cus_bob")
    guest = ledger.charge(None)

    def unreachable(company: Connection) -> Any:
        raise ProviderError("QuickBooks is unreachable", permanent=False)

    with monkeypatch.context() as patched:
        patched.setattr(customers, "_email_index", unreachable)
        report = _sync(profile)

    # No customer is created for Jane (QuickBooks may have her); the rest posts.
    assert any(sale in w and "by email" in w for w in report.waiting)
    assert not OutboxDocument.objects.filter(key__contains=f":{sale}:").exists()
    assert _receipt(qbo, company, bobs) and _receipt(qbo, company, guest)
    assert "Jane Doe" not in _customer_names(qbo, company)

    _sync(profile)  # QuickBooks answers again
    assert _receipt(qbo, company, sale)["CustomerRef"]["value"] == jane


def test_sales_wait_while_another_poster_holds_the_company(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")
    assert poster.lease_acquire(quickbooks_id=company.pk, holder="another worker")

    report = plan.outbox_plan(profile=profile)

    assert any(sale in w and "to be created" in w for w in report.waiting)
    assert OutboxDocument.objects.get(role="customer").status == "planned"
    assert not OutboxDocument.objects.filter(key__contains=f":{sale}:").exists()

    poster.lease_release(quickbooks_id=company.pk, holder="another worker")
    _sync(profile)
    assert _customer_names(qbo, company)["Jane Doe"] == 1
    assert _receipt(qbo, company, sale)["CustomerRef"]["value"] == CustomerLink.objects.get().qbo_id


# ---- cost: reads per charge ----------------------------------------------------------------


def test_email_matching_reads_the_customer_list_once_not_per_charge(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    _set_policy(profile, CustomerPolicy.MATCH_BY_EMAIL)
    for n in range(4):
        _qbo_customer(qbo, company, f"Known {n}", f"known{n}@example.com")
    for n in range(12):
        who = "known" if n < 4 else "new"
        ledger.customer(f"cus_{n:02d}", f"Person {n}", f"{who}{n}@example.com")
    for n in range(60):
        ledger.charge(f"cus_{n % 12:02d}", 1000 + n)
    reads_before = _reads(qbo)

    _sync(profile)

    assert _reads(qbo) - reads_before == 1  # the email index: one page of customers
    assert CustomerLink.objects.filter(matched_by="email").count() == 4
    assert CustomerLink.objects.filter(matched_by="created").count() == 8
    assert set(OutboxDocument.objects.values_list("status", flat=True)) == {"posted"}

    # Steady state: more charges of known customers read nothing at all.
    for n in range(30):
        ledger.charge(f"cus_{n % 12:02d}", 5000 + n)
    customers.email_index_clear()  # even with a cold cache
    reads_before = _reads(qbo)
    _sync(profile)
    assert _reads(qbo) == reads_before
    assert set(OutboxDocument.objects.values_list("status", flat=True)) == {"posted"}


# ---- exactly once ------------------------------------------------------------------------------


def test_a_crash_after_the_customer_create_adopts_it_on_the_next_run(
    profile: SyncProfile,
    ledger: Ledger,
    qbo: RunningEmulator,
    company: Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")

    class Crash(Exception):
        pass

    def send_then_die(**kwargs: Any) -> None:
        # QuickBooks creates the customer, the worker dies before recording anything.
        rows = poster._claim_batch(company.pk, ("customer",))
        items = [
            qbo_client.BatchCreate(bid=str(i), entity=r.entity, body=r.body)
            for i, r in enumerate(rows)
        ]
        quickbooks_call(
            connection_id=company.pk,
            call=lambda t, r: qbo_client.batch(t, r, request_id=rows[0].batch_id, items=items),
        )
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(poster, "outbox_post", send_then_die)
        with pytest.raises(Crash):
            plan.outbox_plan(profile=profile)
    assert _customer_names(qbo, company)["Jane Doe"] == 1
    assert OutboxDocument.objects.get(role="customer").status == "sending"
    assert CustomerLink.objects.get().qbo_id == ""

    _sync(profile)

    assert _customer_names(qbo, company)["Jane Doe"] == 1
    link = CustomerLink.objects.get()
    assert _receipt(qbo, company, sale)["CustomerRef"]["value"] == link.qbo_id != ""


def test_a_lost_answer_to_the_customer_create_never_makes_a_second_customer(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    sale = ledger.charge("cus_jane")
    qbo.switches.lose_next = 1  # QuickBooks creates the customer, the answer never arrives

    _sync(profile)

    assert _customer_names(qbo, company)["Jane Doe"] == 1
    assert _receipt(qbo, company, sale)["CustomerRef"]["value"] == CustomerLink.objects.get().qbo_id


def test_a_crash_between_the_posted_customer_and_its_link_is_repaired(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    ledger.charge("cus_jane")
    _sync(profile)
    link = CustomerLink.objects.get()
    created = link.qbo_id
    CustomerLink.objects.update(qbo_id="", qbo_name="")  # the link write was lost

    later = ledger.charge("cus_jane")
    _sync(profile)

    assert CustomerLink.objects.get().qbo_id == created
    assert _receipt(qbo, company, later)["CustomerRef"]["value"] == created
    assert _customer_names(qbo, company)["Jane Doe"] == 1


def test_planning_twice_creates_nothing_more(
    profile: SyncProfile, ledger: Ledger, qbo: RunningEmulator, company: Connection
) -> None:
    ledger.customer("cus_jane", "Jane Doe", "jane@example.com")
    ledger.charge("cus_jane")
    _sync(profile)
    rows, people = OutboxDocument.objects.count(), len(_books(qbo, company).all("Customer"))
    calls = dict(qbo.app.log.by_endpoint)

    again = _sync(profile)

    assert again.planned == 0
    assert OutboxDocument.objects.count() == rows
    assert len(_books(qbo, company).all("Customer")) == people
    assert dict(qbo.app.log.by_endpoint) == calls


# ---- end to end: seeded Stripe history in two currencies, matched by email -------------------


@pytest.fixture
def two_currency_history() -> Iterator[Any]:
    from django.test import override_settings

    from emulators.stripe import testing as stripe_testing

    with stripe_testing.serve() as emulator:
        emulator.seed(seed=11, days=20, customers=10, currencies="usd,eur")
        with override_settings(STRIPE_API_BASE=emulator.url, STRIPE_CONNECT_BASE=emulator.url):
            yield emulator


@pytest.mark.slow
def test_a_seeded_history_matched_by_email_posts_once_and_ties_out(
    world: World,
    company: Connection,
    qbo: RunningEmulator,
    two_currency_history: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emulators.stripe import store as stripe_store
    from emulators.stripe import testing as stripe_testing
    from syncs import services
    from syncs.models import SyncRun

    stripe = ConnectionFactory(
        tenant=world.alice_tenant,
        method="stripe_key",
        external_id=stripe_store.PLATFORM_ACCOUNT,
        api_key=stripe_testing.READONLY_KEY,
    )
    profile = SyncProfile.objects.create(
        tenant=world.alice_tenant,
        stripe=stripe,
        quickbooks=company,
        customer_policy=CustomerPolicy.MATCH_BY_EMAIL,
    )
    assert not setup.profile_autosetup(profile=profile).problems
    seeded = two_currency_history.client().v1.customers.list({"limit": 100}).data
    known = seeded[0]
    already = _qbo_customer(qbo, company, "Bookkeeper's own record", known.email)

    statements: list[str] = []
    query = qbo_client.query

    def spy(token: str, realm: str, statement: str) -> Any:
        statements.append(statement)
        return query(token, realm, statement)

    monkeypatch.setattr(qbo_client, "query", spy)

    def backfill() -> SyncRun:
        run = services.sync_run_request(
            connection=stripe,
            kind=SyncRun.Kind.BACKFILL,
            trigger=SyncRun.Trigger.USER,
            start=datetime.fromtimestamp(stripe_store.DEFAULT_START, tz=UTC),
            end=datetime.fromtimestamp(two_currency_history.store.now + 1, tz=UTC),
        )
        services.sync_run_claim(run_id=run.pk)
        services.sync_run_execute(run_id=run.pk)
        run.refresh_from_db()
        return run

    run = backfill()
    assert run.status == "succeeded" and run.documents_needing_action == 0, run.problems
    outbox = OutboxDocument.objects.exclude(role="setup")
    assert set(outbox.values_list("status", flat=True)) == {"posted"}
    assert off_tie_outs() == []
    # One read of the customer list for the email index, whatever the number of charges.
    assert sum("FROM Customer" in s for s in statements) == 1

    links = CustomerLink.objects.filter(quickbooks=company)
    assert links.filter(stripe_customer_id=known.id, currency="usd").get().qbo_id == already
    assert links.filter(matched_by="email").count() == 1
    assert links.filter(currency="eur").count() == len(seeded) == 10  # all paid in both
    assert all(
        name.endswith(" (EUR)")
        for name in links.filter(currency="eur").values_list("qbo_name", flat=True)
    )
    books = _books(qbo, company)
    people = books.all("Customer")
    # Exactly one QBO customer per (Stripe customer, currency), each in its currency.
    assert len(people) == len({c["DisplayName"] for c in people})
    for link in links:
        customer = books.get("Customer", link.qbo_id)
        assert customer["CurrencyRef"]["value"] == link.currency.upper()
    receipts = [
        r
        for entity in ("SalesReceipt", "RefundReceipt")
        for r in books.all(entity)
        if r["CustomerRef"]["value"] != ""
    ]
    named = {r["CustomerRef"]["value"] for r in receipts}
    assert set(links.values_list("qbo_id", flat=True)) <= named

    # Again: nothing new planned, posted, created or read.
    statements.clear()
    before = len(books.all("Customer"))
    again = backfill()
    assert again.documents_planned == 0 and again.documents_posted == 0
    assert len(books.all("Customer")) == before
    assert not any("FROM Customer" in s for s in statements)


def off_tie_outs() -> list[tuple[str, int]]:
    from syncs.models import Reconciliation

    return [(r.subject, r.difference) for r in Reconciliation.objects.filter(ok=False)]
