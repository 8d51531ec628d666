"""Caring under /api/v1/: policies (credit managers write) and courtesy calls with their
outcome action (agents and team leaders); every role that sees a client reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from access.api import IdField, ReadOnlyModelSerializer, TenantScopedViewSet
from access.errors import DomainError
from access.requests import signed_in_user
from caring import services
from caring.models import BANDS, CaringPolicy, CourtesyCall
from portfolio import selectors as portfolio_selectors
from portfolio.validation import MoneyField, SaneDateField, SaneDateTimeField


class CaringPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = CaringPolicy
        fields = ["id", "client", "segment", "days_before_due", "min_amount", "bands",
                  "max_attempts", "control_share", "calls_per_agent_hour", "active",
                  "created_at", "updated_at"]
        read_only_fields = fields


class CaringPolicyInputSerializer(serializers.Serializer):
    # The bounds are caring.services._policy_data_clean's, stated here for the schema.
    client = IdField(required=False)
    segment = serializers.ChoiceField(choices=CaringPolicy.Segment.choices,
                                      default=CaringPolicy.Segment.ALL)
    days_before_due = serializers.IntegerField(default=5, min_value=1, max_value=30)
    min_amount = MoneyField(default=Decimal("0"))
    bands = serializers.CharField(max_length=5, default="".join(BANDS))
    max_attempts = serializers.IntegerField(default=3, min_value=1, max_value=10)
    control_share = serializers.DecimalField(max_digits=4, decimal_places=3,
                                             default=Decimal("0.100"), min_value=Decimal("0"),
                                             max_value=Decimal("0.5"))
    calls_per_agent_hour = serializers.IntegerField(default=10, min_value=1, max_value=60)
    active = serializers.BooleanField(default=True)


class CourtesyCallSerializer(ReadOnlyModelSerializer):
    invoices: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True)
    debtor_name = serializers.CharField(source="debtor.name", read_only=True)

    class Meta:
        model = CourtesyCall
        fields = ["id", "client", "policy", "debtor", "debtor_name", "invoices", "window_date",
                  "first_due_date", "amount", "priority", "status", "scheduled_at",
                  "assigned_to", "claimed_by", "attempts", "outcome", "payment_date",
                  "callback_at", "note", "cancel_reason", "schedule_reason", "completed_at"]
        read_only_fields = fields


class OutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CourtesyCall.Outcome.choices)
    payment_date = SaneDateField(required=False, allow_null=True, default=None)
    callback_at = SaneDateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ClaimInputSerializer(serializers.Serializer):
    """A claim takes no input: the requesting agent claims the call."""


class CaringPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          TenantScopedViewSet):
    serializer_class = CaringPolicySerializer
    filterset_fields = ["client", "segment", "active"]

    def get_unscoped_queryset(self) -> QuerySet[CaringPolicy]:
        return CaringPolicy.objects.order_by("id")

    @extend_schema(request=CaringPolicyInputSerializer, responses={201: CaringPolicySerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CaringPolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        client_id = values.pop("client", None)
        try:
            client = portfolio_selectors.client_get_for_user(user=request.user, pk=client_id)
        except Exception:
            raise DomainError("That client does not exist or is not yours.",
                              code="unknown_client", field="client") from None
        policy = services.policy_create(client=client, data=services.PolicyData(**values))
        return Response(CaringPolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaringPolicyInputSerializer, responses=CaringPolicySerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = self.get_object()
        # The body is checked alone first: anything but an object of known fields is a 400.
        data = CaringPolicyInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {name: getattr(policy, name) for name in (
            "segment", "days_before_due", "min_amount", "bands", "max_attempts",
            "control_share", "calls_per_agent_hour", "active")}
        values.update(data.validated_data)
        values.pop("client", None)
        policy = services.policy_update(policy=policy, data=services.PolicyData(**values))
        return Response(CaringPolicySerializer(policy).data)


class CourtesyCallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          TenantScopedViewSet):
    serializer_class = CourtesyCallSerializer
    filterset_fields = ["client", "debtor", "status", "window_date", "policy"]
    action_permissions = {"claim": ["caring.change_courtesycall"],
                          "outcome": ["caring.change_courtesycall"]}

    def get_unscoped_queryset(self) -> QuerySet[CourtesyCall]:
        return (CourtesyCall.objects.select_related("debtor").prefetch_related("links")
                .order_by("id"))

    @action(detail=True, methods=["post"], serializer_class=ClaimInputSerializer)
    def claim(self, request: Request, pk: str | None = None) -> Response:
        """Claim the call: one agent wins; the others get already_claimed."""
        call = services.call_claim(call=self.get_object(), user=signed_in_user(request))
        return Response(CourtesyCallSerializer(call).data)

    @action(detail=True, methods=["post"], serializer_class=OutcomeInputSerializer)
    def outcome(self, request: Request, pk: str | None = None) -> Response:
        """Record the outcome of a call the requesting agent has claimed."""
        data = OutcomeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call = services.call_outcome_record(call=self.get_object(), user=signed_in_user(request),
                                            **data.validated_data)
        return Response(CourtesyCallSerializer(call).data)


def register(router: DefaultRouter) -> None:
    router.register("caring-policies", CaringPolicyViewSet, basename="caringpolicy")
    router.register("courtesy-calls", CourtesyCallViewSet, basename="courtesycall")
