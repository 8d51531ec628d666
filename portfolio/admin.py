from django.contrib import admin

from portfolio.models import Client, ContactPoint, CreditNote, Debtor, ImportJob, Invoice, Payment


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "currency", "kind"]
    search_fields = ["name", "vat_number"]


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    # An administrator clears a wrong-number report once the number is checked.
    fields = ["channel", "value", "label", "source", "confirmed", "wrong_number_at",
              "wrong_number_by"]
    readonly_fields = ["wrong_number_by"]


@admin.register(Debtor)
class DebtorAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "external_ref", "kind", "country", "do_not_call"]
    list_filter = ["client", "kind", "do_not_call", "vulnerable"]
    search_fields = ["name", "external_ref", "vat_number", "tax_code"]
    list_select_related = ["client"]
    inlines = [ContactPointInline]
    show_full_result_count = False  # a COUNT(*) over 100,000 debtors per page view adds up
    # The copy of the approved limit in force: credit's approval writes it, in the same
    # transaction as the limit; an edit here would make the debtor and its credit page disagree.
    readonly_fields = ["credit_limit"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "client", "debtor", "due_date", "amount", "open_balance", "status"]
    list_filter = ["client", "status"]
    search_fields = ["number"]
    raw_id_fields = ["debtor"]
    list_select_related = ["client", "debtor"]
    show_full_result_count = False
    # Balances move only through payments and credit notes (services), never by hand.
    readonly_fields = ["open_balance", "status"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["external_ref", "client", "debtor", "value_date", "amount",
                    "unallocated_amount"]
    list_filter = ["client", "method"]
    search_fields = ["external_ref"]
    raw_id_fields = ["debtor"]
    list_select_related = ["client", "debtor"]
    show_full_result_count = False
    readonly_fields = ["unallocated_amount"]


@admin.register(CreditNote)
class CreditNoteAdmin(admin.ModelAdmin):
    list_display = ["number", "client", "invoice", "kind", "amount", "issue_date"]
    raw_id_fields = ["invoice"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "client", "kind", "status", "rows_total", "error_count",
                    "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [field.name for field in ImportJob._meta.fields]
