"""The collections desk under /api/v1/: cases (with claim-next, claim, release and escalate),
contacts (creating one records its outcome and side effects) and promises to pay. Every role
that sees a client reads; agents and team leaders work cases; stage moves need their
permission, legal a credit manager's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from access.api import TenantScopedViewSet
from access.errors import DomainError
from recovery import selectors, services
from recovery.models import (
    NOTES_MAX,
    CollectionCase,
    CollectionContact,
    Dispute,
    PromiseToPay,
)


class CollectionCaseSerializer(serializers.ModelSerializer):
    debtor_name = serializers.CharField(source="debtor.name", read_only=True)

    class Meta:
        model = CollectionCase
        fields = ["id", "client", "debtor", "debtor_name", "status", "stage", "opened_at",
                  "closed_at", "close_reason", "reopened_count", "overdue_amount",
                  "oldest_due_date", "currency", "priority", "priority_reasons", "strategy",
                  "language", "segment", "claimed_by", "claimed_at", "claim_expires_at",
                  "assigned_agent", "next_action_at", "next_action_reason", "on_hold",
                  "hold_reason", "last_contact_at"]
        read_only_fields = fields


class CollectionContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = CollectionContact
        fields = ["id", "client", "debtor", "case", "channel", "direction", "destination",
                  "attempt_result", "party", "outcomes", "reason_for_non_payment",
                  "mood_start", "mood_end", "empathy_markers", "next_step", "notes", "agent",
                  "opened_at", "saved_at", "handle_seconds", "do_not_survey",
                  "do_not_survey_reason", "decision"]
        read_only_fields = fields


class PromiseToPaySerializer(serializers.ModelSerializer):
    class Meta:
        model = PromiseToPay
        fields = ["id", "client", "debtor", "case", "amount", "currency", "promised_date",
                  "grace_days", "threshold", "status", "paid_amount", "evaluated_at",
                  "created_by", "contact", "created_at"]
        read_only_fields = fields


class NoInputSerializer(serializers.Serializer):
    """The action takes no input: it acts for the requesting agent."""


class EscalateInputSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=CollectionCase.Stage.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ContactInputSerializer(serializers.Serializer):
    """One contact in the SPEC §2 taxonomy, with the details its outcomes need."""

    case = serializers.IntegerField()
    attempt_result = serializers.ChoiceField(choices=CollectionContact.AttemptResult.choices)
    channel = serializers.ChoiceField(choices=CollectionContact.Channel.choices,
                                      default=CollectionContact.Channel.CALL)
    direction = serializers.ChoiceField(choices=CollectionContact.Direction.choices,
                                        default=CollectionContact.Direction.OUTBOUND)
    destination = serializers.CharField(required=False, allow_blank=True, default="",
                                        max_length=254)
    party = serializers.ChoiceField(choices=CollectionContact.Party.choices, required=False,
                                    allow_blank=True, default="")
    outcomes = serializers.ListField(
        child=serializers.ChoiceField(choices=CollectionContact.Outcome.choices),
        required=False, default=list)
    reason_for_non_payment = serializers.ChoiceField(
        choices=CollectionContact.NonPaymentReason.choices, required=False, allow_blank=True,
        default="")
    mood_start = serializers.ChoiceField(choices=CollectionContact.Mood.choices,
                                         required=False, allow_blank=True, default="")
    mood_end = serializers.ChoiceField(choices=CollectionContact.Mood.choices, required=False,
                                       allow_blank=True, default="")
    empathy_markers = serializers.ListField(
        child=serializers.ChoiceField(choices=CollectionContact.EmpathyMarker.choices),
        required=False, default=list)
    next_step = serializers.ChoiceField(choices=CollectionContact.NextStep.choices,
                                        default=CollectionContact.NextStep.NONE)
    notes = serializers.CharField(required=False, allow_blank=True, default="",
                                  max_length=NOTES_MAX)
    opened_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    do_not_survey = serializers.BooleanField(default=False)
    do_not_survey_reason = serializers.CharField(required=False, allow_blank=True, default="",
                                                 max_length=200)
    promise_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                              allow_null=True, default=None)
    promise_date = serializers.DateField(required=False, allow_null=True, default=None)
    callback_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    callback_consent = serializers.BooleanField(default=False)
    dispute_invoice_ids = serializers.ListField(child=serializers.IntegerField(),
                                                required=False, default=list)
    dispute_reason = serializers.ChoiceField(choices=Dispute.Reason.choices, required=False,
                                             allow_blank=True, default="")
    dispute_detail = serializers.CharField(required=False, allow_blank=True, default="",
                                           max_length=NOTES_MAX)
    inconvenient_weekdays = serializers.ListField(child=serializers.CharField(max_length=3),
                                                  required=False, default=list)
    inconvenient_from = serializers.TimeField(required=False, allow_null=True, default=None)
    inconvenient_to = serializers.TimeField(required=False, allow_null=True, default=None)
    opt_out_channel = serializers.ChoiceField(choices=CollectionContact.Channel.choices,
                                              required=False, allow_blank=True, default="")


class CollectionCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            TenantScopedViewSet):
    serializer_class = CollectionCaseSerializer
    filterset_fields = ["client", "debtor", "status", "stage", "on_hold", "strategy"]
    action_permissions = {"claim_next": ["recovery.work_case"],
                          "claim": ["recovery.work_case"],
                          "release": ["recovery.work_case"],
                          "escalate": ["recovery.escalate_case"]}

    def get_unscoped_queryset(self) -> QuerySet[CollectionCase]:
        return CollectionCase.objects.select_related("debtor").order_by("id")

    @extend_schema(request=NoInputSerializer,
                   responses={200: CollectionCaseSerializer,
                              204: OpenApiResponse(description="No case to work now.")})
    @action(detail=False, methods=["post"], url_path="claim-next",
            serializer_class=NoInputSerializer)
    def claim_next(self, request: Request) -> Response:
        """The best case the requesting agent may work now, claimed for them (a lease)."""
        case = services.case_claim_next(agent=request.user)
        if case is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(CollectionCaseSerializer(case).data)

    @extend_schema(request=NoInputSerializer, responses=CollectionCaseSerializer)
    @action(detail=True, methods=["post"], serializer_class=NoInputSerializer)
    def claim(self, request: Request, pk: str | None = None) -> Response:
        """Claim this case: one agent wins; the others get already_claimed."""
        case = services.case_claim(case=self.get_object(), agent=request.user)
        return Response(CollectionCaseSerializer(case).data)

    @extend_schema(request=NoInputSerializer, responses=CollectionCaseSerializer)
    @action(detail=True, methods=["post"], serializer_class=NoInputSerializer)
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Give the requesting agent's claim back to the queue."""
        case = self.get_object()
        services.case_release(case=case, agent=request.user)
        case.refresh_from_db()
        return Response(CollectionCaseSerializer(case).data)

    @extend_schema(request=EscalateInputSerializer, responses=CollectionCaseSerializer)
    @action(detail=True, methods=["post"], serializer_class=EscalateInputSerializer)
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """Move the case to another stage; a move to legal is approved by the requesting
        credit manager, with a reason."""
        data = EscalateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        to_stage = data.validated_data["to_stage"]
        case = self.get_object()
        services.case_escalate(
            case=case, to_stage=to_stage, by=request.user, reason=data.validated_data["reason"],
            approved_by=request.user if to_stage == CollectionCase.Stage.LEGAL else None)
        case.refresh_from_db()
        return Response(CollectionCaseSerializer(case).data)


class CollectionContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                               TenantScopedViewSet):
    serializer_class = CollectionContactSerializer
    filterset_fields = ["client", "debtor", "case", "agent", "channel", "direction",
                        "attempt_result", "party"]

    def get_unscoped_queryset(self) -> QuerySet[CollectionContact]:
        return CollectionContact.objects.order_by("id")

    @extend_schema(request=ContactInputSerializer, responses={201: CollectionContactSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a contact on a case and apply its outcomes (promise, callback, dispute,
        holds and restrictions); the agent's claim on the case is released."""
        data = ContactInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        case_id = values.pop("case")
        try:
            case = selectors.case_get_for_user(user=request.user, pk=case_id)
        except Http404:
            raise DomainError("That case does not exist or is not yours.", code="unknown_case",
                              field="case") from None
        contact = services.contact_outcome_record(case=case, agent=request.user,
                                                  data=services.ContactData(**values))
        return Response(CollectionContactSerializer(contact).data,
                        status=status.HTTP_201_CREATED)


class PromiseToPayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          TenantScopedViewSet):
    serializer_class = PromiseToPaySerializer
    filterset_fields = ["client", "debtor", "case", "status"]

    def get_unscoped_queryset(self) -> QuerySet[PromiseToPay]:
        return PromiseToPay.objects.order_by("id")


def register(router: DefaultRouter) -> None:
    router.register("collection-cases", CollectionCaseViewSet, basename="collectioncase")
    router.register("collection-contacts", CollectionContactViewSet,
                    basename="collectioncontact")
    router.register("promises-to-pay", PromiseToPayViewSet, basename="promisetopay")
