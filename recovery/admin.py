from django.contrib import admin

from recovery.models import (
    AgentSkills,
    Callback,
    CaseStageChange,
    CollectionCase,
    CollectionContact,
    Dispute,
    DisputedInvoice,
    Instalment,
    PaymentPlan,
    PromiseToPay,
)


class StageChangeInline(admin.TabularInline):
    model = CaseStageChange
    extra = 0
    raw_id_fields = ["changed_by", "approved_by"]
    readonly_fields = ["from_stage", "to_stage", "changed_by", "reason", "approved_by",
                       "approved_at", "amicable_attempts", "created_at"]


@admin.register(CollectionCase)
class CollectionCaseAdmin(admin.ModelAdmin):
    list_display = ["debtor", "client", "status", "stage", "overdue_amount", "currency",
                    "oldest_due_date", "priority", "strategy", "on_hold", "claimed_by",
                    "next_action_at"]
    list_filter = ["status", "stage", "strategy", "on_hold", "segment"]
    search_fields = ["debtor__name", "debtor__external_ref"]
    raw_id_fields = ["client", "debtor", "claimed_by", "assigned_agent"]
    date_hierarchy = "opened_at"
    inlines = [StageChangeInline]


@admin.register(CaseStageChange)
class CaseStageChangeAdmin(admin.ModelAdmin):
    list_display = ["case", "from_stage", "to_stage", "changed_by", "approved_by", "created_at"]
    list_filter = ["to_stage"]
    raw_id_fields = ["case", "client", "changed_by", "approved_by"]


@admin.register(CollectionContact)
class CollectionContactAdmin(admin.ModelAdmin):
    list_display = ["debtor", "channel", "direction", "attempt_result", "party", "agent",
                    "saved_at", "handle_seconds"]
    list_filter = ["channel", "direction", "attempt_result", "party"]
    raw_id_fields = ["client", "debtor", "case", "agent", "decision", "attempt"]
    date_hierarchy = "saved_at"


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ["case", "agent", "due_at", "status"]
    list_filter = ["status"]
    raw_id_fields = ["client", "case", "agent", "contact"]


@admin.register(PromiseToPay)
class PromiseToPayAdmin(admin.ModelAdmin):
    list_display = ["debtor", "amount", "currency", "promised_date", "status", "paid_amount"]
    list_filter = ["status"]
    raw_id_fields = ["client", "debtor", "case", "created_by", "contact"]


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    raw_id_fields = ["client"]


@admin.register(PaymentPlan)
class PaymentPlanAdmin(admin.ModelAdmin):
    list_display = ["debtor", "total", "down_payment", "currency", "status", "created_by",
                    "approved_by"]
    list_filter = ["status", "instalment_kind"]
    raw_id_fields = ["client", "debtor", "case", "created_by", "approved_by", "supersedes",
                     "contact"]
    inlines = [InstalmentInline]


@admin.register(Instalment)
class InstalmentAdmin(admin.ModelAdmin):
    list_display = ["plan", "number", "due_date", "amount", "status", "paid_amount"]
    list_filter = ["status"]
    raw_id_fields = ["client", "plan"]


class DisputedInvoiceInline(admin.TabularInline):
    model = DisputedInvoice
    extra = 0
    raw_id_fields = ["client", "invoice"]


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ["debtor", "reason", "status", "opened_by", "opened_at", "resolved_by"]
    list_filter = ["status", "reason"]
    raw_id_fields = ["client", "debtor", "case", "opened_by", "resolved_by", "credit_note",
                     "contact", "hold"]
    inlines = [DisputedInvoiceInline]


@admin.register(DisputedInvoice)
class DisputedInvoiceAdmin(admin.ModelAdmin):
    list_display = ["dispute", "invoice", "amount", "is_open"]
    list_filter = ["is_open"]
    raw_id_fields = ["client", "dispute", "invoice"]


@admin.register(AgentSkills)
class AgentSkillsAdmin(admin.ModelAdmin):
    list_display = ["user", "languages", "segments", "second_level"]
    raw_id_fields = ["user"]
