"""The strategy comparison: figures per strategy and verdicts only when the interval excludes
zero."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from experience import reports, strategies
from tests.experience.scenario import answer, case_with_cash
from tests.recovery.factories import PromiseToPayFactory

pytestmark = pytest.mark.django_db


def _compare(user, **kwargs):
    report = reports.report_filter_build(user=user, start=dt.date(2026, 1, 1),
                                         end=dt.date(2026, 3, 31), **kwargs)
    return strategies.strategy_comparison(user=user, report=report)


def _by(result, measure, currency=""):
    return next(c for c in result.comparisons if c.measure == measure
                and c.currency == currency)


def test_newcombe_interval_matches_the_published_example():
    # Newcombe 1998, table II, example (a), method 10: 56/70 - 48/80 = 0.2, [0.0524, 0.3339].
    interval = strategies.proportion_difference_interval(56, 70, 48, 80)
    assert interval is not None
    low, high = interval

    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_the_ratio_interval_is_zero_width_when_every_case_recovers_the_same_share():
    # Cases (cash, placed): (3, 10), (6, 20), (9, 30): each recovered 30%.
    sums = strategies.RatioSums(n=3, sum_y=18, sum_x=60, sum_yy=126, sum_xx=1400, sum_xy=420)
    spread = strategies.RatioSums(n=2, sum_y=10, sum_x=20, sum_yy=100, sum_xx=200, sum_xy=100)

    assert sums.ratio == pytest.approx(0.3)
    assert sums.variance == pytest.approx(0, abs=1e-12)
    # (10, 10) and (0, 10): R = 0.5, residuals 5 and -5: 50 / (2 * 1 * 100).
    assert spread.variance == pytest.approx(0.25)


def test_each_strategy_shows_its_cases_cash_promises_losses_and_nps(personas):
    client = personas.client_a
    kept = case_with_cash(client=client, strategy="empathetic", cash=("60.00",),
                          overdue="40.00")
    case_with_cash(client=client, strategy="empathetic", cash=("10.00",), overdue="90.00")
    lost = case_with_cash(client=client, strategy="standard", cash=("5.00",), written_off="95.00")
    PromiseToPayFactory(case=kept, status="kept", evaluated_at=kept.opened_at)
    PromiseToPayFactory(case=lost, status="broken", evaluated_at=lost.opened_at)
    PromiseToPayFactory(case=lost, status="cancelled")
    answer(case=kept, nps=10)
    answer(case=lost, nps=2)
    case_with_cash(client=personas.client_b, strategy="standard", cash=("500.00",))

    result = _compare(personas.credit_manager)

    rows = {row.strategy: row for row in result.rows}
    empathetic, standard = rows["empathetic"], rows["standard"]
    assert empathetic.cases == 2 and standard.cases == 1
    assert empathetic.money[0].cash_recovered == Decimal("70.00")
    assert empathetic.money[0].recovery_rate == pytest.approx(70 / 200)
    assert standard.money[0].recovery_rate == pytest.approx(5 / 100)
    assert (empathetic.promise_kept_rate, standard.promise_kept_rate) == (1, 0)
    assert standard.customers_lost == 1 and standard.money[0].customers_lost_value == 95
    assert (empathetic.nps.score, standard.nps.score) == (100, -100)
    # Two and one cases say nothing yet: no verdict, and how many cases would.
    cash = _by(result, "cash_rate", "EUR")
    assert not cash.clear or cash.interval is None
    assert "No clear difference" in _by(result, "customers_lost_rate").verdict


def test_a_clear_difference_gets_a_verdict_with_its_interval(personas):
    client = personas.client_a
    for n in range(40):
        good = case_with_cash(client=client, strategy="empathetic",
                              cash=("70.00" if n % 4 else "50.00",), overdue="30.00")
        case_with_cash(client=client, strategy="standard", cash=("30.00" if n % 4 else "40.00",),
                       overdue="70.00")
        answer(case=good, nps=10 if n % 5 else 8)

    result = _compare(personas.credit_manager)

    cash = _by(result, "cash_rate", "EUR")
    assert cash.clear
    assert cash.difference == pytest.approx(100 * (2600 / 3800 - 1300 / 4100))
    assert cash.verdict.startswith("The empathetic strategy recovers more cash: +36.7 "
                                   "percentage points (95% interval ")
    nps = _by(result, "nps")
    assert nps.verdict == "Not enough data to compare yet."  # no standard answers


def test_no_clear_difference_says_how_many_cases_would_tell(personas):
    client = personas.client_a
    for n in range(10):
        case_with_cash(client=client, strategy="empathetic", cash=("50.00",),
                       written_off="50.00" if n < 3 else None)
        case_with_cash(client=client, strategy="standard", cash=("50.00",),
                       written_off="50.00" if n < 2 else None)

    lost = _by(_compare(personas.credit_manager), "customers_lost_rate")

    assert not lost.clear
    assert lost.difference == pytest.approx(10.0)
    assert lost.cases_needed is not None and lost.cases_needed > 10
    low, high = lost.interval
    half = (high - low) / 2
    assert lost.cases_needed == math.ceil(10 * (half / 10) ** 2)
    assert "cases per strategy would be needed" in lost.verdict


def test_an_outsider_compares_only_their_own_client(personas):
    case_with_cash(client=personas.client_a, strategy="empathetic", cash=("60.00",))

    result = _compare(personas.viewer_b)

    assert all(row.cases == 0 for row in result.rows)
