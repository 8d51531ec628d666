"""Admin: read the registry and the scores; changes go through the services (promotion, runs)."""

from django.contrib import admin

from scoring.models import DebtorScore, ScoringModel


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["__str__", "client", "status", "proposed", "created_at"]
    list_filter = ["status", "kind", "segment"]
    list_select_related = ["client"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # models come from training, never from a form

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # promotion is a service with its own checks

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # the registry keeps every model: scores name theirs; old ones retire


@admin.register(DebtorScore)
class DebtorScoreAdmin(admin.ModelAdmin):
    list_display = ["debtor", "as_of", "band", "points", "probability", "model"]
    list_filter = ["band", "as_of"]
    list_select_related = ["debtor", "model"]
    raw_id_fields = ["debtor", "model"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
