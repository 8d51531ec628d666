from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from credit.models import (
    CreditDecision,
    CreditLimit,
    CreditLimitRequest,
    CreditTierPolicy,
    FinancialStatement,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by credit.services: the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CreditTierPolicy)
class CreditTierPolicyAdmin(admin.ModelAdmin):
    list_display = ["client", "tier1_ceiling", "tier1_bands", "tier2_ceiling",
                    "committee_quorum", "service_time_hours", "review_months"]


@admin.register(CreditLimit)
class CreditLimitAdmin(ReadOnlyAdmin):
    list_display = ["debtor", "client", "amount", "currency", "status", "valid_from",
                    "review_date"]
    list_filter = ["status", "client"]
    list_select_related = ["debtor", "client"]
    show_full_result_count = False


@admin.register(CreditLimitRequest)
class CreditLimitRequestAdmin(ReadOnlyAdmin):
    list_display = ["debtor", "client", "kind", "amount", "tier", "status", "submitted_at"]
    list_filter = ["status", "tier", "kind"]
    list_select_related = ["debtor", "client"]
    show_full_result_count = False


@admin.register(CreditDecision)
class CreditDecisionAdmin(ReadOnlyAdmin):
    list_display = ["request", "action", "actor", "against_recommendation", "created_at"]
    list_filter = ["action", "against_recommendation"]
    list_select_related = ["request", "actor"]
    show_full_result_count = False


@admin.register(FinancialStatement)
class FinancialStatementAdmin(ReadOnlyAdmin):
    list_display = ["debtor", "fiscal_year", "revenue", "ebitda", "equity", "source"]
    list_select_related = ["debtor"]
    show_full_result_count = False
