"""The explained priority: P(late) x overdue amount plus boosts, each component stated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from recovery.models import CollectionCase
from recovery.priority import (
    BROKEN_PROMISE_POINTS,
    UNSCORED_PROBABILITY,
    cases_prioritise,
    priority_explain,
)
from tests.recovery.factories import (
    CallbackFactory,
    CollectionCaseFactory,
    PromiseToPayFactory,
)
from tests.scoring.factories import DebtorScoreFactory

pytestmark = pytest.mark.django_db


def _codes(case: CollectionCase) -> list[str]:
    return [reason["code"] for reason in case.priority_reasons]


def test_the_expected_loss_uses_the_debtors_score() -> None:
    case = CollectionCaseFactory(overdue_amount=Decimal("1000.00"),
                                 oldest_due_date=timezone.localdate())
    DebtorScoreFactory(debtor=case.debtor, probability=Decimal("0.80000"))
    cases_prioritise(client_id=case.client_id)
    case.refresh_from_db()
    assert case.priority == Decimal("800.0000")
    assert case.priority_reasons[0]["code"] == "expected_loss"
    assert case.priority_reasons[0]["probability"] == "0.80000"


def test_an_unscored_debtor_counts_at_the_stated_default() -> None:
    case = CollectionCaseFactory(overdue_amount=Decimal("1000.00"),
                                 oldest_due_date=timezone.localdate())
    cases_prioritise(client_id=case.client_id)
    case.refresh_from_db()
    assert case.priority == Decimal("1000.00") * UNSCORED_PROBABILITY
    assert _codes(case) == ["expected_loss", "unscored"]


def test_days_overdue_and_stage_add_points() -> None:
    total, reasons = priority_explain(overdue=Decimal("100"), probability=Decimal("0.1"),
                                      days_overdue=30, stage="second_level",
                                      promise_due=False, callback_due=False,
                                      broken_promise=False)
    assert [r["code"] for r in reasons] == ["expected_loss", "days_overdue", "stage"]
    assert total == Decimal("10") + Decimal("60") + Decimal("500")


def test_a_broken_promise_puts_the_case_at_the_top() -> None:
    big = CollectionCaseFactory(overdue_amount=Decimal("900000.00"))
    small = CollectionCaseFactory(client=big.client, overdue_amount=Decimal("10.00"))
    PromiseToPayFactory(case=small, status="broken", evaluated_at=timezone.now())
    cases_prioritise(client_id=big.client_id)
    big.refresh_from_db()
    small.refresh_from_db()
    assert small.priority > big.priority > 0
    assert "broken_promise" in _codes(small)
    assert small.priority >= BROKEN_PROMISE_POINTS


def test_a_kept_promise_after_a_broken_one_ends_the_boost() -> None:
    case = CollectionCaseFactory()
    PromiseToPayFactory(case=case, status="broken", evaluated_at=timezone.now())
    PromiseToPayFactory(case=case, status="kept", evaluated_at=timezone.now(),
                        paid_amount=Decimal("100"))
    cases_prioritise(cases=[case])
    assert "broken_promise" not in _codes(case)


def test_callbacks_and_promises_falling_due_are_boosted() -> None:
    case = CollectionCaseFactory()
    CallbackFactory(case=case, due_at=timezone.now() - dt.timedelta(minutes=5))
    PromiseToPayFactory(case=case, promised_date=timezone.localdate())
    cases_prioritise(cases=[case])
    assert {"callback_due", "promise_due"} <= set(_codes(case))


def test_an_unchanged_case_is_not_written_again() -> None:
    case = CollectionCaseFactory()
    assert cases_prioritise(client_id=case.client_id) == 1
    assert cases_prioritise(client_id=case.client_id) == 0
