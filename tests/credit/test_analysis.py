"""Ratios, their trend and the recommended limit, on numbers."""

from decimal import Decimal

from credit import analysis

YEAR = {"revenue": Decimal("1000000"), "ebitda": Decimal("150000"),
        "net_income": Decimal("60000"), "equity": Decimal("400000"),
        "total_debt": Decimal("300000"), "current_assets": Decimal("500000"),
        "current_liabilities": Decimal("250000"), "cash": Decimal("100000"),
        "inventory": Decimal("150000"), "interest_expense": Decimal("20000")}


def test_the_seven_ratios():
    ratios = analysis.ratios_compute(YEAR)

    assert ratios == {
        "current": Decimal("2.00"), "quick": Decimal("1.40"),
        "debt_to_equity": Decimal("0.75"), "leverage": Decimal("2.00"),
        "ebitda_margin": Decimal("15.00"), "net_margin": Decimal("6.00"),
        "interest_cover": Decimal("7.50"),
    }


def test_ratios_without_meaning_are_na_not_zero():
    ratios = analysis.ratios_compute({**YEAR, "equity": Decimal("-5"), "ebitda": Decimal("0"),
                                      "current_liabilities": Decimal("0")})

    assert ratios["debt_to_equity"] is None
    assert ratios["leverage"] is None
    assert ratios["current"] is None
    assert ratios["interest_cover"] == Decimal("0.00")


def test_the_trend_says_which_way_each_ratio_moved():
    worse = {**YEAR, "total_debt": Decimal("600000"), "ebitda": Decimal("100000")}
    trends = {trend.key: trend for trend in analysis.ratio_trends(
        [(2025, worse), (2023, YEAR), (2024, YEAR)])}

    assert [year for year, _value in trends["leverage"].values] == [2023, 2024, 2025]
    assert trends["leverage"].direction == "worsening"  # 2.00 -> 6.00, lower is better
    assert trends["ebitda_margin"].direction == "worsening"
    assert trends["current"].direction == "stable"


def test_the_recommendation_shows_each_step():
    result = analysis.recommend(latest=(2025, YEAR), band="B")

    # min(10% of 1,000,000 = 100,000; 30% of 400,000 = 120,000) = 100,000; x 80% = 80,000
    assert result["amount"] == "80000.00"
    steps = result["steps"]
    assert isinstance(steps, list)
    labels = [step["label"] for step in steps]
    assert labels[0] == "10% of 2025 revenue 1,000,000.00"
    assert "Score band B: factor 80%" in labels
    assert steps[-1]["value"] == "80,000.00"


def test_the_band_caps_and_a_missing_score_halves():
    big = {**YEAR, "revenue": Decimal("90000000"), "equity": Decimal("90000000")}

    assert analysis.recommend(latest=(2025, big), band="C")["amount"] == "100000.00"
    assert analysis.recommend(latest=(2025, YEAR), band=None)["amount"] == "25000.00"
    assert analysis.recommend(latest=(2025, YEAR), band="E")["amount"] == "0.00"
    assert analysis.recommend(latest=None, band="A")["amount"] is None
