"""SPEC §4 arithmetic and the comment-theme lexicon."""

import pytest

from experience.stats import ces_summary, csat_summary, difference_interval, nps_summary
from experience.themes import themes_for


def test_spec_vector_60_25_15_gives_45_with_its_adjusted_wald_interval():
    summary = nps_summary(promoters=60, passives=25, detractors=15)

    assert summary.n == 100
    assert summary.score == 45
    assert summary.interval is not None
    low, high = summary.interval
    assert round(low, 1) == 29.3
    assert round(high, 1) == 58.0


def test_scores_are_categorised_at_the_spec_boundaries():
    summary = nps_summary([0, 6, 7, 8, 9, 10])

    assert (summary.detractors, summary.passives, summary.promoters) == (2, 2, 2)


@pytest.mark.parametrize("bad", [-1, 11])
def test_a_score_outside_0_to_10_is_refused(bad):
    with pytest.raises(ValueError, match="outside 0-10"):
        nps_summary([5, bad])


def test_no_answers_give_no_score_and_few_answers_are_not_enough():
    assert nps_summary([]).score is None
    assert nps_summary([]).interval is None
    assert not nps_summary([10] * 29).enough
    assert nps_summary([10] * 30).enough


def test_the_interval_stays_inside_minus_100_to_100():
    interval = nps_summary([10, 10, 10]).interval
    assert interval is not None
    low, high = interval

    assert -100 <= low < high <= 100


def test_ces_and_csat_report_mean_and_top_box():
    ces = ces_summary([7, 5, 4, 1])
    csat = csat_summary([5, 4, 3, 2])

    assert (ces.mean, ces.top_share) == (4.25, 0.5)
    assert (csat.mean, csat.top_share) == (3.5, 0.5)


def test_a_clear_difference_has_an_interval_above_zero_and_a_small_one_does_not():
    better = nps_summary(promoters=300, passives=100, detractors=100)
    worse = nps_summary(promoters=100, passives=100, detractors=300)
    close = nps_summary(promoters=110, passives=100, detractors=290)

    apart = difference_interval(better, worse)
    assert apart is not None and apart[0] > 0
    near = difference_interval(close, worse)
    assert near is not None
    low, high = near
    assert low < 0 < high


@pytest.mark.parametrize(("comment", "expected"), [
    ("Operatore gentilissimo, mi ha proposto una rateizzazione", ["empathy", "flexibility"]),
    ("Too many calls and a rude agent", ["pressure"]),
    ("La fattura era sbagliata", ["billing"]),
    ("Perché nessuno risponde mai?", ["reachability"]),
    ("PERCHÉ così VELOCE", ["speed"]),
    ("ok", []),
])
def test_comment_themes_follow_the_lexicon(comment, expected):
    assert themes_for(comment) == expected
