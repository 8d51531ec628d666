"""A small portfolio for client A (and one for client B) whose every figure is known by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from experience.models import Programme, Response, Survey
from portfolio.models import Debtor, Invoice
from tests.factories import DebtorFactory, InvoiceFactory, PaymentFactory
from tests.recovery.factories import (
    CollectionCaseFactory,
    CollectionContactFactory,
    DisputedInvoiceFactory,
    DisputeFactory,
    PaymentPlanFactory,
    PromiseToPayFactory,
)

AS_OF = dt.date(2026, 3, 15)
AT = dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.UTC)


@dataclass
class Book:
    rossi: Debtor
    verdi: Debtor
    bianchi: Debtor  # client B's


def _answer(debtor: Debtor, nps: int, kind: str = "transactional") -> Response:
    """An answered survey of `kind` (the database wants every non-competitive answer to come
    from a survey)."""
    trigger = "collection_contact" if kind == "transactional" else "relational_sample"
    programme, _created = Programme.objects.get_or_create(client=debtor.client, kind=kind)
    survey = Survey.objects.create(client=debtor.client, programme=programme, debtor=debtor,
                                   kind=kind, trigger=trigger, status="answered", due_at=AT,
                                   answered_at=AT)
    return Response.objects.create(client=debtor.client, kind=kind, survey=survey,
                                   debtor=debtor, nps=nps, answered_at=AT, trigger=trigger,
                                   language="it")


@pytest.fixture
def book(personas) -> Book:
    """As of 2026-03-15, client A has:
    - Rossi: 100.00 not yet due, 300.00 33 days overdue, 200.00 left of 500.00 73 days overdue;
      an open case with a contact (staff notes, mood) and a promise of 120.00 for 2026-03-18;
    - Verdi: 1,000.00 disputed (an open dispute), an active payment plan and a promise of 80.00
      for 2026-04-30;
    - payments of 150.00 (2026-03-10), 70.00 (2026-01-20) and 999.00 (2025-11-01);
    - transactional answers 10, 9, 8, 3 and a relational 0 (never counted with them).
    Client B has Bianchi with 7,777.77 open and a 8,888.88 payment."""
    a, b = personas.client_a, personas.client_b
    rossi = DebtorFactory(client=a, name="Idraulica Rossi S.r.l.", external_ref="ROSSI",
                          city="Milano")
    verdi = DebtorFactory(client=a, name="Verdi Costruzioni S.p.A.", external_ref="VERDI")
    bianchi = DebtorFactory(client=b, name="Ferramenta Bianchi S.p.A.", external_ref="BIANCHI")
    InvoiceFactory(debtor=rossi, number="A-1", issue_date=dt.date(2026, 2, 20),
                   due_date=dt.date(2026, 3, 20), amount=Decimal("100.00"))
    InvoiceFactory(debtor=rossi, number="A-2", issue_date=dt.date(2026, 1, 10),
                   due_date=dt.date(2026, 2, 10), amount=Decimal("300.00"))
    InvoiceFactory(debtor=rossi, number="A-3", issue_date=dt.date(2025, 12, 1),
                   due_date=dt.date(2026, 1, 1), amount=Decimal("500.00"),
                   open_balance=Decimal("200.00"), status=Invoice.Status.PARTIALLY_PAID)
    disputed = InvoiceFactory(debtor=verdi, number="A-4", issue_date=dt.date(2026, 1, 28),
                              due_date=dt.date(2026, 2, 28), amount=Decimal("1000.00"),
                              status=Invoice.Status.DISPUTED)
    InvoiceFactory(debtor=verdi, number="A-5", amount=Decimal("40.00"),
                   open_balance=Decimal("0.00"), status=Invoice.Status.PAID)
    InvoiceFactory(debtor=bianchi, number="B-1", amount=Decimal("7777.77"))
    for value_date, amount in ((dt.date(2026, 3, 10), "150.00"), (dt.date(2026, 1, 20), "70.00"),
                               (dt.date(2025, 11, 1), "999.00")):
        PaymentFactory(debtor=rossi, value_date=value_date, amount=Decimal(amount))
    PaymentFactory(debtor=bianchi, value_date=dt.date(2026, 3, 10), amount=Decimal("8888.88"))

    case = CollectionCaseFactory(debtor=rossi)
    CollectionContactFactory(case=case, notes="STAFF-ONLY note about the debtor",
                             mood_start="angry", mood_end="calm",
                             empathy_markers=["options_offered"],
                             outcomes=["promise_to_pay"], saved_at=AT,
                             opened_at=AT - dt.timedelta(minutes=4))
    PromiseToPayFactory(case=case, amount=Decimal("120.00"),
                        promised_date=dt.date(2026, 3, 18))
    verdi_case = CollectionCaseFactory(debtor=verdi, status="closed",
                                       closed_at=AT, close_reason="manual")
    PromiseToPayFactory(case=verdi_case, amount=Decimal("80.00"),
                        promised_date=dt.date(2026, 4, 30))
    PaymentPlanFactory(case=verdi_case, status="active", total=Decimal("1000.00"))
    dispute = DisputeFactory(case=verdi_case)
    DisputedInvoiceFactory(dispute=dispute, invoice=disputed, amount=Decimal("1000.00"))
    bianchi_case = CollectionCaseFactory(debtor=bianchi)
    PromiseToPayFactory(case=bianchi_case, amount=Decimal("6666.66"),
                        promised_date=dt.date(2026, 3, 16))
    for score in (10, 9, 8, 3):
        _answer(rossi, score)
    _answer(verdi, 0, kind="relational")
    for score in (0, 0, 0):
        _answer(bianchi, score)
    return Book(rossi=rossi, verdi=verdi, bianchi=bianchi)
