"""Pure credit arithmetic: ratios and their trend, statement flags, the recommended limit.

No database here: every function takes plain figures, so each rule is unit-tested on numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Figures = Mapping[str, Decimal]
TWO = Decimal("0.01")


def _ratio(numerator: Decimal, denominator: Decimal, *, positive_denominator: bool = False
           ) -> Decimal | None:
    """numerator / denominator to two decimals; None ("n/a", never 0) when it has no meaning."""
    if denominator == 0 or (positive_denominator and denominator < 0):
        return None
    return (numerator / denominator).quantize(TWO, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RatioDef:
    key: str
    label: str | Promise  # both translated lazily, in the reader's language
    formula: str | Promise
    higher_is_better: bool
    percent: bool = False


RATIOS: tuple[RatioDef, ...] = (
    RatioDef("current", _("Current ratio"), _("current assets / current liabilities"), True),
    RatioDef("quick", _("Quick ratio"),
             _("(current assets - inventory) / current liabilities"), True),
    RatioDef("debt_to_equity", _("Debt to equity"), _("total debt / equity"), False),
    RatioDef("leverage", _("Leverage"), _("total debt / EBITDA"), False),
    RatioDef("ebitda_margin", _("EBITDA margin"), _("EBITDA / revenue"), True, percent=True),
    RatioDef("net_margin", _("Net margin"), _("net income / revenue"), True, percent=True),
    RatioDef("interest_cover", _("Interest cover"), _("EBITDA / interest expense"), True),
)


def ratios_compute(f: Figures) -> dict[str, Decimal | None]:
    """The seven ratios of one year. Debt to equity and leverage are n/a when equity or EBITDA
    is zero or negative: a negative multiple would read as "no debt" and mislead."""
    return {
        "current": _ratio(f["current_assets"], f["current_liabilities"]),
        "quick": _ratio(f["current_assets"] - f["inventory"], f["current_liabilities"]),
        "debt_to_equity": _ratio(f["total_debt"], f["equity"], positive_denominator=True),
        "leverage": _ratio(f["total_debt"], f["ebitda"], positive_denominator=True),
        "ebitda_margin": _ratio(f["ebitda"] * 100, f["revenue"]),
        "net_margin": _ratio(f["net_income"] * 100, f["revenue"]),
        "interest_cover": _ratio(f["ebitda"], f["interest_expense"]),
    }


@dataclass(frozen=True)
class Trend:
    key: str
    label: str
    formula: str
    percent: bool
    values: list[tuple[int, Decimal | None]]  # (fiscal year, value), oldest first
    direction: str  # "improving", "worsening", "stable" or "n/a"


def ratio_trends(years: Iterable[tuple[int, Figures]]) -> list[Trend]:
    """Each ratio across the years (oldest first) and whether it moved for the better.

    Direction compares the oldest and the newest year that have a value; a change of less than
    5% of the older value is "stable".
    """
    ordered = sorted(years, key=lambda pair: pair[0])
    computed = [(year, ratios_compute(figures)) for year, figures in ordered]
    trends = []
    for definition in RATIOS:
        values = [(year, ratios[definition.key]) for year, ratios in computed]
        known = [value for _year, value in values if value is not None]
        direction = "n/a"
        if len(known) >= 2:
            first, last = known[0], known[-1]
            if abs(last - first) <= abs(first) * Decimal("0.05"):
                direction = "stable"
            elif (last > first) == definition.higher_is_better:
                direction = "improving"
            else:
                direction = "worsening"
        trends.append(Trend(definition.key, str(definition.label), str(definition.formula),
                            definition.percent, values, direction))
    return trends


def statement_flags(f: Figures, *, fiscal_year: int, years_on_file: set[int],
                    is_latest: bool) -> list[dict[str, object]]:
    """Figures that deserve a second look. Flagged, never refused: the manager decides."""
    # Each flag keeps its figures in `params`: credit.texts says it in the reader's language;
    # `message` is the English sentence kept for the API and the record.
    flags: list[dict[str, object]] = []
    if f["current_assets"] < f["cash"] + f["inventory"]:
        flags.append({"code": "current_assets_below_parts",
                      "params": {"current_assets": str(f["current_assets"]),
                                 "cash": str(f["cash"]), "inventory": str(f["inventory"])},
                      "message": f"Current assets {f['current_assets']} are less than cash "
                                 f"{f['cash']} + inventory {f['inventory']}."})
    if f["equity"] < 0:
        flags.append({"code": "negative_equity", "params": {"equity": str(f["equity"])},
                      "message": f"Equity is negative ({f['equity']})."})
    if f["ebitda"] < f["net_income"] and f["interest_expense"] == 0 and f["net_income"] > 0:
        flags.append({"code": "income_above_ebitda",
                      "params": {"net_income": str(f["net_income"]), "ebitda": str(f["ebitda"])},
                      "message": f"Net income {f['net_income']} exceeds EBITDA {f['ebitda']} "
                                 "with no interest expense."})
    if is_latest:
        span = range(fiscal_year - 2, fiscal_year + 1)
        missing = [year for year in span if year not in years_on_file]
        if missing:
            flags.append({"code": "missing_year",
                          "params": {"years": missing, "start": span[0], "end": span[-1]},
                          "message": f"Fiscal year{'s' if len(missing) > 1 else ''} "
                                     f"{', '.join(map(str, missing))} missing from the "
                                     f"three-year span {span[0]}-{span[-1]}."})
    return flags


# --- Recommendation --------------------------------------------------------------------------
# The documented rule (docs/credit.md): the smaller of 10% of the latest revenue and
# 30% of the latest equity, times the score band's factor, capped by the band's ceiling, rounded
# down to a thousand. A debtor without a score gets half the base and band D's cap; negative
# equity or no statements give no recommendation above zero.
REVENUE_SHARE = Decimal("0.10")
EQUITY_SHARE = Decimal("0.30")
BAND_FACTOR = {"A": Decimal("1.00"), "B": Decimal("0.80"), "C": Decimal("0.60"),
               "D": Decimal("0.30"), "E": Decimal("0")}
BAND_CAP = {"A": Decimal("500000"), "B": Decimal("250000"), "C": Decimal("100000"),
            "D": Decimal("25000"), "E": Decimal("0")}
NO_SCORE_FACTOR = Decimal("0.50")
NO_SCORE_CAP = BAND_CAP["D"]
RULE_TEXT = ("min(10% of revenue, 30% of equity) of the latest year * band factor "
             "(A 100%, B 80%, C 60%, D 30%, E 0%), capped by band (A 500,000, B 250,000, "
             "C 100,000, D 25,000, E 0), rounded down to 1,000")


def _money(value: Decimal) -> str:
    return f"{value.quantize(TWO):,}"


def _step(key: str, label: str, shown: str, **params: object) -> dict[str, object]:
    """One step of the recommendation: `label` and `value` in English for the record and the
    API, `key` and `params` for credit.texts to say it in the reader's language."""
    return {"key": key, "params": {name: str(param) for name, param in params.items()},
            "label": label, "value": shown}


