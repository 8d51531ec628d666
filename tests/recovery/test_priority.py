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
from tests.factories import DebtorFactory
from tests.recovery.factories import (
    CallbackFactory,
    CollectionCaseFactory,
    PromiseToPayFactory,
)
from tests.scoring.factories import DebtorScoreFactory, ScoringModelFactory

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


def test_a_named_case_uses_the_score_the_chunks_use() -> None:
    # Given a debtor scored by a challenger, the all-debtor champion (twice) and the champion
    # of its own segment, and a second debtor scored only by the all-debtor champion
    case = CollectionCaseFactory(overdue_amount=Decimal("1000.00"),
                                 oldest_due_date=timezone.localdate())
    other = CollectionCaseFactory(debtor=DebtorFactory(client=case.client),
                                  overdue_amount=Decimal("1000.00"),
                                  oldest_due_date=timezone.localdate())
    kind = case.debtor.kind
    everyone = ScoringModelFactory(client=case.client, status="champion")
    own_segment = ScoringModelFactory(client=case.client, status="champion", segment=kind)
    challenger = ScoringModelFactory(client=case.client, status="challenger", segment=kind)
    DebtorScoreFactory(debtor=case.debtor, model=everyone, as_of=dt.date(2026, 3, 1),
                       probability=Decimal("0.90000"))
    DebtorScoreFactory(debtor=case.debtor, model=own_segment, as_of=dt.date(2026, 1, 1),
                       probability=Decimal("0.20000"))
    DebtorScoreFactory(debtor=case.debtor, model=challenger, as_of=dt.date(2026, 4, 1),
                       probability=Decimal("0.70000"))
    DebtorScoreFactory(debtor=other.debtor, model=everyone, as_of=dt.date(2026, 1, 1),
                       probability=Decimal("0.30000"))
    DebtorScoreFactory(debtor=other.debtor, model=everyone, as_of=dt.date(2026, 2, 1),
                       probability=Decimal("0.40000"))

    # When they are prioritised by name, and then as the client's chunk
    cases_prioritise(cases=[case, other])
    named = [(c.priority, c.priority_reasons) for c in (case, other)]
    CollectionCase.objects.filter(pk__in=[case.pk, other.pk]).update(priority=0,
                                                                     priority_reasons=[])
    cases_prioritise(client_id=case.client_id)

    # Then both read the own segment's champion first, then the newest all-debtor score
    for c in (case, other):
        c.refresh_from_db()
    assert [(c.priority, c.priority_reasons) for c in (case, other)] == named
    assert [c.priority_reasons[0]["probability"] for c in (case, other)] == ["0.20000",
                                                                           "0.40000"]
