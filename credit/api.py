"""REST resources of credit under /api/v1/: limits (read-only), requests with their domain
actions as sub-resources (submit, approve, reject, return), financial statements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from access.api import IdField, ReadOnlyModelSerializer, TenantScopedViewSet
from access.errors import DomainError
from access.requests import signed_in_user
from credit import selectors, services
from credit.models import CreditDecision, CreditLimit, CreditLimitRequest, FinancialStatement
from portfolio import selectors as portfolio_selectors
from portfolio.models import Debtor
from portfolio.validation import DATE_MAX, DATE_MIN, TEXT_MAX_LENGTH, MoneyField

if TYPE_CHECKING:
    # The stubs' name for "anything with has_permission"; it exists only for the type checker.
    from rest_framework.permissions import _SupportsHasPermission


class CreditLimitSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditLimit
        fields = ["id", "client", "debtor", "amount", "currency", "valid_from", "valid_until",
                  "review_date", "status", "request", "approved_score_band", "created_at"]
        read_only_fields = fields


def _user(serializer: serializers.BaseSerializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class CreditDecisionSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None, read_only=True)

    class Meta:
        model = CreditDecision
        fields = ["id", "action", "actor", "comment", "against_recommendation",
                  "override_reason", "figures", "created_at"]
        read_only_fields = fields

    def to_representation(self, instance: CreditDecision) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["figures"] = selectors.decision_figures_for(_user(self), data["figures"])
        return data


class CreditRequestSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = CreditLimitRequest
        fields = ["id", "client", "debtor", "kind", "amount", "currency", "justification",
                  "status", "tier", "requested_by", "review_of", "review_reason",
                  "recommended_amount", "recommendation", "approved_by_rule", "submitted_at",
                  "decided_at", "created_at", "updated_at"]
        read_only_fields = fields

    def to_representation(self, instance: CreditLimitRequest) -> dict[str, Any]:
        # The recommendation's steps quote the debtor's revenue and equity: the statements'
        # rule (credit.selectors.statements_visible) decides who reads them, as on the page.
        data = super().to_representation(instance)
        data["recommendation"] = selectors.recommendation_for(_user(self),
                                                              data["recommendation"])
        return data


class CreditRequestInputSerializer(serializers.Serializer):
    debtor = IdField()
    amount = MoneyField()
    justification = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    submit = serializers.BooleanField(default=False)


class DecisionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=TEXT_MAX_LENGTH)


class ApproveInputSerializer(DecisionInputSerializer):
    override_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH,
        help_text="Required when the amount is above the recommended limit: why approve it.")


class FinancialStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = FinancialStatement
        fields = ["id", "client", "debtor", "fiscal_year", *FinancialStatement.FIGURES,
                  "source", "entered_by", "flags", "created_at", "updated_at"]
        read_only_fields = fields


class FinancialStatementInputSerializer(serializers.Serializer):
    debtor = IdField()
    fiscal_year = serializers.IntegerField(min_value=DATE_MIN.year, max_value=DATE_MAX.year)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, may_be_negative in FinancialStatement.FIGURES.items():
            self.fields[name] = MoneyField(allow_negative=may_be_negative)


def _debtor_for_write(request: Request, pk: object) -> Debtor:
    try:
        return portfolio_selectors.debtor_get_for_user(user=request.user, pk=pk)
    except Http404:
        raise DomainError(f"Debtor {pk} does not exist or is not yours.", code="unknown_debtor",
                          field="debtor") from None


class MayDecide(permissions.BasePermission):
    """Approve, reject and return are for credit managers and committee members only; the
    tier itself is checked by the service."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated
                    and (user.has_perm("credit.decide_tier2")
                         or user.has_perm("credit.decide_tier3")))


class MaySeeStatements(permissions.BasePermission):
    """Financial statements: the same rule the pages apply (credit.selectors)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return selectors.statements_visible(request.user)


class CreditLimitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    serializer_class = CreditLimitSerializer
    filterset_fields = ["client", "debtor", "status"]

    def get_unscoped_queryset(self) -> QuerySet[CreditLimit]:
        return CreditLimit.objects.order_by("id")


class CreditRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           TenantScopedViewSet):
    serializer_class = CreditRequestSerializer
    filterset_fields = ["client", "debtor", "status", "tier", "kind"]

    def get_unscoped_queryset(self) -> QuerySet[CreditLimitRequest]:
        return CreditLimitRequest.objects.select_related("debtor", "client").order_by("id")

    def get_permissions(self) -> Sequence[_SupportsHasPermission]:
        if self.action in {"approve", "reject", "return_"}:
            return [permissions.IsAuthenticated(), MayDecide()]
        return super().get_permissions()

    @extend_schema(request=CreditRequestInputSerializer, responses=CreditRequestSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CreditRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        debtor = _debtor_for_write(request, values["debtor"])
        credit_request = services.credit_request_create(
            debtor=debtor, amount=values["amount"], justification=values["justification"],
            by=signed_in_user(request))
        if values["submit"]:
            credit_request = services.credit_request_submit(request=credit_request,
                                                            by=signed_in_user(request))
        return Response(self.get_serializer(credit_request).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses=CreditDecisionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def decisions(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        credit_request = self.get_object()
        rows = credit_request.decisions.select_related("actor").order_by("id")
        if not request.user.has_perm("credit.view_creditdecision"):
            raise Http404
        return Response(CreditDecisionSerializer(rows, many=True,
                                                 context=self.get_serializer_context()).data)

    def _act(self, request: Request, service: Any,
             input_serializer: type[serializers.Serializer] = DecisionInputSerializer
             ) -> Response:
        credit_request = self.get_object()
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        credit_request = service(request=credit_request, by=request.user,
                                 **data.validated_data)
        return Response(self.get_serializer(credit_request).data)

    @extend_schema(request=None, responses=CreditRequestSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        credit_request = services.credit_request_submit(request=self.get_object(),
                                                        by=signed_in_user(request))
        return Response(self.get_serializer(credit_request).data)

    @extend_schema(request=ApproveInputSerializer, responses=CreditRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self._act(request, services.credit_request_approve, ApproveInputSerializer)

    @extend_schema(request=DecisionInputSerializer, responses=CreditRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self._act(request, services.credit_request_reject)

    @extend_schema(request=DecisionInputSerializer, responses=CreditRequestSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self._act(request, services.credit_request_return)


class FinancialStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                TenantScopedViewSet):
    serializer_class = FinancialStatementSerializer
    filterset_fields = ["client", "debtor", "fiscal_year"]

    def get_unscoped_queryset(self) -> QuerySet[FinancialStatement]:
        return FinancialStatement.objects.order_by("id")

    def get_permissions(self) -> Sequence[_SupportsHasPermission]:
        return [*super().get_permissions(), MaySeeStatements()]

    @extend_schema(request=FinancialStatementInputSerializer,
                   responses=FinancialStatementSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = FinancialStatementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        debtor = _debtor_for_write(request, values.pop("debtor"))
        statement = services.financial_statement_save(
            debtor=debtor, fiscal_year=values.pop("fiscal_year"), figures=values,
            by=signed_in_user(request), source=FinancialStatement.Source.API)
        return Response(FinancialStatementSerializer(statement).data,
                        status=status.HTTP_201_CREATED)


def register(router: DefaultRouter) -> None:
    router.register("credit-limits", CreditLimitViewSet, basename="credit-limit")
    router.register("credit-requests", CreditRequestViewSet, basename="credit-request")
    router.register("financial-statements", FinancialStatementViewSet,
                    basename="financial-statement")
