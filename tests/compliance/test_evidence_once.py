"""Evidence of a batch run is stored once per debtor, however often the run is resumed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from caring import planning
from caring.models import CourtesyCall
from compliance.engine import can_contact_many
from compliance.models import ContactDecision
from tests.caring.factories import CallableDebtorFactory, CaringPolicyFactory
from tests.compliance.factories import ROME, debtor_with_phone, local
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)


def test_a_batch_run_decided_again_stores_its_evidence_once():
    debtors = [debtor_with_phone()[0] for _ in range(3)]
    at = local(ROME, 2026, 3, 2, 10)

    can_contact_many(debtors, "call", at, purpose="caring plan", run_key="plan 1 2026-03-02")
    can_contact_many(debtors, "call", at, purpose="caring plan", run_key="plan 1 2026-03-02")

    assert ContactDecision.objects.count() == 3
    can_contact_many(debtors, "call", at, purpose="caring plan", run_key="plan 1 2026-03-03")
    assert ContactDecision.objects.count() == 6


def test_a_planning_run_killed_before_it_saved_its_slots_records_its_decisions_once():
    # Given a policy with ten debtors to call, planned once
    policy = CaringPolicyFactory(control_share=Decimal("0"))
    for _ in range(10):
        debtor = CallableDebtorFactory(client=policy.client)
        InvoiceFactory(debtor=debtor, due_date=MONDAY + dt.timedelta(days=2),
                       issue_date=MONDAY - dt.timedelta(days=28), amount=Decimal("100.00"))
    planning.plan_run(run_date=MONDAY, now=dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC))
    calls = CourtesyCall.objects.count()
    assert calls == 10
    assert ContactDecision.objects.filter(purpose="caring plan").count() == calls

    # When the run is killed after the engine stored its decisions but before the slots were
    # saved, and resumed later the same morning
    CourtesyCall.objects.update(scheduled_at=None)
    planning.plan_run(run_date=MONDAY, now=dt.datetime(2026, 3, 2, 8, 40, tzinfo=dt.UTC))

    # Then every call has its slot again and each decision is on record once
    assert not CourtesyCall.objects.filter(scheduled_at__isnull=True).exists()
    assert ContactDecision.objects.filter(purpose="caring plan").count() == calls
