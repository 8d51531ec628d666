"""Rules the database itself enforces on PostgreSQL, whatever path writes the rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from portfolio.models import Client, Debtor, Invoice, Payment
from tests.factories import ClientFactory, DebtorFactory, InvoiceFactory


def _raw_invoice(client_id, debtor_id, currency, number="RAW-1"):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portfolio_invoice (client_id, debtor_id, number, issue_date, due_date,"
            " amount, currency, open_balance, status, created_at, updated_at)"
            " VALUES (%s, %s, %s, '2026-01-01', '2026-01-31', 10, %s, 10, 'open', now(), now())",
            [client_id, debtor_id, number, currency])


def test_an_invoice_in_another_currency_than_its_client_is_refused(postgres_only):
    debtor = DebtorFactory(client=ClientFactory(currency="EUR"))

    with pytest.raises(IntegrityError, match="currency"), transaction.atomic():
        _raw_invoice(debtor.client_id, debtor.pk, "USD")

    assert not Invoice.objects.exists()


def test_an_invoice_naming_another_clients_debtor_is_refused(postgres_only):
    ours = ClientFactory()
    theirs = DebtorFactory(client=ClientFactory())

    with pytest.raises(IntegrityError, match="same client"), transaction.atomic():
        _raw_invoice(ours.pk, theirs.pk, ours.currency)


def test_one_bad_row_refuses_the_whole_bulk_statement(postgres_only):
    debtor = DebtorFactory()
    rows = [Invoice(client=debtor.client, debtor=debtor, number=f"B-{n}",
                    issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 1, 31),
                    amount=Decimal("5.00"), open_balance=Decimal("5.00"),
                    currency="GBP" if n == 7 else "EUR") for n in range(20)]

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.bulk_create(rows)

    assert not Invoice.objects.exists()


def test_a_payment_in_another_currency_is_refused(postgres_only):
    debtor = DebtorFactory()
    with pytest.raises(IntegrityError, match="currency"), transaction.atomic():
        Payment.objects.create(client=debtor.client, debtor=debtor, external_ref="P",
                               amount=Decimal("1.00"), currency="CHF",
                               value_date=dt.date(2026, 1, 1),
                               unallocated_amount=Decimal("1.00"))


def test_a_clients_currency_cannot_change_under_its_invoices(postgres_only):
    invoice = InvoiceFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=invoice.client_id).update(currency="USD")


def test_a_debtor_cannot_move_to_another_client_with_its_invoices(postgres_only):
    invoice = InvoiceFactory()
    other = ClientFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Debtor.objects.filter(pk=invoice.debtor_id).update(client=other)


def test_an_invoice_naming_a_debtor_that_does_not_exist_is_refused(postgres_only):
    client = ClientFactory()

    with pytest.raises(IntegrityError, match="existing debtor"), transaction.atomic():
        _raw_invoice(client.pk, 987654321, client.currency)


def test_an_invoice_naming_a_client_that_does_not_exist_is_refused(postgres_only):
    debtor = DebtorFactory()

    with pytest.raises(IntegrityError, match="existing client"), transaction.atomic():
        _raw_invoice(987654321, debtor.pk, "EUR")


def test_a_debtor_with_invoices_cannot_be_deleted_in_sql(postgres_only):
    invoice = InvoiceFactory()

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM portfolio_contactpoint WHERE debtor_id = %s",
                       [invoice.debtor_id])
        cursor.execute("DELETE FROM portfolio_debtor WHERE id = %s", [invoice.debtor_id])

    assert Debtor.objects.filter(pk=invoice.debtor_id).exists()


def test_moving_an_invoice_to_another_clients_debtor_is_refused(postgres_only):
    invoice = InvoiceFactory()
    stranger = DebtorFactory(client=ClientFactory())

    with pytest.raises(IntegrityError, match="same client"), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(debtor=stranger)


def test_balance_updates_pass_the_reference_check(postgres_only):
    invoice = InvoiceFactory(amount=Decimal("10.00"))

    Invoice.objects.filter(pk=invoice.pk).update(open_balance=Decimal("4.00"),
                                                 status=Invoice.Status.PARTIALLY_PAID)

    invoice.refresh_from_db()
    assert invoice.open_balance == Decimal("4.00")
