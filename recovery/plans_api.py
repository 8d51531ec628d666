"""Payment plans under /api/v1/payment-plans/: list and detail with their instalments; create,
and the domain actions approve, reject, renegotiate and cancel as sub-resources. Scoped by
access.scoping through TenantScopedViewSet; writes go through recovery/plans.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from access.api import TenantScopedViewSet
from access.errors import DomainError
from access.scoping import scope_to_user
from portfolio.models import MONEY as MONEY_FIELD
from recovery import plans
from recovery.models import CollectionCase, CollectionContact, Instalment, PaymentPlan


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instalment
        fields = ["id", "number", "due_date", "amount", "status", "paid_amount",
                  "evaluated_at"]
        read_only_fields = fields


class PaymentPlanSerializer(serializers.ModelSerializer):
    instalments = InstalmentSerializer(many=True, read_only=True)
    debtor_name = serializers.CharField(source="debtor.name", read_only=True)

    class Meta:
        model = PaymentPlan
        fields = ["id", "client", "case", "debtor", "debtor_name", "status", "total",
                  "down_payment", "currency", "instalment_kind", "note", "created_by",
                  "approved_by", "approved_at", "supersedes", "contact", "closed_at",
                  "created_at", "instalments"]
        read_only_fields = fields


class PlanTermsSerializer(serializers.Serializer):
    total = serializers.DecimalField(**MONEY_FIELD)
    start_date = serializers.DateField()
    instalment_count = serializers.IntegerField(required=False, allow_null=True, default=None,
                                                min_value=1, max_value=plans.MAX_INSTALMENTS,
                                                help_text="Equal instalments: how many.")
    amounts = serializers.ListField(child=serializers.DecimalField(**MONEY_FIELD),
                                    required=False, allow_null=True, default=None,
                                    max_length=plans.MAX_INSTALMENTS,
                                    help_text="Custom instalments: their amounts in order.")
    down_payment = serializers.DecimalField(default=Decimal("0"), **MONEY_FIELD)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                 help_text="Needed when the total is above the overdue.")
    contact = serializers.IntegerField(required=False, allow_null=True, default=None,
                                       help_text="The contact in which the plan was agreed.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("instalment_count") is None) == (attrs.get("amounts") is None):
            raise serializers.ValidationError(
                "Give either instalment_count (equal) or amounts (custom).")
        return attrs


class PlanCreateSerializer(PlanTermsSerializer):
    case = serializers.IntegerField()


class PlanReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class PlanApproveSerializer(serializers.Serializer):
    """The action takes no input: the requesting user acts."""


def _terms(data: dict[str, Any]) -> plans.PlanTerms:
    return plans.PlanTerms(total=data["total"], start_date=data["start_date"],
                           instalment_count=data["instalment_count"], amounts=data["amounts"],
                           down_payment=data["down_payment"], note=data["note"])


def _contact(user: Any, case_id: int, pk: int | None) -> CollectionContact | None:
    if pk is None:
        return None
    contact = scope_to_user(CollectionContact.objects.filter(pk=pk, case_id=case_id),
                            user).first()
    if contact is None:
        raise DomainError("That contact does not exist or is not about this case.",
                          code="unknown_contact", field="contact")
    return contact


class PaymentPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         TenantScopedViewSet):
    serializer_class = PaymentPlanSerializer
    filterset_fields = ["client", "case", "debtor", "status"]
    action_permissions = {
        "approve": ["recovery.approve_paymentplan"],
        "reject": ["recovery.approve_paymentplan"],
        "renegotiate": ["recovery.add_paymentplan"],
        "cancel": ["recovery.add_paymentplan"],
    }

    def get_unscoped_queryset(self) -> QuerySet[PaymentPlan]:
        return (PaymentPlan.objects.select_related("debtor")
                .prefetch_related(Prefetch("instalments",
                                           queryset=Instalment.objects.order_by("number")))
                .order_by("id"))

    def _fresh(self, plan: PaymentPlan) -> dict[str, Any]:
        return PaymentPlanSerializer(self.get_unscoped_queryset().get(pk=plan.pk)).data

    @extend_schema(request=PlanCreateSerializer, responses={201: PaymentPlanSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Agree a plan on a case: active at once at or below the client's threshold,
        waiting for a team leader above it."""
        data = PlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = scope_to_user(CollectionCase.objects.filter(pk=data.validated_data["case"]),
                             request.user).first()
        if case is None:
            raise DomainError("That case does not exist or is not yours.", code="unknown_case",
                              field="case")
        plan = plans.payment_plan_create(
            case=case, by=request.user, terms=_terms(data.validated_data),
            contact=_contact(request.user, case.pk, data.validated_data["contact"]))
        return Response(self._fresh(plan), status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanApproveSerializer, responses=PaymentPlanSerializer)
    @action(detail=True, methods=["post"], serializer_class=PlanApproveSerializer)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """A team leader approves a plan waiting for approval."""
        plan = plans.payment_plan_approve(plan=self.get_object(), by=request.user)
        return Response(self._fresh(plan))

    @extend_schema(request=PlanReasonSerializer, responses=PaymentPlanSerializer)
    @action(detail=True, methods=["post"], serializer_class=PlanReasonSerializer)
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """A team leader refuses a plan waiting for approval, saying why."""
        data = PlanReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plans.payment_plan_reject(plan=self.get_object(), by=request.user,
                                         reason=data.validated_data["reason"])
        return Response(self._fresh(plan))

    @extend_schema(request=PlanReasonSerializer, responses=PaymentPlanSerializer)
    @action(detail=True, methods=["post"], serializer_class=PlanReasonSerializer)
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a plan that still binds, saying why."""
        data = PlanReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plans.payment_plan_cancel(plan=self.get_object(), by=request.user,
                                         reason=data.validated_data["reason"])
        return Response(self._fresh(plan))

    @extend_schema(request=PlanTermsSerializer, responses={201: PaymentPlanSerializer})
    @action(detail=True, methods=["post"], serializer_class=PlanTermsSerializer)
    def renegotiate(self, request: Request, pk: str | None = None) -> Response:
        """Replace the plan by new terms: the old one is kept as renegotiated and the new
        one supersedes it."""
        old = self.get_object()
        data = PlanTermsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plans.payment_plan_renegotiate(
            plan=old, by=request.user, terms=_terms(data.validated_data),
            contact=_contact(request.user, old.case_id, data.validated_data["contact"]))
        return Response(self._fresh(plan), status=status.HTTP_201_CREATED)


def register(router: DefaultRouter) -> None:
    router.register("payment-plans", PaymentPlanViewSet, basename="paymentplan")
