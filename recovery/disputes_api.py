"""Disputes under /api/v1/disputes/: list and detail with the invoices concerned; open one on
a case, and resolve it (second-level users) as a sub-resource. Scoped by access.scoping through
TenantScopedViewSet; writes go through recovery/disputes.py."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from access.api import TenantScopedViewSet
from access.errors import DomainError
from access.scoping import scope_to_user
from recovery import disputes
from recovery.models import CollectionCase, CollectionContact, Dispute, DisputedInvoice


class DisputedInvoiceSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="invoice.number", read_only=True)
    due_date = serializers.DateField(source="invoice.due_date", read_only=True)
    open_balance = serializers.DecimalField(source="invoice.open_balance", max_digits=14,
                                            decimal_places=2, read_only=True)

    class Meta:
        model = DisputedInvoice
        fields = ["invoice", "number", "due_date", "amount", "open_balance", "is_open"]
        read_only_fields = fields


class DisputeSerializer(serializers.ModelSerializer):
    invoices = DisputedInvoiceSerializer(source="links", many=True, read_only=True)
    debtor_name = serializers.CharField(source="debtor.name", read_only=True)

    class Meta:
        model = Dispute
        fields = ["id", "client", "case", "debtor", "debtor_name", "reason", "detail",
                  "status", "opened_by", "opened_at", "contact", "resolved_by", "resolved_at",
                  "resolution_note", "credit_note", "invoices"]
        read_only_fields = fields


class DisputeOpenSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    invoices = serializers.ListField(child=serializers.IntegerField(), min_length=1,
                                     max_length=500)
    reason = serializers.ChoiceField(choices=Dispute.Reason.choices)
    detail = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=2000, help_text="The debtor's story.")
    contact = serializers.IntegerField(required=False, allow_null=True, default=None,
                                       help_text="The contact in which it was raised.")


# How a dispute ends.
RESOLUTION_CHOICES = [(Dispute.Status.UPHELD.value, Dispute.Status.UPHELD.label),
                      (Dispute.Status.REJECTED.value, Dispute.Status.REJECTED.label)]


class DisputeResolveSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=RESOLUTION_CHOICES)
    note = serializers.CharField(max_length=2000)


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    serializer_class = DisputeSerializer
    filterset_fields = ["client", "case", "debtor", "status", "reason"]
    # Resolving is checked by the service (a second-level user: several roles qualify).
    action_permissions = {"resolve": ["recovery.view_dispute"]}

    def get_unscoped_queryset(self) -> QuerySet[Dispute]:
        return (Dispute.objects.select_related("debtor")
                .prefetch_related(Prefetch(
                    "links", queryset=DisputedInvoice.objects.select_related("invoice")
                    .order_by("invoice_id")))
                .order_by("id"))

    def _fresh(self, dispute: Dispute) -> dict[str, Any]:
        return DisputeSerializer(self.get_unscoped_queryset().get(pk=dispute.pk)).data

    @extend_schema(request=DisputeOpenSerializer, responses={201: DisputeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a dispute on invoices of a case: they go on hold (no collection contact about
        them) and leave the case's overdue."""
        data = DisputeOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = scope_to_user(CollectionCase.objects.filter(pk=values["case"]),
                             request.user).first()
        if case is None:
            raise DomainError("That case does not exist or is not yours.", code="unknown_case",
                              field="case")
        contact = None
        if values["contact"] is not None:
            contact = CollectionContact.objects.filter(pk=values["contact"], case=case).first()
            if contact is None:
                raise DomainError("That contact is not about this case.",
                                  code="unknown_contact", field="contact")
        dispute = disputes.dispute_open(case=case, invoice_ids=values["invoices"],
                                        reason=values["reason"], detail=values["detail"],
                                        by=request.user, contact=contact)
        return Response(self._fresh(dispute), status=status.HTTP_201_CREATED)

    @extend_schema(request=DisputeResolveSerializer, responses=DisputeSerializer)
    @action(detail=True, methods=["post"], serializer_class=DisputeResolveSerializer)
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """Uphold (a credit note for the disputed open amount) or reject (back to collection),
        with a note. Second-level users only."""
        dispute = self.get_object()
        if not disputes.can_resolve_disputes(request.user):
            raise exceptions.PermissionDenied("Only a second-level user resolves disputes.")
        data = DisputeResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = disputes.dispute_resolve(dispute=dispute, by=request.user,
                                           outcome=data.validated_data["resolution"],
                                           note=data.validated_data["note"])
        return Response(self._fresh(dispute))


def register(router: DefaultRouter) -> None:
    router.register("disputes", DisputeViewSet, basename="dispute")
