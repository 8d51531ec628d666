"""The experience app in the admin (administrators only). Answers are read-only here: an
answer is the debtor's own words and is never edited; the token of a survey link is not shown."""

from django.contrib import admin
from django.http import HttpRequest

from experience.models import FollowUp, Programme, Response, Survey


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["client", "kind", "active", "delay_minutes", "sample_share",
                    "relational_sample_size", "relational_every_days", "link_valid_days",
                    "updated_at"]
    list_filter = ["kind", "active"]
    raw_id_fields = ["client"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["id", "client", "debtor", "kind", "trigger", "status", "due_at", "sent_at",
                    "answered_at", "strategy", "agent", "suppressed_reason"]
    list_filter = ["kind", "trigger", "status", "strategy", "medium"]
    search_fields = ["debtor__name", "debtor__external_ref"]
    raw_id_fields = ["client", "programme", "debtor", "case", "contact", "courtesy_call",
                     "agent", "decision"]
    exclude = ["token_hash"]
    date_hierarchy = "due_at"


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "client", "kind", "nps", "ces", "csat", "complaint", "strategy",
                    "agent", "source", "answered_at"]
    list_filter = ["kind", "trigger", "strategy", "complaint"]
    search_fields = ["comment", "source", "source_ref"]
    raw_id_fields = ["client", "survey", "debtor", "case", "agent"]
    date_hierarchy = "answered_at"

    def has_change_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["id", "client", "debtor", "reason", "status", "due_at", "assigned_to",
                    "resolution", "closed_at"]
    list_filter = ["status", "resolution"]
    raw_id_fields = ["client", "response", "debtor", "assigned_to", "closed_by"]
    date_hierarchy = "due_at"
