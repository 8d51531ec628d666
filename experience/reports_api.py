"""Read-only API of the experience reports, under /api/v1/experience-reports/.

- `nps/?kind=…` NPS of one kind (required: asking for none or "all" is a 400, SPEC §4), with
  CES and CSAT, optionally broken down by agent, team, client, strategy or month, each group
  beside the cash recovered and customers lost of its cases;
- `strategies/` the strategy comparison with its 95% intervals and verdicts.

Rows come from experience.reports and experience.strategies, which read through
access.scoping; the viewset's queryset is scoped too (access.api.TenantScopedViewSet).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.routers import DefaultRouter

from access.api import IdField, TenantScopedViewSet
from experience import reports, strategies
from experience.cohorts import CohortFigures
from experience.models import Kind, Response
from experience.stats import NpsSummary, ScaleSummary


class ReportReaders(permissions.BasePermission):
    """Team leaders, credit managers, administrators and client viewers (experience.reports)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return reports.may_read_reports(request.user)


# --- input ----------------------------------------------------------------------------------

class PeriodQuerySerializer(serializers.Serializer):
    client = IdField(required=False, help_text="One of your clients; all of them without it.")
    start = serializers.DateField(required=False,
                                  help_text="First day (default: twelve months back).")
    end = serializers.DateField(required=False, help_text="Last day included (default: today).")


class NpsQuerySerializer(PeriodQuerySerializer):
    kind = serializers.ChoiceField(
        choices=Kind.choices, help_text="One kind: kinds are never combined (SPEC §4).",
        error_messages={
            "required": _("NPS kinds are never combined: ask for one kind (relational, "
                          "transactional or competitive)."),
            "invalid_choice": _("NPS kinds are never combined: ask for one kind (relational, "
                                "transactional or competitive)."),
        })
    group = serializers.ChoiceField(choices=[(d, d) for d in reports.DIMENSIONS],
                                    required=False, help_text="Break the NPS down by this.")
    window = serializers.ChoiceField(
        choices=[(days, str(days)) for days in reports.WINDOWS], required=False,
        help_text="Only the answers of this many days before the period's end (rolling "
                  "window; per-agent monthly NPS is mostly noise).")


# --- output ---------------------------------------------------------------------------------

class NpsSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True, help_text="100 * (P - D) / n")
    interval_low = serializers.FloatField(allow_null=True, help_text="95% adjusted Wald")
    interval_high = serializers.FloatField(allow_null=True)
    enough = serializers.BooleanField(help_text="At least 30 answers: the score may headline.")


class ScaleSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    top_share = serializers.FloatField(allow_null=True,
                                       help_text="Share of 5-7 (CES) or 4-5 (CSAT).")


class CohortSerializer(serializers.Serializer):
    currency = serializers.CharField()
    cases = serializers.IntegerField()
    cash_recovered = serializers.DecimalField(max_digits=18, decimal_places=2)
    placed_balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    recovery_rate = serializers.FloatField(allow_null=True)
    customers_lost = serializers.IntegerField()
    customers_lost_value = serializers.DecimalField(max_digits=18, decimal_places=2)


class GroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The agent, team or client id, the strategy, or the "
                                          "month (YYYY-MM).")
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    nps = NpsSerializer()
    ces = ScaleSerializer()
    csat = ScaleSerializer()
    cohort = CohortSerializer(many=True, help_text="One row per currency.")


class NpsReportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    start = serializers.DateField()
    end = serializers.DateField(help_text="Last day included.")
    group = serializers.CharField(allow_null=True)
    overall = GroupSerializer()
    groups = GroupSerializer(many=True)


class StrategySerializer(serializers.Serializer):
    strategy = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    cases = serializers.IntegerField()
    money = CohortSerializer(many=True, help_text="Cash and losses, one row per currency.")
    promises_judged = serializers.IntegerField()
    promises_kept = serializers.IntegerField()
    promise_kept_rate = serializers.FloatField(allow_null=True)
    customers_lost = serializers.IntegerField()
    customers_lost_rate = serializers.FloatField(allow_null=True)
    nps = NpsSerializer(help_text="Transactional NPS of the strategy's cases.")


class ComparisonSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=[(m, m) for m in strategies.MEASURES])
    strategy = serializers.CharField()
    baseline = serializers.CharField()
    currency = serializers.CharField(help_text="The cash rate's currency; empty otherwise.")
    difference = serializers.FloatField(allow_null=True,
                                        help_text="strategy - baseline, in points.")
    interval_low = serializers.FloatField(allow_null=True)
    interval_high = serializers.FloatField(allow_null=True)
    clear = serializers.BooleanField(help_text="The 95% interval excludes zero.")
    verdict = serializers.CharField()
    cases_needed = serializers.IntegerField(allow_null=True)


class StrategyComparisonSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Last day included.")
    nps_kind = serializers.CharField()
    strategies = StrategySerializer(many=True)
    comparisons = ComparisonSerializer(many=True)


def _nps(summary: NpsSummary) -> dict[str, Any]:
    interval = summary.interval
    return {"n": summary.n, "promoters": summary.promoters, "passives": summary.passives,
            "detractors": summary.detractors, "score": summary.score,
            "interval_low": interval[0] if interval else None,
            "interval_high": interval[1] if interval else None, "enough": summary.enough}


def _scale(summary: ScaleSummary) -> dict[str, Any]:
    return {"n": summary.n, "mean": summary.mean, "top_share": summary.top_share}


def _cohort(figures: CohortFigures) -> dict[str, Any]:
    return {"currency": figures.currency, "cases": figures.cases,
            "cash_recovered": figures.cash_recovered, "placed_balance": figures.placed_balance,
            "recovery_rate": figures.recovery_rate, "customers_lost": figures.customers_lost,
            "customers_lost_value": figures.customers_lost_value}


def _key(value: object, zone: dt.tzinfo) -> str:
    if isinstance(value, dt.datetime):  # a month, read in the report's time zone
        return (value.astimezone(zone) if value.tzinfo else value).strftime("%Y-%m")
    return str(value)


def _group(row: reports.GroupRow, zone: dt.tzinfo) -> dict[str, Any]:
    return {"key": _key(row.key, zone), "label": row.label, "nps": _nps(row.nps),
            "ces": _scale(row.ces), "csat": _scale(row.csat),
            "cohort": [_cohort(each) for each in row.cohort]}


class ExperienceReportViewSet(TenantScopedViewSet):
    """Experience reports: NPS of one kind beside the cash of the same cases."""

    permission_classes = [permissions.IsAuthenticated, ReportReaders]
    pagination_class = None

    def get_unscoped_queryset(self) -> QuerySet[Response]:
        return Response.objects.all()

    def _filter(self, query: serializers.Serializer, **extra: Any) -> reports.ReportFilter:
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return reports.report_filter_build(
            user=self.request.user, client_id=data.get("client"), start=data.get("start"),
            end=data.get("end"), **extra)

    @extend_schema(parameters=[NpsQuerySerializer], responses=NpsReportSerializer)
    @action(detail=False, methods=["get"])
    def nps(self, request: Request, format: str | None = None) -> ApiResponse:
        query = NpsQuerySerializer(data=request.query_params)
        report = self._filter(query, kind=request.query_params.get("kind"),
                              kind_required=True)
        data = query.validated_data
        since = None
        if data.get("window"):
            since = report.end_at - dt.timedelta(days=int(data["window"]))
        answers = reports.answers_in_scope(user=request.user, report=report, since=since)
        group = data.get("group")
        body = {
            "kind": report.kind, "start": report.start, "end": report.last_day, "group": group,
            "overall": _group(reports.nps_overall(answers, zone=report.zone), report.zone),
            "groups": ([_group(row, report.zone) for row in reports.nps_breakdown(answers, group,
                                                                     zone=report.zone)]
                       if group else []),
        }
        return ApiResponse(NpsReportSerializer(body).data)

    @extend_schema(parameters=[PeriodQuerySerializer], responses=StrategyComparisonSerializer)
    @action(detail=False, methods=["get"])
    def strategies(self, request: Request, format: str | None = None) -> ApiResponse:
        report = self._filter(PeriodQuerySerializer(data=request.query_params))
        result = strategies.strategy_comparison(user=request.user, report=report)
        body = {
            "start": report.start, "end": report.last_day, "nps_kind": strategies.NPS_KIND,
            "strategies": [{
                "strategy": row.strategy, "label": row.label, "cases": row.cases,
                "money": [_cohort(each) for each in row.money],
                "promises_judged": row.promises_judged, "promises_kept": row.promises_kept,
                "promise_kept_rate": row.promise_kept_rate,
                "customers_lost": row.customers_lost, "customers_lost_rate": row.lost_rate,
                "nps": _nps(row.nps)} for row in result.rows],
            "comparisons": [{
                "measure": each.measure, "strategy": each.strategy, "baseline": each.baseline,
                "currency": each.currency, "difference": each.difference,
                "interval_low": each.interval[0] if each.interval else None,
                "interval_high": each.interval[1] if each.interval else None,
                "clear": each.clear, "verdict": each.verdict,
                "cases_needed": each.cases_needed} for each in result.comparisons],
        }
        return ApiResponse(StrategyComparisonSerializer(body).data)


def register(router: DefaultRouter) -> None:
    router.register("experience-reports", ExperienceReportViewSet,
                    basename="experience-report")
