"""/api/v1/contact-decisions/: the stored decisions, per debtor (?debtor=ID), tenant-scoped."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework import mixins, serializers
from rest_framework.routers import DefaultRouter

from access.api import IdFilter, TenantScopedViewSet
from compliance.models import ContactDecision


class ContactDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactDecision
        fields = ["id", "client", "debtor", "channel", "destination", "decided_at", "allowed",
                  "rule_ids", "reason", "next_permitted_at", "overridable", "pack_code",
                  "pack_version", "actor", "purpose", "created_at"]
        read_only_fields = fields


class ContactDecisionFilter(django_filters.FilterSet):
    # A plain number, not a choice validated against every debtor: an unknown or another
    # client's id must give the same empty page, never a 400 that confirms it exists.
    debtor = IdFilter(field_name="debtor_id")

    class Meta:
        model = ContactDecision
        fields = ["debtor", "channel", "allowed", "pack_code"]


class ContactDecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             TenantScopedViewSet):
    serializer_class = ContactDecisionSerializer
    filterset_class = ContactDecisionFilter

    def get_unscoped_queryset(self) -> QuerySet[ContactDecision]:
        return ContactDecision.objects.order_by("id")


def register(router: DefaultRouter) -> None:
    router.register("contact-decisions", ContactDecisionViewSet, basename="contact-decision")
