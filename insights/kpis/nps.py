"""NPS by kind (SPEC §4): one kind at a time, never across kinds, always with n and the 95%
adjusted-Wald interval (experience.stats). Counted in SQL, scored by experience.stats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from experience.models import Kind, Response, nps_counts
from experience.stats import NpsSummary, nps_summary
from insights.kpis.base import Kpi, KpiInputError, Period, Scope, quantize

NPS_FORMULA = _("100 x (promoters 9-10 - detractors 0-6) ÷ answers; 95% adjusted-Wald "
                "interval")
# SPEC §5: per-agent NPS is mostly noise month by month, so agent views use a rolling window.
AGENT_WINDOW_DAYS = 90


def nps(scope: Scope, period: Period, *, kind: str, agent: Any = None) -> Kpi:
    if kind not in Kind.values:
        raise KpiInputError(_("NPS is read one kind at a time (relational, transactional or "
                              "competitive); kinds are never combined."))
    start, end = scope.bounds(period)
    answers = Response.objects.filter(client=scope.client, kind=kind, answered_at__gte=start,
                                      answered_at__lt=end)
    if agent is not None:
        answers = answers.filter(agent=agent)
    row = answers.aggregate(**nps_counts())
    summary = nps_summary(**row)
    return nps_kpi(summary, kind=kind)


def nps_kpi(summary: NpsSummary, *, kind: str) -> Kpi:
    score = summary.score
    interval = summary.interval
    return Kpi(code="nps", name=_("NPS"), variant=Kind(kind).label, formula=NPS_FORMULA,
               unit="score", value=None if score is None else quantize(Decimal(str(score)),
                                                                      Decimal("0.1")),
               numerator=summary.promoters - summary.detractors, denominator=summary.n,
               flags=() if summary.enough else ("not_enough_answers",),
               extra={"kind": kind, "promoters": summary.promoters,
                      "passives": summary.passives, "detractors": summary.detractors,
                      "low": None if interval is None else round(interval[0], 1),
                      "high": None if interval is None else round(interval[1], 1)})


def agent_nps(scope: Scope, agent: Any, *, today: dt.date,
              kind: str = Kind.TRANSACTIONAL) -> Kpi:
    """The agent's own NPS over the rolling window ending today (inclusive)."""
    end = today + dt.timedelta(days=1)
    return nps(scope, Period(end - dt.timedelta(days=AGENT_WINDOW_DAYS), end), kind=kind,
               agent=agent)
