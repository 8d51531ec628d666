"""Compliance's evidence for risk scoring: contact attempts that did not reach the debtor.

An attempt reached the debtor when it became a conversation (answered, right party verified);
busy lines, no answer, voicemail and third parties did not.

Registered with scoring in ComplianceConfig.ready (scoring imports no higher app). An attempt
counts from its `started_at`, before the as-of date and within the 6 months before it.
"""

from __future__ import annotations

from django.utils.translation import ngettext

from scoring.features import Dialect, FeatureBlock


def _attempts_sql(d: Dialect) -> str:
    as_of = d.date("as_of")
    six_months = d.date("d6")
    return f"""
    SELECT a.debtor_id, SUM(CASE WHEN a.conversation THEN 0 ELSE 1 END)
    FROM compliance_contactattempt a
    WHERE a.client_id = %(client)s AND a.debtor_id >= %(lo)s AND a.debtor_id <= %(hi)s
      AND a.started_at < {as_of} AND a.started_at >= {six_months}
    GROUP BY a.debtor_id
    """  # noqa: S608


def _wording(code: str, value: float | None) -> str:
    count = round(value or 0)
    return ngettext("%(count)d contact attempt in the last 6 months did not reach the debtor",
                    "%(count)d contact attempts in the last 6 months did not reach the debtor",
                    count) % {"count": count}


ATTEMPTS_BLOCK = FeatureBlock(
    name="compliance_attempts",
    columns=("unreached_attempts_6m",),
    sql=_attempts_sql,
    features=(("unreached_attempts_6m", "increasing"),),
    wording=_wording,
)
