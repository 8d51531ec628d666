"""Caring migration 0007 fixes or clears the rows that 0008's foreign keys and checks refuse,
so that 0008 applies to a database written before them."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace
from typing import cast

import pytest
from django.db import connection
from django.utils import timezone

from caring.models import CaringAssignment, CaringPolicy, CourtesyCall, CourtesyCallInvoice
from portfolio.models import Invoice
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("caring.migrations.0007_clear_rows_the_new_references_refuse")


Param = int | str | dt.date | dt.datetime


def _without_caring_checks(*statements: tuple[str, list[Param]]) -> None:
    """Write rows as a database from before 0008 could hold them: no trigger fires."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            for sql, params in statements:
                cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_rows_the_new_references_refuse_are_fixed_or_cleared(postgres_only) -> None:
    call = cast(CourtesyCall, CourtesyCallFactory())
    kept = cast(Invoice, InvoiceFactory(client=call.client, debtor=call.debtor))
    other_policy = cast(CaringPolicy, CaringPolicyFactory())
    _without_caring_checks(
        # A link whose client is not its call's.
        ("INSERT INTO caring_courtesycallinvoice (client_id, call_id, invoice_id, linked_on) "
         "VALUES (%s, %s, %s, %s)", [other_policy.client_id, call.pk, kept.pk, call.window_date]),
        # An assignment naming an invoice that is gone.
        ("INSERT INTO caring_caringassignment (client_id, policy_id, invoice_id, debtor_id, "
         "window_date, bucket, in_control, created_at) VALUES (%s, %s, %s, %s, %s, 1, false, %s)",
         [call.client_id, call.policy_id, 10_000_000, call.debtor_id, dt.date(2026, 3, 2),
          timezone.now()]),
    )

    MIGRATION.forwards(None, SimpleNamespace(connection=connection))

    link = CourtesyCallInvoice.objects.get(call=call)
    assert link.client_id == call.client_id
    assert not CaringAssignment.objects.exists()
    assert CourtesyCall.objects.filter(pk=call.pk).exists()
    connection.check_constraints(table_names=["caring_caringassignment",
                                              "caring_courtesycallinvoice"])
