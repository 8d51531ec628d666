"""The staff dashboards: credit manager (portfolio trends, aging with drill-down), team leader
(the desk today and this week against targets) and agent (own results).

Every page reads one client the user may see (access.scoping; another client's id is a 404)
in that client's currency and reporting time zone. Client viewers never see these pages: the
client portal is theirs. Charts get their data through json_script (the CSP allows no inline
script) and every chart has its numbers in a table one click away.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.roles import Role
from access.scoping import access_for
from experience.models import Kind
from insights.kpis import aging, cash, contacts, nps, promises, receivables
from insights.kpis.base import Kpi, Period, Scope
from portfolio.models import Client
from portfolio.selectors import client_get_for_user, client_list

DASHBOARD_ROLES = {
    "credit": (Role.CREDIT_MANAGER, Role.CREDIT_COMMITTEE, Role.ADMINISTRATOR),
    "team": (Role.TEAM_LEADER, Role.CREDIT_MANAGER, Role.ADMINISTRATOR),
    "agent": (Role.AGENT, Role.TEAM_LEADER, Role.ADMINISTRATOR),
}
# The first dashboard of each role (the landing page of /insights/dashboards/).
ROLE_DASHBOARD = [(Role.CREDIT_MANAGER, "credit"), (Role.TEAM_LEADER, "team"),
                  (Role.AGENT, "agent"), (Role.CREDIT_COMMITTEE, "credit"),
                  (Role.ADMINISTRATOR, "credit")]

# Desk targets stated in the source texts (DOMAIN.md "Figures from the texts"): handling about
# four minutes; recontact rate 18.7% against a 20.4% target. A KPI without a stated target is
# shown without one rather than against an invented figure.
TARGETS: dict[str, tuple[Decimal, str]] = {
    "aht": (Decimal("240"), "max"),
    "recontact_rate": (Decimal("20.4"), "max"),
    # A callback is a promise to the debtor: the desk holds it to the service level it would
    # offer on inbound calls (DOMAIN.md: good above 80%).
    "callbacks_on_time": (Decimal("80"), "min"),
}
TREND_MONTHS = 12


def _dashboards_for(request: HttpRequest) -> list[str]:
    access = access_for(request.user)
    if access.is_client_viewer:
        return []
    return [name for name, roles in DASHBOARD_ROLES.items() if access.has_role(*roles)]


def _client_for(request: HttpRequest, board: str, client_id: int) -> Client:
    """The client, if the user may see it (404 otherwise) and may see this dashboard (403)."""
    client = client_get_for_user(user=request.user, pk=client_id)
    if board not in _dashboards_for(request):
        raise PermissionDenied
    return client


def _frame(request: HttpRequest, board: str, client: Client) -> dict[str, Any]:
    """What every dashboard page shows around its figures: the client switcher and the tabs."""
    boards = _dashboards_for(request)
    names = {"credit": _("Credit manager"), "team": _("Team leader"), "agent": _("My results")}
    return {
        "client": client, "currency": client.currency, "board": board,
        "tabs": [{"name": names[b], "url": reverse(f"insights:{b}", args=[client.pk]),
                  "current": b == board} for b in boards],
        "clients": [{"name": c.name, "url": reverse(f"insights:{board}", args=[c.pk]),
                     "current": c.pk == client.pk}
                    for c in client_list(user=request.user)[:50]],
    }


@login_required
def dashboards(request: HttpRequest) -> HttpResponse:
    """Lead the user to their role's dashboard for their first client."""
    boards = _dashboards_for(request)
    if not boards:
        raise PermissionDenied
    access = access_for(request.user)
    board = next((b for role, b in ROLE_DASHBOARD if access.has_role(role) and b in boards),
                 boards[0])
    client = client_list(user=request.user).first()
    if client is None:
        raise Http404
    return redirect(f"insights:{board}", client.pk)


def _chart(kind: str, labels: list[str], datasets: list[dict[str, Any]], *,
           unit: str = "") -> dict[str, Any]:
    return {"type": kind, "labels": labels, "unit": unit,
            "datasets": [{"label": str(d["label"]),
                          "data": [None if v is None else float(v) for v in d["data"]]}
                         for d in datasets]}


def _month_label(day: dt.date) -> str:
    return f"{day:%m/%Y}"


# --- Credit manager ----------------------------------------------------------------------------


