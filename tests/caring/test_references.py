"""References of assignments, courtesy calls and their invoice links, enforced by PostgreSQL per
statement (caring migrations 0003 and 0005) whatever path writes the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from caring.models import CaringAssignment, CourtesyCall, CourtesyCallInvoice
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
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
        with pytest.raises(IntegrityError, match="still named by caring"), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row_id])  # noqa: S608

    assert CourtesyCallInvoice.objects.filter(pk=link.pk).exists()


def test_the_orm_deletes_a_calls_links_with_it() -> None:
    call, link = _linked_call()

    call.delete()

    assert not CourtesyCallInvoice.objects.filter(pk=link.pk).exists()
    assert not CourtesyCall.objects.filter(pk=call.pk).exists()


def _raw_assignment(client_id: int, policy_id: int, invoice_id: int, debtor_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO caring_caringassignment (client_id, policy_id, invoice_id, debtor_id, "
            "window_date, bucket, in_control, created_at) "
            "VALUES (%s, %s, %s, %s, '2026-03-02', 1, false, now())",
            [client_id, policy_id, invoice_id, debtor_id])


@pytest.mark.parametrize("missing", ["client", "policy", "invoice", "debtor"])
def test_an_assignment_naming_a_missing_row_is_refused(postgres_only, missing) -> None:
    policy = CaringPolicyFactory()
    invoice = InvoiceFactory(client=policy.client, debtor__client=policy.client)
    ids = {"client": policy.client_id, "policy": policy.pk, "invoice": invoice.pk,
           "debtor": invoice.debtor_id}
    ids[missing] += 10_000_000

    with pytest.raises(IntegrityError, match=f"assignment.{missing}_id names a row missing"), \
            transaction.atomic():
        _raw_assignment(ids["client"], ids["policy"], ids["invoice"], ids["debtor"])

    assert not CaringAssignment.objects.exists()
    # The same row naming rows that exist is accepted.
    _raw_assignment(policy.client_id, policy.pk, invoice.pk, invoice.debtor_id)
    assert CaringAssignment.objects.filter(invoice=invoice).exists()


def test_deleting_an_assigned_invoice_is_refused_unless_the_orm_deletes_the_assignment(
        postgres_only) -> None:
    policy = CaringPolicyFactory()
    invoice = InvoiceFactory(client=policy.client, debtor__client=policy.client)
    _raw_assignment(policy.client_id, policy.pk, invoice.pk, invoice.debtor_id)

    with pytest.raises(IntegrityError, match="still named by caring"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM portfolio_invoice WHERE id = %s", [invoice.pk])

    invoice.delete()  # the ORM's CASCADE deletes the assignment first

    assert not CaringAssignment.objects.exists()
