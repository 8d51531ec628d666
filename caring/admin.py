from django.contrib import admin

from caring.models import CaringAssignment, CaringPolicy, CaringTask, CourtesyCall


@admin.register(CaringPolicy)
class CaringPolicyAdmin(admin.ModelAdmin):
    list_display = ["client", "segment", "days_before_due", "min_amount", "bands", "max_attempts",
                    "control_share", "active"]
    list_filter = ["active", "segment"]


@admin.register(CourtesyCall)
class CourtesyCallAdmin(admin.ModelAdmin):
    list_display = ["debtor", "client", "window_date", "scheduled_at", "status", "outcome",
                    "attempts", "amount", "priority"]
    list_filter = ["status", "outcome"]
    raw_id_fields = ["debtor", "policy", "assigned_to", "claimed_by"]
    date_hierarchy = "window_date"


@admin.register(CaringAssignment)
class CaringAssignmentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "policy", "window_date", "bucket", "in_control"]
    list_filter = ["in_control"]
    raw_id_fields = ["invoice", "debtor", "policy"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        # Groups are the experiment's record: never moved by hand.
        return False


@admin.register(CaringTask)
class CaringTaskAdmin(admin.ModelAdmin):
    list_display = ["kind", "invoice", "status", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["call", "invoice"]
