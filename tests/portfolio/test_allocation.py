import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from access.errors import DomainError
from portfolio import services
from portfolio.allocation import allocate_open_payments
from portfolio.models import Invoice, Payment, PaymentAllocation
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _invoice(debtor, number, due, amount):
    return InvoiceFactory(debtor=debtor, number=number, due_date=due,
                          issue_date=due - dt.timedelta(days=30), amount=Decimal(amount))


def test_a_payment_settles_the_oldest_due_invoices_first():
    debtor = DebtorFactory()
    newer = _invoice(debtor, "N-2", dt.date(2026, 3, 31), "100.00")
    older = _invoice(debtor, "N-1", dt.date(2026, 2, 28), "100.00")

    services.payment_record(client=debtor.client, debtor=debtor, external_ref="P1",
                            amount=Decimal("150.00"), value_date=dt.date(2026, 4, 1))

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.open_balance, older.status) == (Decimal("0.00"), Invoice.Status.PAID)
    assert (newer.open_balance, newer.status) == (Decimal("50.00"),
                                                  Invoice.Status.PARTIALLY_PAID)


def test_a_payment_that_names_an_invoice_goes_there_first():
    debtor = DebtorFactory()
    older = _invoice(debtor, "N-1", dt.date(2026, 2, 28), "100.00")
    named = _invoice(debtor, "N-2", dt.date(2026, 3, 31), "80.00")

    services.payment_record(client=debtor.client, debtor=debtor, external_ref="P1",
                            amount=Decimal("100.00"), value_date=dt.date(2026, 4, 1),
                            invoice_reference="N-2")

    named.refresh_from_db()
    older.refresh_from_db()
    assert named.open_balance == Decimal("0.00")
    # The 20.00 left over after the named invoice goes to the oldest due.
    assert older.open_balance == Decimal("80.00")


def test_many_payments_and_invoices_split_by_running_totals():
    debtor = DebtorFactory()
    first = _invoice(debtor, "A", dt.date(2026, 1, 31), "30.00")
    second = _invoice(debtor, "B", dt.date(2026, 2, 28), "30.00")
    third = _invoice(debtor, "C", dt.date(2026, 3, 31), "30.00")
    for ref, amount, day in (("P1", "20.00", 1), ("P2", "25.00", 2), ("P3", "100.00", 3)):
        Payment.objects.create(client=debtor.client, debtor=debtor, external_ref=ref,
                               amount=Decimal(amount), currency="EUR",
                               value_date=dt.date(2026, 4, day), unallocated_amount=Decimal(amount))

    allocate_open_payments(client_id=debtor.client_id)

    pairs = {(a.payment.external_ref, a.invoice.number): a.amount
             for a in PaymentAllocation.objects.select_related("payment", "invoice")}
    assert pairs == {
        ("P1", "A"): Decimal("20.00"),
        ("P2", "A"): Decimal("10.00"), ("P2", "B"): Decimal("15.00"),
        ("P3", "B"): Decimal("15.00"), ("P3", "C"): Decimal("30.00"),
    }
    assert Payment.objects.get(external_ref="P3").unallocated_amount == Decimal("55.00")
    for invoice in (first, second, third):
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID


def test_running_allocation_twice_moves_no_money_twice():
    debtor = DebtorFactory()
    invoice = _invoice(debtor, "A", dt.date(2026, 1, 31), "100.00")
    services.payment_record(client=debtor.client, debtor=debtor, external_ref="P1",
                            amount=Decimal("40.00"), value_date=dt.date(2026, 2, 1))

    assert allocate_open_payments(client_id=debtor.client_id) == 0

    invoice.refresh_from_db()
    assert invoice.open_balance == Decimal("60.00")
    assert PaymentAllocation.objects.get().amount == Decimal("40.00")


