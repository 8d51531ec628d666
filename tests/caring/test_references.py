"""References of courtesy calls and their invoice links, enforced by PostgreSQL per statement
(caring migration 0003) whatever path writes the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from caring.models import CourtesyCall, CourtesyCallInvoice
from tests.caring.factories import CourtesyCallFactory
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _raw_link(client_id: int, call_id: int, invoice_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO caring_courtesycallinvoice (client_id, call_id, invoice_id, linked_on) "
            "VALUES (%s, %s, %s, '2026-03-02')", [client_id, call_id, invoice_id])


def _linked_call() -> tuple[CourtesyCall, CourtesyCallInvoice]:
    call = CourtesyCallFactory()
    invoice = InvoiceFactory(debtor=call.debtor, due_date=dt.date(2026, 3, 9))
    link = CourtesyCallInvoice.objects.create(client=call.client, call=call, invoice=invoice,
                                              linked_on=call.window_date)
    return call, link


@pytest.mark.parametrize("missing", ["client", "call", "invoice"])
def test_a_link_naming_a_missing_row_is_refused(postgres_only, missing) -> None:
    call = CourtesyCallFactory()
    invoice = InvoiceFactory(debtor=call.debtor)
    ids = {"client": call.client_id, "call": call.pk, "invoice": invoice.pk}
    ids[missing] += 10_000_000

    with pytest.raises(IntegrityError, match=f"{missing}_id names a row missing"), \
            transaction.atomic():
        _raw_link(ids["client"], ids["call"], ids["invoice"])

    assert not CourtesyCallInvoice.objects.exists()


def test_moving_a_call_to_a_missing_debtor_is_refused(postgres_only) -> None:
    call = CourtesyCallFactory()

    with pytest.raises(IntegrityError, match="debtor_id names a row missing"), \
            transaction.atomic():
        CourtesyCall.objects.filter(pk=call.pk).update(debtor_id=call.debtor_id + 10_000_000)

    # A change that leaves the references alone passes the check.
    CourtesyCall.objects.filter(pk=call.pk).update(note="checked")


def test_deleting_an_invoice_or_a_call_still_linked_is_refused(postgres_only) -> None:
    call, link = _linked_call()

    for table, row_id in (("portfolio_invoice", link.invoice_id),
                          ("caring_courtesycall", call.pk)):
        with pytest.raises(IntegrityError, match="still named by courtesy calls"), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row_id])  # noqa: S608

    assert CourtesyCallInvoice.objects.filter(pk=link.pk).exists()


def test_the_orm_deletes_a_calls_links_with_it() -> None:
    call, link = _linked_call()

    call.delete()

    assert not CourtesyCallInvoice.objects.filter(pk=link.pk).exists()
    assert not CourtesyCall.objects.filter(pk=call.pk).exists()
