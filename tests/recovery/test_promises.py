"""Promises to pay are judged after their grace days (SPEC §3): kept, partially kept or broken
by the payments made between the promise and its date + grace; broken ones go to the top."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from recovery import services, tasks
from recovery.models import PromiseToPay
from tests.factories import PaymentFactory
from tests.recovery.factories import CollectionCaseFactory, PromiseToPayFactory

pytestmark = pytest.mark.django_db

MADE = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DUE = dt.date(2026, 3, 10)
JUDGED_ON = DUE + dt.timedelta(days=4)  # the day after the three grace days


def _promise(**kwargs) -> PromiseToPay:
    case = kwargs.pop("case", None) or CollectionCaseFactory(next_action_at=MADE,
                                                              next_action_reason="waiting")
    return PromiseToPayFactory(case=case, amount=Decimal("100.00"), promised_date=DUE,
                               created_at=MADE, **kwargs)


def _pay(promise: PromiseToPay, amount: str, day: dt.date) -> None:
    PaymentFactory(debtor=promise.debtor, client=promise.client, amount=Decimal(amount),
                   value_date=day, unallocated_amount=Decimal(amount))


@pytest.mark.parametrize(("payments", "status", "paid"), [
    ([("100.00", DUE)], "kept", "100.00"),
    ([("60.00", MADE.date()), ("40.00", DUE + dt.timedelta(days=3))], "kept", "100.00"),
    ([("40.00", DUE)], "partially_kept", "40.00"),
    ([], "broken", "0"),
    ([("100.00", DUE + dt.timedelta(days=4))], "broken", "0"),  # after the grace days
    ([("100.00", MADE.date() - dt.timedelta(days=1))], "broken", "0"),  # before the promise
])
def test_a_matured_promise_is_judged_by_the_payments_in_its_window(payments, status,
                                                                     paid) -> None:
    promise = _promise()
    for amount, day in payments:
        _pay(promise, amount, day)

    counts = services.promises_evaluate(as_of=JUDGED_ON)

    promise.refresh_from_db()
    assert (promise.status, promise.paid_amount) == (status, Decimal(paid))
    assert promise.evaluated_at is not None
    assert counts == {status: 1}


def test_a_lower_threshold_keeps_a_promise_paid_in_part() -> None:
    promise = _promise(threshold=Decimal("0.5"))
    _pay(promise, "60.00", DUE)
    services.promises_evaluate(as_of=JUDGED_ON)
    promise.refresh_from_db()
    assert promise.status == "kept"


def test_a_promise_still_in_its_grace_days_waits() -> None:
    promise = _promise()
    assert services.promises_evaluate(as_of=JUDGED_ON - dt.timedelta(days=1)) == {}
    promise.refresh_from_db()
    assert promise.status == "pending"


def test_a_broken_promise_puts_its_case_at_the_top_at_once() -> None:
    promise = _promise()
    other = CollectionCaseFactory(client=promise.client, overdue_amount=Decimal("99999.00"))
    services.promises_evaluate(as_of=JUDGED_ON)
    case = promise.case
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.next_action_at is None  # workable now
    assert "broken_promise" in [reason["code"] for reason in case.priority_reasons]
    assert case.priority > other.priority


def test_judging_twice_judges_nothing_twice() -> None:
    _promise()
    assert services.promises_evaluate(as_of=JUDGED_ON) == {"broken": 1}
    assert tasks.promises_evaluate_task(run_date=JUDGED_ON.isoformat()) == {}


def test_superseded_and_cancelled_promises_are_not_judged() -> None:
    _promise(status="superseded")
    _promise(status="cancelled")
    assert services.promises_evaluate(as_of=JUDGED_ON) == {}
