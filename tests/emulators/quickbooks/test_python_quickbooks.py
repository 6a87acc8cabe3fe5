"""python-quickbooks 0.9.12 end to end against the emulator, with only base URLs changed:
OAuth, refresh with rotation, create, query, batch, void, delete, CDC, and its 401 handling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import AuthorizationException, QuickbooksException
from quickbooks.objects import (
    Account,
    Customer,
    Invoice,
    Item,
    Payment,
    PaymentLine,
    SalesItemLine,
    SalesItemLineDetail,
    SalesReceipt,
)
from quickbooks.objects.base import LinkedTxn

from emulators.quickbooks.testing import RunningEmulator


def _receipt(customer: Customer, item: Item, amount: str, doc_number: str) -> SalesReceipt:
    receipt = SalesReceipt()
    receipt.CustomerRef = customer.to_ref()
    receipt.DocNumber = doc_number
    line = SalesItemLine()
    line.Amount = Decimal(amount)
    detail = SalesItemLineDetail()
    detail.ItemRef = item.to_ref()
    detail.Qty = 1
    detail.UnitPrice = Decimal(amount)
    line.SalesItemLineDetail = detail
    receipt.Line.append(line)
    return receipt


def _balances(qb) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    return {a.Name: a.CurrentBalance for a in Account.all(max_results=1000, qb=qb)}


def test_it_runs_oauth_create_query_void_end_to_end(qbo: RunningEmulator) -> None:
    auth, realm = qbo.connect()
    qb = qbo.quickbooks(auth, realm)
    customer = Customer()
    customer.DisplayName = "Jane Doe (cus_123)"
    customer = customer.save(qb=qb, request_id="cust-1")
    services = Item.filter(Name="Services", qb=qb)[0]

    receipt = _receipt(customer, services, "120.00", "ch_1").save(qb=qb, request_id="sr-1")

    assert receipt.TotalAmt == Decimal("120.00")
    assert _balances(qb)["Undeposited Funds"] == Decimal("120.00")
    assert [r.Id for r in SalesReceipt.filter(DocNumber="ch_1", qb=qb)] == [receipt.Id]
    receipt.void(qb=qb)
    assert _balances(qb)["Undeposited Funds"] == 0
    assert SalesReceipt.get(receipt.Id, qb=qb).TotalAmt == 0


def test_it_refreshes_with_rotation_and_a_new_client(qbo: RunningEmulator) -> None:
    auth, realm = qbo.connect()
    old_refresh = auth.refresh_token
    qbo.clock.advance(3600)
    stale = qbo.quickbooks(auth, realm)
    with pytest.raises(AuthorizationException) as exc:
        Customer.all(qb=stale)
    assert exc.value.error_code == 401

    auth.refresh()
    fresh = qbo.quickbooks(auth, realm)

    assert auth.refresh_token != old_refresh
    assert Customer.all(qb=fresh) == []


def test_it_batches_creates_with_per_item_faults(qbo: RunningEmulator) -> None:
    auth, realm = qbo.connect()
    qb = qbo.quickbooks(auth, realm)
    existing = Customer()
    existing.DisplayName = "Taken"
    existing.save(qb=qb)
    customers = []
    for name in ("A", "B", "Taken"):
        customer = Customer()
        customer.DisplayName = name
        customers.append(customer)

    result = batch_create(customers, qb=qb)

    assert sorted(c.DisplayName for c in result.successes) == ["A", "B"]
    assert [f.Error[0].code for f in result.faults] == ["6240"]
    assert Customer.count(qb=qb) == 3


def test_it_links_a_payment_to_an_invoice(qbo: RunningEmulator) -> None:
    auth, realm = qbo.connect()
    qb = qbo.quickbooks(auth, realm)
    customer = Customer()
    customer.DisplayName = "Payer"
    customer = customer.save(qb=qb)
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    line = SalesItemLine()
    line.Amount = Decimal("50.00")
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.filter(Name="Services", qb=qb)[0].to_ref()
    invoice.Line.append(line)
    invoice = invoice.save(qb=qb)
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = Decimal("50.00")
    pay_line = PaymentLine()
    pay_line.Amount = Decimal("50.00")
    link = LinkedTxn()
    link.TxnId = invoice.Id
    link.TxnType = "Invoice"
    pay_line.LinkedTxn.append(link)
    payment.Line.append(pay_line)

    payment.save(qb=qb)

    assert Invoice.get(invoice.Id, qb=qb).Balance == 0
    assert _balances(qb)["Accounts Receivable (A/R)"] == 0
    assert _balances(qb)["Undeposited Funds"] == Decimal("50.00")


def test_it_answers_change_data_capture(qbo: RunningEmulator) -> None:
    auth, realm = qbo.connect()
    qb = qbo.quickbooks(auth, realm)
    qbo.clock.advance(600)  # the seeded accounts are older than the window
    since = (qbo.clock.now() - timedelta(minutes=1)).isoformat()
    customer = Customer()
    customer.DisplayName = "Changed"
    customer.save(qb=qb)

    cdc = change_data_capture([Customer, Account], since, qb=qb)

    assert [c.DisplayName for c in cdc.Customer] == ["Changed"]
    assert not hasattr(cdc, "Account")


def test_it_deletes_a_transaction(qbo: RunningEmulator) -> None:
    auth, realm = qbo.connect()
    qb = qbo.quickbooks(auth, realm)
    customer = Customer()
    customer.DisplayName = "Deleted"
    customer = customer.save(qb=qb)
    receipt = _receipt(customer, Item.filter(Name="Services", qb=qb)[0], "10.00", "d1").save(qb=qb)

    receipt.delete(qb=qb)

    assert SalesReceipt.filter(DocNumber="d1", qb=qb) == []
    assert _balances(qb)["Undeposited Funds"] == 0


def test_it_surfaces_quickbooks_faults_through_the_library(qbo: RunningEmulator) -> None:
    auth, realm = qbo.connect()
    qb = qbo.quickbooks(auth, realm)
    customer = Customer()
    customer.DisplayName = "Dup"
    customer.save(qb=qb)
    again = Customer()
    again.DisplayName = "Dup"

    with pytest.raises(QuickbooksException) as exc:
        again.save(qb=qb)

    assert exc.value.error_code == 6240
