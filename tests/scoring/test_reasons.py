"""Reasons are worded from the debtor's values, worst first, and translated."""

import numpy as np

from scoring.reasons import reason_text, reasons_for_rows


def test_it_words_late_payments_from_the_counts():
    text = reason_text("late_share_12m", {"value": 4 / 6, "late": 4, "due": 6})
    assert text == "paid 4 of the last 6 invoices more than 30 days late"


def test_it_puts_the_factor_that_lowered_the_score_most_first_and_skips_neutral_ones():
    impacts = {"late_share_12m": np.array([-12.0]), "overdue_days_max": np.array([-40.0]),
               "tenure_months": np.array([0.0])}
    features = {"late_share_12m": np.array([0.5]), "late_count_12m": np.array([2.0]),
                "due_count_12m": np.array([4.0]), "overdue_days_max": np.array([75.0]),
                "tenure_months": np.array([30.0])}
    [reasons] = reasons_for_rows(impacts, features)
    assert [r["code"] for r in reasons] == ["overdue_days_max", "late_share_12m"]
    assert reasons[0]["text"] == "oldest unpaid invoice is 75 days past due"
    assert reasons[0]["impact"] == -40
    assert reasons[1]["text"] == "paid 2 of the last 4 invoices more than 30 days late"


def test_it_words_exposure_against_the_credit_limit():
    assert reason_text("exposure_ratio", {"value": None}) == "no credit limit set"
    assert reason_text("exposure_ratio", {"value": 1.25}) == "exposure is 125% of the credit limit"


def test_it_words_reasons_in_italian_for_an_italian_reader():
    from django.utils import translation

    with translation.override("it"):
        text = reason_text("late_share_12m", {"value": 4 / 6, "late": 4, "due": 6})
    assert text == "ha pagato 4 delle ultime 6 fatture con oltre 30 giorni di ritardo"
