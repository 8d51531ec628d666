"""Invoice.last_settlement_on, kept by PostgreSQL triggers (portfolio migration 0008): exact
whenever it is set, whatever path changes allocations, credit notes, payments or invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portfolio.models import CreditNote, Invoice, Payment, PaymentAllocation
from tests.factories import DebtorFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def _settled(invoice: Invoice) -> dt.date | None:
    return Invoice.objects.values_list("last_settlement_on", flat=True).get(pk=invoice.pk)


def _allocate(invoice: Invoice, amount: int, on: dt.date) -> PaymentAllocation:
    payment = PaymentFactory(debtor=invoice.debtor, amount=Decimal(amount), value_date=on,
                             unallocated_amount=Decimal(0))
    return PaymentAllocation.objects.create(client=invoice.client, payment=payment,
                                            invoice=invoice, amount=Decimal(amount))


def test_it_is_the_date_allocations_and_notes_cover_the_invoice(postgres_only) -> None:
    invoice = InvoiceFactory(debtor=DebtorFactory(), amount=Decimal(100),
                             issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 1, 31))
    first = _allocate(invoice, 60, dt.date(2026, 2, 5))
    assert _settled(invoice) is None
    CreditNote.objects.create(client=invoice.client, invoice=invoice, number="CN1",
                              amount=Decimal(40), issue_date=dt.date(2026, 2, 20))
    assert _settled(invoice) == dt.date(2026, 2, 20)
    # A payment's value date corrected later moves the settlement date with it.
    Payment.objects.filter(pk=first.payment_id).update(value_date=dt.date(2026, 3, 1))
    assert _settled(invoice) == dt.date(2026, 3, 1)
    # Undoing an allocation reopens the invoice.
    first.delete()
    assert _settled(invoice) is None


def test_a_stale_value_written_back_by_a_save_is_corrected(postgres_only) -> None:
    invoice = InvoiceFactory(debtor=DebtorFactory(), amount=Decimal(100),
                             issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 1, 31))
    allocation = _allocate(invoice, 100, dt.date(2026, 2, 5))
    stale = Invoice.objects.get(pk=invoice.pk)
    assert stale.last_settlement_on == dt.date(2026, 2, 5)
    allocation.delete()
    stale.save()  # writes back the date it read
    assert _settled(invoice) is None
    # Raising the amount above what was paid reopens it too.
    _allocate(invoice, 100, dt.date(2026, 2, 6))
    assert _settled(invoice) == dt.date(2026, 2, 6)
    Invoice.objects.filter(pk=invoice.pk).update(amount=Decimal(150), open_balance=Decimal(50),
                                                 status=Invoice.Status.PARTIALLY_PAID)
    assert _settled(invoice) is None