def recommend(*, latest: tuple[int, Figures] | None, band: str | None) -> dict[str, object]:
    """The recommended limit and every step that led to it, in words and numbers."""
    steps: list[dict[str, object]] = []
    if latest is None:
        steps.append(_step("no_statements", "No financial statements on file",
                           "no recommendation"))
        return {"rule": RULE_TEXT, "steps": steps, "amount": None}
    year, f = latest
    by_revenue = f["revenue"] * REVENUE_SHARE
    by_equity = max(f["equity"], Decimal("0")) * EQUITY_SHARE
    steps.append(_step("revenue_share", f"10% of {year} revenue {_money(f['revenue'])}",
                       _money(by_revenue), year=year, revenue=f["revenue"],
                       value=by_revenue.quantize(TWO)))
    steps.append(_step("equity_share_negative" if f["equity"] < 0 else "equity_share",
                       f"30% of {year} equity {_money(f['equity'])}"
                       + (" (negative: counted as 0)" if f["equity"] < 0 else ""),
                       _money(by_equity), year=year, equity=f["equity"],
                       value=by_equity.quantize(TWO)))
    base = min(by_revenue, by_equity)
    steps.append(_step("base", "Base: the smaller of the two", _money(base),
                       value=base.quantize(TWO)))
    if band in BAND_FACTOR:
        factor, cap = BAND_FACTOR[band], BAND_CAP[band]
        steps.append(_step("band_factor", f"Score band {band}: factor {factor * 100:.0f}%",
                           _money(base * factor), band=band, factor=f"{factor * 100:.0f}",
                           value=(base * factor).quantize(TWO)))
    else:
        factor, cap = NO_SCORE_FACTOR, NO_SCORE_CAP
        steps.append(_step("no_score", "No score: factor 50%", _money(base * factor),
                           value=(base * factor).quantize(TWO)))
    amount = min(base * factor, cap)
    steps.append(_step("cap", f"Capped at {_money(cap)}", _money(amount), cap=cap.quantize(TWO),
                       value=amount.quantize(TWO)))
    amount = (amount / 1000).to_integral_value(rounding=ROUND_DOWN) * 1000
    amount = amount.quantize(TWO)
    steps.append(_step("rounded", "Rounded down to a thousand", _money(amount), value=amount))
    return {"rule": RULE_TEXT, "steps": steps, "amount": str(amount)}
