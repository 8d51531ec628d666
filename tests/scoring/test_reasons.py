"""Reasons are worded from the debtor's values, worst first, and translated."""

import json

import numpy as np

from scoring.reasons import reason_lines, reason_text, reasons_compact


def test_it_words_late_payments_from_the_counts():
    text = reason_text("late_share_12m", {"value": 4 / 6, "late": 4, "due": 6})
    assert text == "paid 4 of the last 6 invoices more than 30 days late"


def test_it_puts_the_factor_that_lowered_the_score_most_first_and_skips_neutral_ones():
    impacts = {"late_share_12m": np.array([-12.0]), "overdue_days_max": np.array([-40.0]),
               "tenure_months": np.array([0.0])}
    features = {"late_share_12m": np.array([0.5]), "late_count_12m": np.array([2.0]),
                "due_count_12m": np.array([4.0]), "overdue_days_max": np.array([75.0]),
                "tenure_months": np.array([30.0])}
    [reasons] = [reason_lines(json.loads(text)) for text in reasons_compact(impacts, features)]
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


def test_compact_reasons_are_json_whatever_the_values():
    import json

    from scoring.reasons import reasons_compact

    impacts = {"sector": np.array([-20.0, -20.0]), "exposure_ratio": np.array([-10.0, 0.0])}
    features = {"sector": np.array(['caffè "bar"\\', ""], dtype=object),
                "exposure_ratio": np.array([np.inf, np.nan])}
    first, second = (json.loads(text) for text in reasons_compact(impacts, features))
    assert first == [["sector", -20, 'caffè "bar"\\'], ["exposure_ratio", -10, None]]
    assert second == [["sector", -20, ""]]


def test_the_copy_text_doubles_backslashes_only_in_reasons():
    import datetime as dt

    from scoring.models import ScoringModel
    from scoring.services import scores_copy_text

    model = ScoringModel(pk=7, client_id=3)  # never saved: the text needs only the two ids

    text = scores_copy_text(model=model, as_of=dt.date(2026, 6, 30),
                            debtor_ids=np.array([11]), probability=np.array([0.12345]),
                            points=np.array([512]), bands=["D"], reasons=['[["x",-1,"a\\\\b"]]'],
                            created_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    assert text == ('3\t11\t7\t2026-06-30\t0.12345\t512\tD\t[["x",-1,"a\\\\\\\\b"]]\t'
                    '2026-07-01T00:00:00+00:00\n')
