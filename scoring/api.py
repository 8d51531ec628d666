"""REST resources of scoring under /api/v1/: scores (read), the model registry (read + promote).

Both are tenant-scoped through TenantScopedViewSet; promotion needs the promote permission
(credit managers, administrators) on top of seeing the model.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from access.api import TenantScopedViewSet
from scoring.models import DebtorScore, ScoringModel
from scoring.services import scoring_model_promote


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    impact = serializers.IntegerField()


class DebtorScoreSerializer(serializers.ModelSerializer):
    reasons = ReasonSerializer(source="reason_lines", many=True, read_only=True)
    model_version = serializers.IntegerField(source="model.version", read_only=True)
    model_kind = serializers.CharField(source="model.kind", read_only=True)

    class Meta:
        model = DebtorScore
        fields = ["id", "client", "debtor", "model", "model_kind", "model_version", "as_of",
                  "probability", "points", "band", "reasons", "created_at"]
        read_only_fields = fields


class ScoringModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringModel
        fields = ["id", "client", "segment", "kind", "version", "status", "proposed",
                  "train_from", "train_to", "validate_from", "validate_to", "features",
                  "metrics", "calibration", "stability", "artifact_sha256", "promoted_at",
                  "created_at"]
        read_only_fields = fields


class CanPromote(permissions.BasePermission):
    """Promotion is a POST that creates nothing: it needs view + promote, not add."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user.has_perms(["scoring.view_scoringmodel",
                                            "scoring.promote_scoringmodel"]))


class DebtorScoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    serializer_class = DebtorScoreSerializer
    filterset_fields = ["client", "debtor", "model", "as_of", "band"]

    def get_unscoped_queryset(self) -> QuerySet[DebtorScore]:
        return DebtorScore.objects.select_related("model").order_by("id")


class ScoringModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          TenantScopedViewSet):
    serializer_class = ScoringModelSerializer
    filterset_fields = ["client", "segment", "kind", "status"]

    def get_unscoped_queryset(self) -> QuerySet[ScoringModel]:
        return ScoringModel.objects.order_by("id")

    @extend_schema(request=None, responses=ScoringModelSerializer)
    @action(detail=True, methods=["post"],
            permission_classes=[permissions.IsAuthenticated, CanPromote])
    def promote(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Make this model its client and segment's champion (the previous one retires)."""
        model = scoring_model_promote(model=self.get_object(), user=request.user)
        return Response(ScoringModelSerializer(model).data)


def register(router: DefaultRouter) -> None:
    router.register("scores", DebtorScoreViewSet, basename="score")
    router.register("scoring-models", ScoringModelViewSet, basename="scoring-model")