def test_a_retried_payment_is_not_counted_twice():
    debtor = DebtorFactory()
    invoice = _invoice(debtor, "A", dt.date(2026, 1, 31), "100.00")
    kwargs: dict[str, Any] = {"client": debtor.client, "debtor": debtor, "external_ref": "BANK-77",
              "amount": Decimal("40.00"), "value_date": dt.date(2026, 2, 1)}

    _first, created_first = services.payment_record(**kwargs)
    _again, created_again = services.payment_record(**kwargs)

    invoice.refresh_from_db()
    assert (created_first, created_again) == (True, False)
    assert invoice.open_balance == Decimal("60.00")
    assert Payment.objects.count() == 1


def test_disputed_invoices_receive_nothing_automatically():
    debtor = DebtorFactory()
    disputed = _invoice(debtor, "A", dt.date(2026, 1, 31), "100.00")
    services.invoice_dispute_open(invoice=disputed)
    other = _invoice(debtor, "B", dt.date(2026, 2, 28), "100.00")

    services.payment_record(client=debtor.client, debtor=debtor, external_ref="P1",
                            amount=Decimal("100.00"), value_date=dt.date(2026, 3, 1))

    disputed.refresh_from_db()
    other.refresh_from_db()
    assert disputed.open_balance == Decimal("100.00")
    assert other.status == Invoice.Status.PAID


def test_an_overpayment_stays_on_account_and_settles_the_next_invoice():
    debtor = DebtorFactory()
    _invoice(debtor, "A", dt.date(2026, 1, 31), "100.00")
    payment, _ = services.payment_record(client=debtor.client, debtor=debtor,
                                         external_ref="P1", amount=Decimal("130.00"),
                                         value_date=dt.date(2026, 2, 1))
    assert payment.unallocated_amount == Decimal("30.00")

    later = services.invoice_create(client=debtor.client, debtor=debtor, number="B",
                                    issue_date=dt.date(2026, 2, 1),
                                    due_date=dt.date(2026, 3, 3), amount=Decimal("50.00"))

    assert later.open_balance == Decimal("20.00")
    payment.refresh_from_db()
    assert payment.unallocated_amount == Decimal("0.00")


@pytest.mark.parametrize("amount", ["-1", "abc", "1.234", "NaN"])
def test_impossible_payment_amounts_are_refused_by_name(amount):
    debtor = DebtorFactory()
    with pytest.raises(DomainError) as error:
        services.payment_record(client=debtor.client, debtor=debtor, external_ref="P1",
                                amount=amount, value_date=dt.date(2026, 2, 1))
    assert error.value.field == "amount"
    assert Payment.objects.count() == 0


def test_the_database_refuses_a_balance_above_the_amount():
    invoice = InvoiceFactory(amount=Decimal("10.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(open_balance=Decimal("11.00"),
                                                     status=Invoice.Status.DISPUTED)


def test_the_database_refuses_a_status_that_contradicts_the_balance():
    invoice = InvoiceFactory(amount=Decimal("10.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)


def test_a_payment_starting_where_an_invoice_ends_allocates_nothing_to_it():
    # On SQLite the running totals are floats: 280.91 - 124.63 is a hair below 156.28, where
    # the first invoice ends. That touch must not become an allocation of 0.00.
    debtor = DebtorFactory()
    _invoice(debtor, "A", dt.date(2026, 1, 31), "156.28")
    _invoice(debtor, "B", dt.date(2026, 2, 28), "120.91")
    for ref, amount, day in (("P1", "156.28", 1), ("P2", "124.63", 2)):
        Payment.objects.create(client=debtor.client, debtor=debtor, external_ref=ref,
                               amount=Decimal(amount), currency="EUR",
                               value_date=dt.date(2026, 4, day), unallocated_amount=Decimal(amount))

    allocate_open_payments(client_id=debtor.client_id)

    pairs = {(a.payment.external_ref, a.invoice.number): a.amount
             for a in PaymentAllocation.objects.select_related("payment", "invoice")}
    assert pairs == {("P1", "A"): Decimal("156.28"), ("P2", "B"): Decimal("120.91")}
    assert Payment.objects.get(external_ref="P2").unallocated_amount == Decimal("3.72")
