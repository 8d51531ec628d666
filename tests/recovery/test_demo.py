"""The demo opens cases and writes desk history so every collections screen has something."""

from __future__ import annotations

import datetime as dt

import pytest

from portfolio.demo import demo_portfolio_create
from portfolio.demo_users import demo_users_create
from portfolio.models import PaymentReversal
from recovery.demo import recovery_demo_create
from recovery.models import (
    Callback,
    CaseStageChange,
    CollectionCase,
    CollectionContact,
    Dispute,
    PaymentPlan,
    PromiseToPay,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def test_the_demo_has_cases_and_history_on_first_start() -> None:
    clients = demo_portfolio_create(seed=5, today=TODAY, invoices=2_000, method="orm")
    demo_users_create(clients=clients)

    counts = recovery_demo_create(today=TODAY)

    assert counts["opened"] == CollectionCase.objects.count() > 0
    assert counts["contacts"] == CollectionContact.objects.count() >= 10
    outcomes = {o for row in CollectionContact.objects.values_list("outcomes", flat=True)
                for o in row}
    assert {"promise_to_pay", "dispute_logged", "callback_requested",
            "payment_plan_agreed"} <= outcomes
    statuses = set(PromiseToPay.objects.values_list("status", flat=True))
    assert {"kept", "broken"} <= statuses
    assert PaymentPlan.objects.filter(status="active").exists()
    assert Dispute.objects.filter(status="open").exists()
    callback = Callback.objects.get(status="pending", agent__username="agent")
    assert callback.due_at.date() == TODAY
    # The team dashboard's callbacks-on-time figure has one kept and one late callback per client.
    lateness = [callback.done_at - callback.due_at
                for callback in Callback.objects.filter(status="done")
                if callback.done_at is not None]
    assert {late <= dt.timedelta(minutes=15) for late in lateness} == {True, False}
    assert CaseStageChange.objects.filter(to_stage="second_level").exists()
    assert PaymentReversal.objects.filter(reason="bounced").exists()
    broken_promise = PromiseToPay.objects.filter(status="broken").first()
    assert broken_promise is not None
    broken = broken_promise.case
    assert "broken_promise" in [r["code"] for r in broken.priority_reasons]

    again = recovery_demo_create(today=TODAY)
    assert again == {"opened": 0, "contacts": 0}
