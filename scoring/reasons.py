"""Reasons in plain words: the factors that lowered a score most.

Each characteristic's points for the debtor are compared with that characteristic's best
attribute in the scorecard; the gap (always <= 0) is the impact. The largest gaps become the
reasons, each worded from the debtor's own values ("paid 4 of the last 6 invoices more than
30 days late"). A reason is stored as {"code", "text", "impact", "params"}: `text` in the
language of the run, `params` so that a page can word it again in the reader's language.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django.utils.translation import gettext, ngettext

MAX_REASONS = 3


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def reason_text(code: str, params: dict[str, Any]) -> str:
    """The sentence for one reason code, from the debtor's values (translated)."""
    value = _number(params.get("value"))
    if code == "late_share_12m":
        late, due = int(params.get("late", 0)), int(params.get("due", 0))
        if not due:
            return gettext("no invoice due in the last 12 months to judge payment habits")
        return ngettext(
            "paid %(late)d of the last %(due)d invoice more than 30 days late",
            "paid %(late)d of the last %(due)d invoices more than 30 days late", due,
        ) % {"late": late, "due": due}
    if code in ("dbt_avg_3m", "dbt_avg_6m", "dbt_avg_12m"):
        months = {"dbt_avg_3m": 3, "dbt_avg_6m": 6, "dbt_avg_12m": 12}[code]
        if value is None:
            return gettext("no invoice due in the last %(months)d months") % {"months": months}
        return gettext("paid on average %(days)d days after the due date in the last "
                       "%(months)d months") % {"days": round(value), "months": months}
    if code == "overdue_amount":
        return gettext("%(amount)s overdue") % {"amount": f"{value or 0:,.2f}"}
    if code == "overdue_days_max":
        if not value:
            return gettext("nothing overdue")
        return gettext("oldest unpaid invoice is %(days)d days past due") % {"days": round(value)}
    if code == "exposure_ratio":
        if value is None:
            return gettext("no credit limit set")
        return gettext("exposure is %(percent)d%% of the credit limit") % {
            "percent": round(value * 100)}
    if code == "tenure_months":
        if value is None:
            return gettext("no invoice history yet")
        return gettext("a customer for %(months)d months") % {"months": round(value)}
    if code == "invoices_12m":
        return gettext("%(count)d invoices in the last 12 months") % {"count": round(value or 0)}
    if code == "disputes_12m":
        return gettext("%(count)d disputes or credit notes in the last 12 months") % {
            "count": round(value or 0)}
    if code == "years_in_business":
        if value is None:
            return gettext("year founded unknown")
        return gettext("in business for %(years)d years") % {"years": round(value)}
    if code == "kind":
        return gettext("debtor kind: %(kind)s") % {"kind": params.get("value") or "?"}
    if code == "sector":
        if not params.get("value"):
            return gettext("sector unknown")
        return gettext("sector: %(sector)s") % {"sector": params["value"]}
    return gettext("%(code)s: %(value)s") % {"code": code, "value": params.get("value")}


def _params(code: str, features: dict[str, np.ndarray], row: int) -> dict[str, Any]:
    raw = features[code][row]
    value: Any = raw if isinstance(raw, str) else _number(raw)
    params: dict[str, Any] = {"value": value}
    if code == "late_share_12m":
        params["late"] = int(features["late_count_12m"][row])
        params["due"] = int(features["due_count_12m"][row])
    return params


def reasons_for_rows(impacts: dict[str, np.ndarray], features: dict[str, np.ndarray],
                     *, limit: int = MAX_REASONS) -> list[list[dict[str, Any]]]:
    """For each row, the `limit` characteristics with the most negative impact (points below the
    characteristic's best attribute), worded."""
    names = list(impacts)
    if not names:
        return []
    matrix = np.column_stack([impacts[n] for n in names])
    order = np.argsort(matrix, axis=1, kind="stable")[:, :limit]
    result = []
    for row, columns in enumerate(order):
        reasons = []
        for column in columns:
            impact = float(matrix[row, column])
            if impact > -0.5:
                break
            code = names[column]
            params = _params(code, features, row)
            reasons.append({"code": code, "text": reason_text(code, params),
                            "impact": round(impact), "params": params})
        result.append(reasons)
    return result
