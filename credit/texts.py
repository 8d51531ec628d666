"""What credit says to people: amounts formatted by locale and the rule texts, in the language
of whoever reads them.

The record stores facts (codes, amounts, bands), not sentences; the sentences are made here when
a page or a message is rendered, so an Italian credit manager reads Italian and "40.000,00" and
an English one reads English and "40,000.00" from the same row.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from portfolio.templatetags import formatting


def number(value: Decimal | int | float | str | None, decimals: int = 2) -> str:
    """A figure with the active locale's separators (Italian 40.000,00; English 40,000.00)."""
    return formatting.number(value, decimals)


def money(value: Decimal | int | float | str | None, currency: str) -> str:
    """An amount as every page writes it (portfolio's formatting): 40.000,00 € / €40,000.00."""
    return formatting.money(value, currency)


def percent(value: Decimal | str | None, decimals: int = 1) -> str:
    """A value already in percent (12.5 -> "12.5%")."""
    return "—" if value is None else f"{number(value, decimals)}%"


# --- The recommendation --------------------------------------------------------------------

RULE = _lazy(
    "min(10% of revenue, 30% of equity) of the latest year x band factor (A 100%, B 80%, "
    "C 60%, D 30%, E 0%), capped by band (A 500,000, B 250,000, C 100,000, D 25,000, E 0), "
    "rounded down to 1,000")


def _step_label(key: str, params: dict[str, str], currency: str) -> str | None:
    p = params
    labels = {
        "no_statements": lambda: _("No financial statements on file"),
        "revenue_share": lambda: _("10%% of %(year)s revenue %(revenue)s") % {
            "year": p["year"], "revenue": money(p["revenue"], currency)},
        "equity_share": lambda: _("30%% of %(year)s equity %(equity)s") % {
            "year": p["year"], "equity": money(p["equity"], currency)},
        "equity_share_negative": lambda: _(
            "30%% of %(year)s equity %(equity)s (negative: counted as 0)") % {
            "year": p["year"], "equity": money(p["equity"], currency)},
        "base": lambda: _("Base: the smaller of the two"),
        "band_factor": lambda: _("Score band %(band)s: factor %(factor)s%%") % {
            "band": p["band"], "factor": p["factor"]},
        "no_score": lambda: _("No score: factor 50%"),
        "cap": lambda: _("Capped at %(cap)s") % {"cap": money(p["cap"], currency)},
        "rounded": lambda: _("Rounded down to a thousand"),
    }
    render = labels.get(key)
    return None if render is None else str(render())


def recommendation_steps(recommendation: dict[str, Any] | None,
                         currency: str) -> list[dict[str, str]]:
    """The steps of a stored recommendation in the reader's language and number format.
    Steps stored before they carried a key are shown as they were written."""
    steps = []
    for step in (recommendation or {}).get("steps", []):
        params = step.get("params") or {}
        label = _step_label(step.get("key", ""), params, currency) if "key" in step else None
        if label is None:
            steps.append({"label": step.get("label", ""), "value": step.get("value", "")})
            continue
        value = (money(params["value"], currency) if "value" in params
                 else str(_("no recommendation")))
        steps.append({"label": label, "value": value})
    return steps


# --- Statement flags -----------------------------------------------------------------------

def flag_message(flag: dict[str, Any], currency: str = "") -> str:
    """A statement flag in the reader's language; flags stored without params keep their
    English sentence."""
    p = flag.get("params")
    code = flag.get("code")
    if not p:
        return str(flag.get("message", ""))
    if code == "current_assets_below_parts":
        return _("Current assets %(current_assets)s are less than cash %(cash)s + inventory "
                 "%(inventory)s.") % {name: money(p[name], currency)
                                      for name in ("current_assets", "cash", "inventory")}
    if code == "negative_equity":
        return _("Equity is negative (%(equity)s).") % {"equity": money(p["equity"], currency)}
    if code == "income_above_ebitda":
        return _("Net income %(net_income)s exceeds EBITDA %(ebitda)s with no interest "
                 "expense.") % {"net_income": money(p["net_income"], currency),
                                "ebitda": money(p["ebitda"], currency)}
    if code == "missing_year":
        years = list(p["years"])
        return ngettext(
            "Fiscal year %(years)s missing from the three-year span %(start)s-%(end)s.",
            "Fiscal years %(years)s missing from the three-year span %(start)s-%(end)s.",
            len(years)) % {"years": ", ".join(map(str, years)), "start": p["start"],
                           "end": p["end"]}
    return str(flag.get("message", ""))


# --- Texts the record keeps in English -------------------------------------------------------
# The decision record and the request keep the sentences Fido wrote (an audit trail is not
# rewritten); these patterns are the sentences credit.services writes, said again in the
# reader's language. Anything else (a person's own words) is shown as written.

_TIER1 = re.compile(
    r"^Tier 1 rule: requested (?P<amount>[\d.]+) (?P<currency>[A-Z]{3}) ≤ tier 1 ceiling "
    r"(?P<ceiling>[\d.]+) [A-Z]{3}, and score band (?P<band>[A-E]) is in the automatic bands "
    r"(?P<bands>[A-E, ]*)\.$")
_REVIEW_DATE = re.compile(r"^Review date (?P<date>\d{4}-\d{2}-\d{2}) reached\.$")
_SCORE_DROP = re.compile(
    r"^Score dropped from band (?P<old>[A-E]) at approval to band (?P<new>[A-E])\.$")
_QUORUM = re.compile(r"(?:^|\s)Quorum reached: (?P<votes>\d+) of (?P<quorum>\d+) members\.$")
CARRY_OVER = ("Limit in force before Fido kept its approval record; carried over as "
              "approved.")


def record_text(text: str) -> str:
    """A sentence from the record in the reader's language (see above)."""
    if not text:
        return text
    if text == CARRY_OVER:
        return str(_("Limit in force before Fido kept its approval record; carried over as "
                     "approved."))
    if match := _TIER1.match(text):
        return _("Tier 1 rule: requested %(amount)s ≤ tier 1 ceiling %(ceiling)s, and score "
                 "band %(band)s is in the automatic bands %(bands)s.") % {
            "amount": money(match["amount"], match["currency"]),
            "ceiling": money(match["ceiling"], match["currency"]),
            "band": match["band"], "bands": match["bands"]}
    if match := _REVIEW_DATE.match(text):
        day = dt.date.fromisoformat(match["date"])
        return _("Review date %(date)s reached.") % {"date": date_format(day, "SHORT_DATE_FORMAT")}
    if match := _SCORE_DROP.match(text):
        return _("Score dropped from band %(old)s at approval to band %(new)s.") % {
            "old": match["old"], "new": match["new"]}
    if match := _QUORUM.search(text):
        said = _("Quorum reached: %(votes)s of %(quorum)s members.") % {
            "votes": match["votes"], "quorum": match["quorum"]}
        before = text[:match.start()].strip()
        return f"{before} {said}" if before else said
    return text


DIRECTIONS = {"improving": _lazy("improving"), "worsening": _lazy("worsening"),
              "stable": _lazy("stable"), "n/a": _lazy("n/a")}


def direction(value: str) -> str:
    return str(DIRECTIONS.get(value, value))
