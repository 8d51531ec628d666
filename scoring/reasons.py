"""Reasons in plain words: the factors that lowered a score most.

Each characteristic's points for the debtor are compared with that characteristic's best
attribute in the scorecard; the gap (always <= 0) is the impact. The largest gaps become the
reasons, each worded from the debtor's own values ("paid 4 of the last 6 invoices more than
30 days late"). A reason is stored compactly, `[code, impact, value, *extra]`, and worded
when read (`reason_lines`), in the reader's language.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from django.utils.translation import gettext, ngettext

from scoring.features import REASON_WORDING

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
    if code in REASON_WORDING:
        return REASON_WORDING[code](code, value)
    return gettext("%(code)s: %(value)s") % {"code": code, "value": params.get("value")}


# Reason codes stored with more than the code's own value: the extra feature columns and the
# names reason_text reads them under.
EXTRA_PARAMS: dict[str, tuple[tuple[str, str], ...]] = {
    "late_share_12m": (("late", "late_count_12m"), ("due", "due_count_12m")),
}


def _json_values(column: np.ndarray) -> list[str]:
    """Feature values as JSON text: numbers rounded to 4 places, NaN as null, text quoted."""
    if column.dtype == object:
        return [json.dumps(v) if isinstance(v, str) else _json_number(v) for v in column]
    # Rounded in one vectorised step; repr of a float is its shortest exact text (JSON too).
    rounded = np.round(column.astype(float), 4)
    texts = [repr(v) for v in rounded.tolist()]
    for i in np.flatnonzero(~np.isfinite(rounded)).tolist():
        texts[i] = "null"
    return texts


def _json_number(raw: Any) -> str:
    number = _number(raw)
    if number is None or not math.isfinite(number):
        return "null"
    return repr(round(number, 4))


def reasons_compact(impacts: dict[str, np.ndarray], features: dict[str, np.ndarray],
                    *, limit: int = MAX_REASONS) -> list[str]:
    """For each row, its reasons as compact JSON text, worst first.

    A reason is `[code, impact, value, *extra]` (e.g. `["late_share_12m", -37, 0.6667, 4, 6]`):
    the words are rendered when a page or the API reads the score (`reason_lines`), in the
    reader's language. Storing 30 bytes instead of 300 of worded JSON per reason is most of a
    batch run's write cost. The ranking is vectorised, and so is the formatting: each
    (rank, code) group of rows is formatted from its column slices at once, so a chunk costs
    a few list comprehensions rather than a Python loop over its cells.
    """
    names = list(impacts)
    if not names:
        return []
    matrix = np.column_stack([impacts[n] for n in names])
    order = np.argsort(matrix, axis=1, kind="stable")[:, :limit]
    worst = np.rint(np.take_along_axis(matrix, order, axis=1)).astype(np.int64)
    # Neutral factors (less than half a point below the best attribute) are no reason.
    kept = (worst <= -0.5).sum(axis=1)
    joined = np.full(len(order), "", dtype=object)
    for rank in range(order.shape[1]):
        rows = np.flatnonzero(kept > rank)
        texts = np.empty(len(rows), dtype=object)
        codes = order[rows, rank]
        for j in np.unique(codes):
            at = codes == j
            code = names[j]
            where = rows[at]
            extras = [features[column][where].astype(np.int64).tolist()
                      for _name, column in EXTRA_PARAMS.get(code, ())]
            tails = (["".join(f",{v}" for v in values) for values in zip(*extras, strict=True)]
                     if extras else [""] * len(where))
            texts[at] = [f'["{code}",{impact},{value}{tail}]' for impact, value, tail in zip(
                worst[where, rank].tolist(), _json_values(features[code][where]), tails,
                strict=True)]
        # Object arrays add element-wise: each row's reasons joined without a Python loop.
        joined[rows] = joined[rows] + texts if rank == 0 else joined[rows] + "," + texts
    return ("[" + joined + "]").tolist()


def reason_lines(stored: Any) -> list[dict[str, Any]]:
    """Stored reasons as {"code", "text", "impact"} in the active language.

    Reads the compact form and the worded dicts that runs before it stored
    ({"code", "text", "impact", "params"}).
    """
    lines = []
    for item in stored or []:
        if isinstance(item, dict):
            params = item.get("params")
            text = reason_text(item["code"], params) if params is not None else item.get("text")
            lines.append({"code": item["code"], "text": text or item["code"],
                          "impact": item.get("impact")})
            continue
        code, impact, value, *extra = item
        params = {"value": value}
        params.update({name: v for (name, _column), v in
                       zip(EXTRA_PARAMS.get(code, ()), extra, strict=False)})
        lines.append({"code": code, "text": reason_text(code, params), "impact": impact})
    return lines


