"""Every list endpoint and list page costs the same number of queries for 3 rows as for 30."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import Membership
from portfolio.models import ContactPoint, CreditNote, PaymentAllocation
from tests.factories import (
    ClientFactory,
    ContactPointFactory,
    DebtorFactory,
    InvoiceFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db

# A page should need a handful of queries (session, user, roles, memberships, the data);
# a count above this is a smell even when it does not grow.
CEILING = 12


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


def _debtor_with_contacts(client_obj):
    debtor = DebtorFactory(client=client_obj)
    ContactPointFactory(debtor=debtor, client=client_obj)
    ContactPointFactory(debtor=debtor, client=client_obj, channel=ContactPoint.Channel.EMAIL,
                        value=f"d{debtor.pk}@example.invalid")
    return debtor


def _assert_flat(client, django_assert_num_queries, url: Callable[[], str],
                 add_rows: Callable[[int], None], *, ceiling: int = CEILING) -> None:
    add_rows(3)
    few = _queries(client, url())
    add_rows(27)
    with django_assert_num_queries(few):
        client.get(url())
    assert few <= ceiling


@pytest.fixture
def as_manager(client, personas):
    client.force_login(personas.credit_manager)
    return client


def test_the_client_list_endpoint_does_not_grow(as_manager, personas, django_assert_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            Membership.objects.create(user=personas.credit_manager, client=ClientFactory())

    _assert_flat(as_manager, django_assert_num_queries, lambda: "/api/v1/clients/", add)


def test_the_home_page_client_list_does_not_grow(as_manager, personas,
                                                 django_assert_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            other = ClientFactory()
            Membership.objects.create(user=personas.credit_manager, client=other)
            DebtorFactory(client=other)

    _assert_flat(as_manager, django_assert_num_queries, lambda: "/", add)


def test_the_debtor_list_endpoint_does_not_grow(as_manager, personas, django_assert_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            _debtor_with_contacts(personas.client_a)

    _assert_flat(as_manager, django_assert_num_queries, lambda: "/api/v1/debtors/", add)


def test_the_invoice_list_endpoint_does_not_grow(as_manager, personas,
                                                 django_assert_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            InvoiceFactory(debtor=DebtorFactory(client=personas.client_a))

    _assert_flat(as_manager, django_assert_num_queries, lambda: "/api/v1/invoices/", add)


def test_the_payment_list_endpoint_does_not_grow(as_manager, personas,
                                                 django_assert_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            PaymentFactory(debtor=DebtorFactory(client=personas.client_a))

    _assert_flat(as_manager, django_assert_num_queries, lambda: "/api/v1/payments/", add)


def test_the_debtor_list_page_does_not_grow(as_manager, personas, django_assert_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            debtor = _debtor_with_contacts(personas.client_a)
            InvoiceFactory(debtor=debtor)

    _assert_flat(as_manager, django_assert_num_queries, lambda: "/portfolio/debtors/", add)


def test_the_debtor_detail_page_does_not_grow(as_manager, personas, django_assert_num_queries):
    debtor = DebtorFactory(client=personas.client_a)

    def add(n: int) -> None:
        for _ in range(n):
            invoice = InvoiceFactory(debtor=debtor, amount=Decimal("100.00"),
                                     open_balance=Decimal("60.00"), status="partially_paid")
            payment = PaymentFactory(debtor=debtor, amount=Decimal("40.00"),
                                     unallocated_amount=Decimal("0"))
            PaymentAllocation.objects.create(client=personas.client_a, payment=payment,
                                             invoice=invoice, amount=Decimal("40.00"))
            ContactPointFactory(debtor=debtor, client=personas.client_a)

    # The debtor page also renders the panels of credit, compliance and scoring (one or two
    # queries each, whatever the number of rows) and the collections story (contacts, courtesy
    # calls, promises, plans, disputes and the open case: one query each, plus the plans'
    # instalments and the disputes' invoices when there are any).
    _assert_flat(as_manager, django_assert_num_queries,
                 lambda: f"/portfolio/debtors/{debtor.pk}/", add, ceiling=CEILING + 6 + 8)


def test_the_invoice_detail_page_does_not_grow(as_manager, personas, django_assert_num_queries):
    invoice = InvoiceFactory(debtor=DebtorFactory(client=personas.client_a),
                             amount=Decimal("1000.00"), status="disputed")

    def add(n: int) -> None:
        for _ in range(n):
            payment = PaymentFactory(debtor=invoice.debtor, amount=Decimal("1.00"),
                                     unallocated_amount=Decimal("0"))
            PaymentAllocation.objects.create(client=personas.client_a, payment=payment,
                                             invoice=invoice, amount=Decimal("1.00"))
            CreditNote.objects.create(client=personas.client_a, invoice=invoice,
                                      number=f"CN-{payment.pk}", amount=Decimal("1.00"),
                                      issue_date=dt.date(2026, 2, 1))

    _assert_flat(as_manager, django_assert_num_queries,
                 lambda: f"/portfolio/invoices/{invoice.pk}/", add)


def test_the_client_page_does_not_grow(as_manager, personas, django_assert_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            InvoiceFactory(debtor=DebtorFactory(client=personas.client_a),
                           due_date=dt.date(2026, 1, 1) + dt.timedelta(days=n * 7))

    _assert_flat(as_manager, django_assert_num_queries,
                 lambda: f"/portfolio/clients/{personas.client_a.pk}/", add)
