"""References of assignments, courtesy calls and their invoice links, enforced by the database
whatever path writes the rows, on PostgreSQL and SQLite alike (caring migration 0008).

Invoices and debtors are named by foreign keys, which Django declares deferred: a violation
surfaces when the constraints are checked (at commit, or here by `check_constraints`). The
client of a row must be its policy's or its call's: checked by caring's own triggers, at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from caring.models import CaringAssignment, CaringPolicy, CourtesyCall, CourtesyCallInvoice
from portfolio.models import Client, Invoice
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import ClientFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

MISSING = 10_000_000


def _call() -> CourtesyCall:
    return cast(CourtesyCall, CourtesyCallFactory())


def _policy() -> CaringPolicy:
    return cast(CaringPolicy, CaringPolicyFactory())


def _client_id() -> int:
    return cast(Client, ClientFactory()).pk


def _invoice(**values: Any) -> Invoice:
    return cast(Invoice, InvoiceFactory(**values))


def _raw_link(client_id: int, call_id: int, invoice_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO caring_courtesycallinvoice (client_id, call_id, invoice_id, linked_on) "
            "VALUES (%s, %s, %s, %s)", [client_id, call_id, invoice_id, dt.date(2026, 3, 2)])


def _raw_assignment(client_id: int, policy_id: int, invoice_id: int, debtor_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO caring_caringassignment (client_id, policy_id, invoice_id, debtor_id, "
            "window_date, bucket, in_control, created_at) VALUES (%s, %s, %s, %s, %s, 1, %s, %s)",
            [client_id, policy_id, invoice_id, debtor_id, dt.date(2026, 3, 2), False,
             timezone.now()])


def _raw_delete(table: str, row_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row_id])  # noqa: S608


def _linked_call() -> tuple[CourtesyCall, CourtesyCallInvoice]:
    call = _call()
    invoice = _invoice(client=call.client, debtor=call.debtor, due_date=dt.date(2026, 3, 9))
    link = CourtesyCallInvoice.objects.create(client=call.client, call=call, invoice=invoice,
                                              linked_on=call.window_date)
    return call, link


def test_a_link_naming_a_missing_invoice_is_refused() -> None:
    call = _call()

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_link(call.client_id, call.pk, MISSING)
        connection.check_constraints(table_names=["caring_courtesycallinvoice"])

    assert not CourtesyCallInvoice.objects.exists()


@pytest.mark.parametrize("wrong", ["call missing", "call of another client"])
def test_a_link_must_name_a_call_of_its_own_client(wrong) -> None:
    call = _call()
    invoice = _invoice(client=call.client, debtor=call.debtor)
    call_id, client_id = call.pk, call.client_id
    if wrong == "call missing":
        call_id += MISSING
    else:
        client_id = _client_id()

    with pytest.raises(IntegrityError, match="names no row of caring_courtesycall"), \
            transaction.atomic():
        _raw_link(client_id, call_id, invoice.pk)

    assert not CourtesyCallInvoice.objects.exists()
    _raw_link(call.client_id, call.pk, invoice.pk)  # the same link, right, is accepted
    assert CourtesyCallInvoice.objects.filter(call=call, invoice=invoice).exists()


def test_a_call_with_a_policy_of_another_client_is_refused() -> None:
    call = _call()
    own_policy_id = call.policy_id
    others = _policy()

    with pytest.raises(IntegrityError, match="names no row of caring_caringpolicy"), \
            transaction.atomic():
        CourtesyCall.objects.filter(pk=call.pk).update(policy=others)

    # A change that leaves the references alone passes the check.
    CourtesyCall.objects.filter(pk=call.pk).update(note="checked")
    call.refresh_from_db()
    assert (call.policy_id, call.note) == (own_policy_id, "checked")


def test_moving_a_call_to_a_missing_debtor_is_refused() -> None:
    call = _call()

    with pytest.raises(IntegrityError), transaction.atomic():
        CourtesyCall.objects.filter(pk=call.pk).update(debtor_id=call.debtor_id + MISSING)
        connection.check_constraints(table_names=["caring_courtesycall"])

    assert CourtesyCall.objects.get(pk=call.pk).debtor_id == call.debtor_id


def test_deleting_a_linked_invoice_is_refused_by_the_database() -> None:
    _call, link = _linked_call()

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_delete("portfolio_invoice", link.invoice_id)
        connection.check_constraints(table_names=["caring_courtesycallinvoice"])

    assert CourtesyCallInvoice.objects.filter(pk=link.pk).exists()


def test_deleting_a_call_still_linked_is_refused(postgres_only) -> None:
    call, link = _linked_call()

    with pytest.raises(IntegrityError, match="still named by caring_courtesycallinvoice"), \
            transaction.atomic():
        _raw_delete("caring_courtesycall", call.pk)

    assert CourtesyCallInvoice.objects.filter(pk=link.pk).exists()


def test_a_policy_named_by_calls_cannot_move_to_another_client() -> None:
    call = _call()

    with pytest.raises(IntegrityError, match="still named by caring_courtesycall"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE caring_caringpolicy SET client_id = %s WHERE id = %s",
                       [_client_id(), call.policy_id])

    # Saving the policy unchanged is no move.
    CaringPolicy.objects.get(pk=call.policy_id).save()


def test_the_orm_deletes_a_calls_links_with_it() -> None:
    call, link = _linked_call()

    call.delete()

    assert not CourtesyCallInvoice.objects.filter(pk=link.pk).exists()
    assert not CourtesyCall.objects.filter(pk=call.pk).exists()


@pytest.mark.parametrize("missing", ["invoice", "debtor"])
def test_an_assignment_naming_a_missing_invoice_or_debtor_is_refused(missing) -> None:
    policy = _policy()
    invoice = _invoice(client=policy.client, debtor__client=policy.client)
    ids = {"invoice": invoice.pk, "debtor": invoice.debtor_id}
    ids[missing] += MISSING

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_assignment(policy.client_id, policy.pk, ids["invoice"], ids["debtor"])
        connection.check_constraints(table_names=["caring_caringassignment"])

    assert not CaringAssignment.objects.exists()


@pytest.mark.parametrize("wrong", ["policy missing", "policy of another client"])
def test_an_assignment_must_name_a_policy_of_its_own_client(wrong) -> None:
    policy = _policy()
    invoice = _invoice(client=policy.client, debtor__client=policy.client)
    policy_id, client_id = policy.pk, policy.client_id
    if wrong == "policy missing":
        policy_id += MISSING
    else:
        client_id = _client_id()

    with pytest.raises(IntegrityError, match="names no row of caring_caringpolicy"), \
            transaction.atomic():
        _raw_assignment(client_id, policy_id, invoice.pk, invoice.debtor_id)

    assert not CaringAssignment.objects.exists()
    # The same row naming rows that exist, of one client, is accepted.
    _raw_assignment(policy.client_id, policy.pk, invoice.pk, invoice.debtor_id)
    assert CaringAssignment.objects.filter(invoice=invoice).exists()


def test_deleting_an_assigned_invoice_is_refused_unless_the_orm_deletes_the_assignment() -> None:
    policy = _policy()
    invoice = _invoice(client=policy.client, debtor__client=policy.client)
    _raw_assignment(policy.client_id, policy.pk, invoice.pk, invoice.debtor_id)

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_delete("portfolio_invoice", invoice.pk)
        connection.check_constraints(table_names=["caring_caringassignment"])

    invoice.delete()  # the ORM's CASCADE deletes the assignment first
    connection.check_constraints(table_names=["caring_caringassignment"])

    assert not CaringAssignment.objects.exists()


def _caring_triggers(tables: str) -> list[tuple[str, str]]:
    """(table, trigger) of caring's triggers on the tables whose names match `tables`."""
    if connection.vendor == "postgresql":
        sql = ("SELECT c.relname, t.tgname FROM pg_trigger t "
               "JOIN pg_class c ON c.oid = t.tgrelid "
               "WHERE NOT t.tgisinternal AND c.relname LIKE %s AND t.tgname LIKE %s")
    else:
        sql = ("SELECT tbl_name, name FROM sqlite_master "
               "WHERE type = 'trigger' AND tbl_name LIKE %s AND name LIKE %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [tables, "%caring%"])
        return list(cursor.fetchall())


def test_caring_puts_no_trigger_on_portfolios_tables() -> None:
    assert _caring_triggers("caring%")  # the query sees caring's own triggers
    assert _caring_triggers("portfolio%") == []


@pytest.mark.django_db(transaction=True)
def test_emptying_the_database_is_not_refused_by_the_checks() -> None:
    # Django's flush (run after every transactional test and by `manage.py flush`) empties
    # tables in name order, policies and calls before the rows that name them.
    _linked_call()

    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)

    assert not CourtesyCall.objects.exists()
    assert not CaringPolicy.objects.exists()
