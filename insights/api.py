"""API resources of the insights app under /api/v1/: the KPIs of one client, read-only.

`/api/v1/kpis/{client id}/<family>/` answers the KPIs of one client the caller may see (another
client's id is a 404, as if it did not exist), in one currency (the client's unless
`?currency=` names another; never summed across currencies), over the half-open period
`?start=` (inclusive) to `?end=` (exclusive), the last full month by default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from access.api import TenantScopedViewSet
from experience.models import Kind
from insights.kpis import aging, cash, contacts, nps, promises, receivables
from insights.kpis.base import Kpi, KpiInputError, Period, Scope, add_months
from portfolio.models import Client

# A longer period would ask for one conditional SUM per month; two years covers every view.
MAX_PERIOD_DAYS = 731


class KpiQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day, inclusive (YYYY-MM-DD).")
    end = serializers.DateField(required=False, help_text="Day after the last, exclusive.")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False,
                                      help_text="ISO 4217 code; the client's by default.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start"), attrs.get("end")
        if (start is None) != (end is None):
            raise serializers.ValidationError(
                {"end" if end is None else "start": _("Give both start and end, or neither.")})
        if start is not None and end is not None:
            if end <= start:
                raise serializers.ValidationError(
                    {"end": _("The period must end after it starts (end is exclusive).")})
            if (end - start).days > MAX_PERIOD_DAYS:
                raise serializers.ValidationError(
                    {"end": _("The period may be at most two years long.")})
        return attrs


class AgingQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Aging date; today by default.")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)


class NpsQuerySerializer(KpiQuerySerializer):
    kind = serializers.ChoiceField(choices=Kind.choices,
                                   help_text="One kind: kinds are never combined.")


class KpiSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    variant = serializers.CharField()
    formula = serializers.CharField()
    unit = serializers.ChoiceField(choices=["days", "percent", "money", "count", "seconds",
                                            "ratio", "score"])
    value = serializers.CharField(allow_null=True, help_text="null when the denominator is 0 "
                                                             "(shown as n/a).")
    numerator = serializers.CharField(allow_null=True)
    denominator = serializers.CharField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())
    extra = serializers.DictField(child=serializers.JSONField(allow_null=True))


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive.")


class MonthKpiSerializer(serializers.Serializer):
    month = serializers.DateField()
    kpi = KpiSerializer()


class ReceivablesSerializer(serializers.Serializer):
    period = PeriodSerializer()
    currency = serializers.CharField()
    dso_simple = KpiSerializer()
    dso_count_back = KpiSerializer()
    best_possible_dso = KpiSerializer()
    average_days_delinquent = KpiSerializer()
    cei_monthly = MonthKpiSerializer(many=True)
    cei_monthly_avg = KpiSerializer()


class BucketSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    invoices = serializers.IntegerField()
    debtors = serializers.IntegerField()


class AgingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    buckets = BucketSerializer(many=True)


class KpiCohortSerializer(serializers.Serializer):
    month = serializers.DateField()
    cases = serializers.IntegerField()
    placed = serializers.DecimalField(max_digits=16, decimal_places=2)
    recovered = serializers.DecimalField(max_digits=16, decimal_places=2)
    recovery_rate = KpiSerializer()


class CashSerializer(serializers.Serializer):
    period = PeriodSerializer()
    currency = serializers.CharField()
    cash_recovered_gross = KpiSerializer()
    cash_recovered_net = KpiSerializer()
    customers_lost = KpiSerializer()
    cohorts = KpiCohortSerializer(many=True)


class DeskSerializer(serializers.Serializer):
    period = PeriodSerializer()
    currency = serializers.CharField()
    attempts = KpiSerializer()
    connect_rate = KpiSerializer()
    rpc_rate_per_attempt = KpiSerializer()
    rpc_rate_per_live_answer = KpiSerializer()
    right_party_contacts = KpiSerializer()
    promises_per_rpc = KpiSerializer()
    first_contact_resolution = KpiSerializer()
    recontact_rate = KpiSerializer()
    average_handle_time = KpiSerializer()
    promise_kept_by_count = KpiSerializer()
    promise_kept_by_amount = KpiSerializer()


class KpiNpsSerializer(serializers.Serializer):
    period = PeriodSerializer()
    kind = serializers.CharField()
    nps = KpiSerializer()


def _kpi(kpi: Kpi) -> dict[str, Any]:
    data = kpi.as_dict()
    for key in ("value", "numerator", "denominator"):
        if data[key] is not None:
            data[key] = str(data[key])
    return data


PERIOD_PARAMETERS = [
    OpenApiParameter("start", dt.date, description="First day, inclusive (YYYY-MM-DD)."),
    OpenApiParameter("end", dt.date, description="Day after the last, exclusive."),
    OpenApiParameter("currency", str, description="ISO 4217 code; the client's by default.",
                     pattern=r"^[A-Z]{3}$"),
]


class KpiViewSet(TenantScopedViewSet):
    """The KPIs of one client (SPEC §3): read-only, tenant-scoped through the client."""

    client_field = "pk"
    queryset = Client.objects.all()
    serializer_class = KpiSerializer

    def get_unscoped_queryset(self) -> QuerySet[Client]:
        return Client.objects.all()

    def _read(self, request: Request, query: type[serializers.Serializer]
              ) -> tuple[Scope, dict[str, Any]]:
        client = self.get_object()
        params = query(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            scope = Scope.of(client, params.validated_data.get("currency"))
        except KpiInputError as error:
            raise serializers.ValidationError({"currency": [str(error)]}) from None
        return scope, params.validated_data

    @staticmethod
    def _period(scope: Scope, data: dict[str, Any]) -> Period:
        if data.get("start"):
            return Period(data["start"], data["end"])
        first = scope.today().replace(day=1)
        return Period(add_months(first, -1), first)

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=ReceivablesSerializer)
    @action(detail=True, methods=["get"])
    def receivables(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        scope, data = self._read(request, KpiQuerySerializer)
        period = self._period(scope, data)
        monthly = receivables.cei_monthly(scope, period)
        body = {
            "period": {"start": period.start, "end": period.end}, "currency": scope.currency,
            "dso_simple": _kpi(receivables.dso_simple(scope, period)),
            "dso_count_back": _kpi(receivables.dso_count_back(scope, period)),
            "best_possible_dso": _kpi(receivables.best_possible_dso(scope, period)),
            "average_days_delinquent": _kpi(
                receivables.average_days_delinquent(scope, period)),
            "cei_monthly": [{"month": m.start, "kpi": _kpi(k)}
                            for m, k in zip(period.months(), monthly, strict=True)],
            "cei_monthly_avg": _kpi(receivables.cei_average_from(monthly)),
        }
        return Response(ReceivablesSerializer(body).data)

    @extend_schema(parameters=[
        OpenApiParameter("as_of", dt.date, description="Aging date; today by default."),
        PERIOD_PARAMETERS[2]], responses=AgingSerializer)
    @action(detail=True, methods=["get"])
    def aging(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        scope, data = self._read(request, AgingQuerySerializer)
        as_of = data.get("as_of") or scope.today()
        buckets = aging.aging(scope, as_of=as_of)
        body = {"as_of": as_of, "currency": scope.currency,
                "buckets": [b.__dict__ for b in buckets]}
        return Response(AgingSerializer(body).data)

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=CashSerializer)
    @action(detail=True, methods=["get"])
    def cash(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        scope, data = self._read(request, KpiQuerySerializer)
        period = self._period(scope, data)
        gross, net = cash.cash_recovered(scope, period)
        body = {
            "period": {"start": period.start, "end": period.end}, "currency": scope.currency,
            "cash_recovered_gross": _kpi(gross), "cash_recovered_net": _kpi(net),
            "customers_lost": _kpi(cash.customers_lost(scope, period)),
            "cohorts": [{"month": c.month, "cases": c.cases, "placed": c.placed,
                         "recovered": c.recovered, "recovery_rate": _kpi(c.kpi)}
                        for c in cash.recovery_by_cohort(scope, period)],
        }
        return Response(CashSerializer(body).data)

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=DeskSerializer)
    @action(detail=True, methods=["get"])
    def desk(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        scope, data = self._read(request, KpiQuerySerializer)
        period = self._period(scope, data)
        funnel = contacts.contact_funnel(scope, period)
        kept = promises.promise_kept(scope, period)
        body = {
            "period": {"start": period.start, "end": period.end}, "currency": scope.currency,
            "attempts": _kpi(funnel["attempts"]), "connect_rate": _kpi(funnel["connect_rate"]),
            "rpc_rate_per_attempt": _kpi(funnel["rpc_rate_attempts"]),
            "rpc_rate_per_live_answer": _kpi(funnel["rpc_rate_live"]),
            "right_party_contacts": _kpi(funnel["rpcs"]),
            "promises_per_rpc": _kpi(funnel["promises_per_rpc"]),
            "first_contact_resolution": _kpi(contacts.first_contact_resolution(scope, period)),
            "recontact_rate": _kpi(contacts.recontact_rate(scope, period)),
            "average_handle_time": _kpi(contacts.average_handle_time(scope, period)),
            "callbacks_on_time": _kpi(contacts.callbacks_on_time(scope, period)),
            "promise_kept_by_count": _kpi(kept["by_count"]),
            "promise_kept_by_amount": _kpi(kept["by_amount"]),
        }
        return Response(DeskSerializer(body).data)

    @extend_schema(parameters=[*PERIOD_PARAMETERS, OpenApiParameter(
        "kind", str, required=True, enum=Kind.values,
        description="One kind of NPS; an answer across kinds is refused.")],
        responses=KpiNpsSerializer)
    @action(detail=True, methods=["get"])
    def nps(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        scope, data = self._read(request, NpsQuerySerializer)
        period = self._period(scope, data)
        body = {"period": {"start": period.start, "end": period.end}, "kind": data["kind"],
                "nps": _kpi(nps.nps(scope, period, kind=data["kind"]))}
        return Response(KpiNpsSerializer(body).data)


def register(router: DefaultRouter) -> None:
    """Add this app's resources to the project's one router."""
    router.register("kpis", KpiViewSet, basename="kpis")
