"""Pages of the experience reports: NPS by kind beside the cash, and the strategy comparison.

Views parse the query, call experience.reports / experience.strategies (which read through
access.scoping) and render. A bad parameter, or a request that would combine NPS kinds, is a
400 page naming the problem.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from access.errors import DomainError
from access.scoping import access_for, scope_to_user
from experience import reports, strategies
from experience.models import Kind
from portfolio.models import Client


def _date(query: QueryDict, name: str) -> dt.date | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("%(field)s: \"%(value)s\" is not a date (YYYY-MM-DD).")
                          % {"field": name, "value": raw[:40]}, field=name) from None


def _client_id(query: QueryDict) -> int | None:
    raw = query.get("client", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise DomainError(_("No such client among those you may see."), code="not_found",
                          field="client")
    return int(raw)


def _filter(request: HttpRequest, **extra: Any) -> reports.ReportFilter:
    return reports.report_filter_build(
        user=request.user, client_id=_client_id(request.GET), start=_date(request.GET, "start"),
        end=_date(request.GET, "end"), **extra)


def _common(request: HttpRequest, report: reports.ReportFilter) -> dict[str, Any]:
    viewer = access_for(request.user)
    clients = list(scope_to_user(Client.objects.all(), request.user, client_field="pk")
                   .only("pk", "name").order_by("name")[:200])
    return {"report": report, "clients": clients, "is_client_viewer": viewer.is_client_viewer,
            "kinds": Kind.choices,
            # Percent signs stay out of {% translate %} tags (which double them for lookup).
            # xgettext:no-python-format
            "interval_label": _("95% interval"),
            # xgettext:no-python-format
            "chart_label": _("NPS by month with its 95% interval")}


def _refuse(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "400.html", {"message": error.message}, status=400)


@login_required
def nps_report(request: HttpRequest) -> HttpResponse:
    if not reports.may_read_reports(request.user):
        raise PermissionDenied
    try:
        # The page shows each kind in its own block; the breakdowns read one kind, the
        # transactional one unless asked (never "all": SPEC §4).
        report = _filter(request, kind=request.GET.get("kind", Kind.TRANSACTIONAL),
                         kind_required=True)
    except DomainError as error:
        return _refuse(request, error)
    user = request.user
    answers = reports.answers_in_scope(user=user, report=report)
    breakdowns = [
        ("strategy", _("By strategy"), reports.nps_breakdown(answers, "strategy",
                                                              zone=report.zone)),
        ("team", _("By team"), reports.nps_breakdown(answers, "team", zone=report.zone)),
    ]
    if report.client is None and not access_for(user).is_client_viewer:
        breakdowns.append(("client", _("By client"),
                           reports.nps_breakdown(answers, "client", zone=report.zone)))
    total_comments, themes = reports.comment_themes(answers)
    months = reports.nps_breakdown(answers, "month", zone=report.zone)
    context = {
        **_common(request, report),
        "blocks": reports.kind_blocks(user=user, report=report),
        "kind_label": Kind(report.kind or Kind.TRANSACTIONAL).label,
        "overall": reports.nps_overall(answers, zone=report.zone),
        "agents": reports.agent_windows(user=user, report=report),
        "windows": reports.WINDOWS,
        "breakdowns": breakdowns,
        "months": months,
        "months_chart": [{"label": row.label, "score": row.nps.score,
                          "low": row.nps.interval[0] if row.nps.interval else None,
                          "high": row.nps.interval[1] if row.nps.interval else None}
                         for row in months],
        "total_comments": total_comments,
        "themes": themes,
    }
    return render(request, "experience/reports/nps.html", context)


@login_required
def strategy_report(request: HttpRequest) -> HttpResponse:
    if not reports.may_read_reports(request.user):
        raise PermissionDenied
    try:
        report = _filter(request)
    except DomainError as error:
        return _refuse(request, error)
    result = strategies.strategy_comparison(user=request.user, report=report)
    labels = {row.strategy: row.label for row in result.rows}
    return render(request, "experience/reports/strategies.html", {
        **_common(request, report), "result": result, "labels": labels,
        # xgettext:no-python-format
        "method_note": _("Differences in points (percentage points for rates), with 95% "
                         "intervals: Newcombe's score interval for counted rates, the ratio "
                         "estimator's interval for cash, adjusted Wald for NPS. A verdict is "
                         "given only when the interval leaves out zero."),
        "measures": {
            "cash_rate": _("Cash recovered over placed balance"),
            "promise_kept_rate": _("Promises kept"),
            "customers_lost_rate": _("Customers lost"),
            "nps": _("Transactional NPS"),
        },
    })