@login_required
def credit(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client_for(request, "credit", client_id)
    scope = Scope.of(client)
    today = scope.today()
    this_month = today.replace(day=1)
    trend = receivables.monthly_trend(scope, months=TREND_MONTHS, until=this_month)
    months = [row.month for row in trend]
    cash_series = cash.cash_by_month(scope, months)
    last = trend[-1]
    year = Period(months[0].start, this_month)
    buckets = aging.aging(scope, as_of=today)
    gross, net = cash.cash_recovered(scope, last.month)
    labels = [_month_label(m.start) for m in months]
    context = {
        **_frame(request, "credit", client),
        "today": today, "last_month": last.month, "year": year,
        "headline": [last.dso, last.dso_count_back, last.bpdso, last.add,
                     receivables.cei_average_from([row.cei for row in trend]), gross, net,
                     cash.customers_lost(scope, year),
                     nps.nps(scope, year, kind=Kind.TRANSACTIONAL)],
        "trend": [{"label": label, "row": row, "cash": amount}
                  for label, row, amount in zip(labels, trend, cash_series, strict=True)],
        "buckets": [{"bucket": b, "url": reverse("insights:aging_debtors",
                                                 args=[client.pk, b.key])} for b in buckets],
        "cohorts": cash.recovery_by_cohort(scope, year),
        "aging_formula": aging.AGING_FORMULA,
        "charts": {
            "ar": _chart("line", labels, [{"label": _("AR"),
                                           "data": [row.ar.total for row in trend]}],
                         unit="money"),
            "dso": _chart("line", labels, [
                {"label": _("DSO (simple)"), "data": [row.dso.value for row in trend]},
                {"label": _("DSO (count-back)"),
                 "data": [row.dso_count_back.value for row in trend]},
                {"label": _("Best possible DSO"), "data": [row.bpdso.value for row in trend]},
            ], unit="days"),
            "cei": _chart("line", labels, [{"label": _("CEI"),
                                            "data": [row.cei.value for row in trend]}],
                          unit="percent"),
            "cash": _chart("bar", labels, [{"label": _("Cash recovered"),
                                            "data": cash_series}], unit="money"),
            "aging": _chart("bar", [b.label for b in buckets],
                            [{"label": _("Open balance"), "data": [b.amount for b in buckets]}],
                            unit="money") | {"keys": [b.key for b in buckets]},
        },
    }
    return render(request, "insights/dashboards/credit.html", context)


@login_required
def aging_debtors(request: HttpRequest, client_id: int, bucket: str) -> HttpResponse:
    client = _client_for(request, "credit", client_id)
    if bucket not in aging.BUCKET_KEYS:
        raise Http404
    scope = Scope.of(client)
    today = scope.today()
    return render(request, "insights/dashboards/aging_debtors.html", {
        **_frame(request, "credit", client), "today": today,
        "bucket_label": aging.BUCKET_LABELS[bucket],
        "debtors": aging.aging_debtors(scope, as_of=today, key=bucket),
    })


# --- Team leader -------------------------------------------------------------------------------


def _against_target(kpi: Kpi) -> dict[str, Any]:
    target = TARGETS.get(kpi.code)
    if target is None or kpi.value is None:
        return {"kpi": kpi, "target": target[0] if target else None, "off": False}
    limit, direction = target
    off = kpi.value > limit if direction == "max" else kpi.value < limit
    return {"kpi": kpi, "target": limit, "off": off, "deviation": kpi.value - limit}


def _desk_figures(scope: Scope, period: Period) -> dict[str, Any]:
    funnel = contacts.contact_funnel(scope, period)
    kept = promises.promise_kept(scope, period)
    rows = [funnel["attempts"], funnel["connect_rate"], funnel["rpc_rate_attempts"],
            funnel["rpc_rate_live"], funnel["promises_per_rpc"],
            contacts.average_handle_time(scope, period),
            contacts.first_contact_resolution(scope, period),
            contacts.recontact_rate(scope, period), contacts.callbacks_on_time(scope, period),
            kept["by_count"], kept["by_amount"]]
    return {"rows": [_against_target(kpi) for kpi in rows], "funnel": funnel}


NOT_MEASURED = gettext_lazy("The desk records no inbound queue times (offered, answered "
                            "within 20 s, abandoned), so there is nothing to compute it from; "
                            "callbacks kept on time above is the outbound desk's measure.")


@login_required
def team(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client_for(request, "team", client_id)
    scope = Scope.of(client)
    today = scope.today()
    day = Period(today, today + dt.timedelta(days=1))
    week = Period(today - dt.timedelta(days=today.weekday()), today + dt.timedelta(days=1))
    fortnight = Period(today - dt.timedelta(days=13), today + dt.timedelta(days=1))
    daily = contacts.daily_activity(scope, fortnight)
    days = [fortnight.start + dt.timedelta(days=n) for n in range(fortnight.days)]
    today_figures = _desk_figures(scope, day)
    week_figures = _desk_figures(scope, week)
    funnel = week_figures["funnel"]
    funnel_steps = [
        (_("Attempts"), funnel["attempts"].value),
        (_("Connects"), funnel["connect_rate"].numerator),
        (_("Live answers"), funnel["rpc_rate_live"].denominator),
        (_("Right-party contacts"), funnel["rpc_rate_live"].numerator),
        (_("Promises"), funnel["promises_per_rpc"].numerator),
    ]
    handle = [None if day_ not in daily or not daily[day_]["handled"]
              else Decimal(daily[day_]["seconds"]) / daily[day_]["handled"] for day_ in days]
    context = {
        **_frame(request, "team", client), "today": today, "week": week,
        "figures": list(zip(today_figures["rows"], week_figures["rows"], strict=True)),
        "not_measured": [(_("Service level"), _("Answered within 20 s ÷ (answered + abandoned "
                                                "after 20 s)")),
                         (_("Abandonment"), _("(Abandoned - abandoned within 5 s) ÷ (offered "
                                              "- abandoned within 5 s)"))],
        "not_measured_reason": NOT_MEASURED,
        "funnel_steps": funnel_steps,
        "handle_days": [{"day": d, "seconds": s} for d, s in zip(days, handle, strict=True)],
        "charts": {
            "funnel": _chart("bar", [str(label) for label, _v in funnel_steps],
                             [{"label": _("This week"), "data": [v for _l, v in funnel_steps]}],
                             unit="count"),
            "aht": _chart("line", [f"{d:%d/%m}" for d in days], [
                {"label": _("Average handle time (s)"), "data": handle},
                {"label": _("Target (s)"), "data": [TARGETS["aht"][0]] * len(days)}],
                unit="seconds"),
        },
    }
    return render(request, "insights/dashboards/team.html", context)


# --- Agent -------------------------------------------------------------------------------------


def _own_figures(scope: Scope, period: Period, agent: Any) -> list[Kpi]:
    funnel = contacts.contact_funnel(scope, period, agent)
    kept = promises.promise_kept(scope, period, agent)
    handled = contacts.average_handle_time(scope, period, agent)
    contacts_kpi = Kpi(code="contacts", name=gettext_lazy("Contacts"),
                       variant=gettext_lazy("all channels"),
                       formula=gettext_lazy("Contacts you recorded in the period"),
                       unit="count", value=Decimal(handled.denominator or 0),
                       numerator=handled.denominator)
    return [contacts_kpi, funnel["rpcs"],
            Kpi(code="promises", name=gettext_lazy("Promises taken"),
                variant=gettext_lazy("all channels"),
                formula=gettext_lazy("Promises to pay you took in the period"), unit="count",
                value=Decimal(funnel["promises_per_rpc"].numerator or 0),
                numerator=funnel["promises_per_rpc"].numerator),
            kept["by_count"], contacts.callbacks_on_time(scope, period, agent),
            cash.agent_cash(scope, period, agent), handled]


@login_required
def agent(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client_for(request, "agent", client_id)
    scope = Scope.of(client)
    today = scope.today()
    week = Period(today - dt.timedelta(days=today.weekday()), today + dt.timedelta(days=1))
    month = Period(today.replace(day=1), today + dt.timedelta(days=1))
    fortnight = Period(today - dt.timedelta(days=13), today + dt.timedelta(days=1))
    daily = contacts.daily_activity(scope, fortnight, request.user)
    days = [fortnight.start + dt.timedelta(days=n) for n in range(fortnight.days)]
    own = nps.agent_nps(scope, request.user, today=today)
    context = {
        **_frame(request, "agent", client), "today": today, "week": week, "month": month,
        "figures": list(zip(_own_figures(scope, week, request.user),
                            _own_figures(scope, month, request.user), strict=True)),
        "own_nps": own, "nps_window": nps.AGENT_WINDOW_DAYS,
        "activity": [{"day": d, **daily.get(d, {"handled": 0, "rpc": 0, "seconds": 0})}
                     for d in days],
        "charts": {
            "activity": _chart("bar", [f"{d:%d/%m}" for d in days], [
                {"label": _("Contacts"), "data": [daily.get(d, {}).get("handled", 0)
                                                  for d in days]},
                {"label": _("Right-party contacts"), "data": [daily.get(d, {}).get("rpc", 0)
                                                              for d in days]}],
                unit="count"),
        },
    }
    return render(request, "insights/dashboards/agent.html", context)

