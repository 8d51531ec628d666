"""Caring's evidence for risk scoring: unreachable courtesy calls and broken payment promises.

Registered with scoring in CaringConfig.ready (scoring imports no higher app). Both features
read only what was known before the as-of date: a call counts from its `completed_at`, and a
promise is judged only once its promised date has passed, on payments dated up to that date.
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext

from caring.models import CourtesyCall
from portfolio.sql import sql_literals
from scoring.features import Dialect, FeatureBlock

_FAILED = sql_literals(CourtesyCall.Status.FAILED)
_PAYMENT_DATE = sql_literals(CourtesyCall.Outcome.PAYMENT_DATE)


def _calls_sql(d: Dialect) -> str:
    as_of = d.date("as_of")
    six_months = d.date("d6")
    year = d.date("d12")
    # A promise is broken when, at the end of its promised date, one of the call's invoices
    # still had an open amount: payments valued and credit notes issued up to that date count.
    # Only promises that fell due before the as-of date are judged, so nothing looks ahead.
    paid = """COALESCE((SELECT SUM(pa.amount) FROM portfolio_paymentallocation pa
                          JOIN portfolio_payment p ON p.id = pa.payment_id
                          WHERE pa.invoice_id = i.id AND p.value_date <= c.payment_date), 0)"""
    credited = """COALESCE((SELECT SUM(cn.amount) FROM portfolio_creditnote cn
                            WHERE cn.invoice_id = i.id
                              AND cn.issue_date <= c.payment_date), 0)"""
    return f"""
    SELECT c.debtor_id,
        SUM(CASE WHEN c.status = {_FAILED} AND c.completed_at >= {six_months} THEN 1 ELSE 0 END),
        SUM(CASE WHEN c.outcome = {_PAYMENT_DATE} AND c.payment_date >= {year}
                 AND c.payment_date < {as_of}
                 AND EXISTS (SELECT 1 FROM caring_courtesycallinvoice l
                             JOIN portfolio_invoice i ON i.id = l.invoice_id
                             WHERE l.call_id = c.id
                               AND i.amount - {paid} - {credited} > 0)
                 THEN 1 ELSE 0 END)
    FROM caring_courtesycall c
    WHERE c.client_id = %(client)s AND c.debtor_id >= %(lo)s AND c.debtor_id <= %(hi)s
      AND c.completed_at < {as_of} AND c.completed_at >= {year}
    GROUP BY c.debtor_id
    """  # noqa: S608


def _wording(code: str, value: float | None) -> str:
    count = round(value or 0)
    if code == "failed_calls_6m":
        return ngettext("%(count)d courtesy call in the last 6 months never reached the debtor",
                        "%(count)d courtesy calls in the last 6 months never reached the debtor",
                        count) % {"count": count}
    if code == "broken_promises_12m":
        return ngettext("broke %(count)d promise to pay in the last 12 months",
                        "broke %(count)d promises to pay in the last 12 months",
                        count) % {"count": count}
    return gettext("%(code)s: %(value)s") % {"code": code, "value": count}


CALLS_BLOCK = FeatureBlock(
    name="caring_calls",
    columns=("failed_calls_6m", "broken_promises_12m"),
    sql=_calls_sql,
    features=(("failed_calls_6m", "increasing"), ("broken_promises_12m", "increasing")),
    wording=_wording,
)
