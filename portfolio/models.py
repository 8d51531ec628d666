"""The ledger: clients (tenants), debtors, invoices, payments, credit notes and imports.

Invariants live in the database as named constraints as well as in the services, so that a
bulk import, an admin edit or a bug cannot leave an invoice with more paid than it was worth.
Every index names the query it serves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class MoneyDigits(TypedDict):
    """The digits of every money column (typed, so that `**MONEY` type-checks)."""

    max_digits: int
    decimal_places: int


MONEY: MoneyDigits = {"max_digits": 14, "decimal_places": 2}


class Client(models.Model):
    """The creditor whose receivables Fido manages: the tenant every other row belongs to."""

    class Kind(models.TextChoices):
        IN_HOUSE = "in_house", _("Collects its own debts")
        AGENCY = "agency", _("Agency acting for creditors")

    name = models.CharField(_("name"), max_length=200)
    vat_number = models.CharField(_("VAT number"), max_length=32)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217"))
    reporting_timezone = models.CharField(_("reporting time zone"), max_length=64,
                                          default="Europe/Rome")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.IN_HOUSE)
    # How long the client's accounting records (invoices, payments, credit notes) must be
    # kept, in years from the last entry: a debtor with records younger than this cannot be
    # erased, only restricted (GDPR Art. 17(3)(b), SPEC §6: retention is per-client
    # configuration). Default 10: Italian Civil Code art. 2220 (accounting records and
    # invoices kept ten years from the last entry), also the ordinary limitation period of a
    # claim (art. 2946).
    retention_years = models.PositiveSmallIntegerField(
        _("record retention (years)"), default=10, db_default=10,
        help_text=_("Years accounting records are kept after the last entry (Italy: 10, "
                    "Civil Code art. 2220)."))
    # The collection fee the client pays on cash recovered (an agency's commission), in
    # percent: cash recovered "net of fees" takes it off (SPEC §3). 0 for in-house collection.
    fee_percent = models.DecimalField(
        _("collection fee (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
        db_default=Decimal("0"),
        help_text=_("Share of cash recovered paid as collection fees; 0 when collecting in-house."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("client")
        constraints = [
            models.UniqueConstraint(fields=["country", "vat_number"],
                                    name="portfolio_client_vat_unique"),
            models.CheckConstraint(condition=Q(fee_percent__gte=0) & Q(fee_percent__lte=100),
                                   name="portfolio_client_fee_percent_range"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"),
                                   name="portfolio_client_currency_iso"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"),
                                   name="portfolio_client_country_iso"),
            models.CheckConstraint(condition=Q(retention_years__gte=1, retention_years__lte=100),
                                   name="portfolio_client_retention_in_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Debtor(models.Model):
    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        CONSUMER = "consumer", _("Consumer")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="debtors")
    external_ref = models.CharField(_("customer code"), max_length=64,
                                    help_text=_("The client's own code for this debtor."))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    tax_code = models.CharField(_("tax code"), max_length=32, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    sector = models.CharField(_("sector"), max_length=64, blank=True)
    founded_year = models.PositiveSmallIntegerField(_("year founded"), null=True, blank=True)
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region or state"), max_length=16, blank=True,
                              help_text=_("ISO 3166-2 subdivision code, e.g. CA or LOM."))
    country = models.CharField(_("country"), max_length=2)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True,
                                help_text=_("Derived from the address (IANA name)."))
    language = models.CharField(_("language"), max_length=8, default="it")

    # The approved credit limit (fido cliente) in force, kept here by credit's approval service
    # so that the ledger, scoring and every screen read it without depending on credit/.
    credit_limit = models.DecimalField(_("credit limit"), null=True, blank=True, **MONEY)
    # Exposure beyond open invoices that the client imports (orders not yet invoiced …).
    other_exposure = models.DecimalField(_("other exposure"), default=Decimal("0"), **MONEY)

    do_not_call = models.BooleanField(_("do not call"), default=False)
    do_not_call_set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    do_not_call_set_at = models.DateTimeField(null=True, blank=True)
    vulnerable = models.BooleanField(_("vulnerable"), default=False)
    vulnerable_set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    vulnerable_set_at = models.DateTimeField(null=True, blank=True)
    deceased = models.BooleanField(_("deceased"), default=False)
    deceased_set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    deceased_set_at = models.DateTimeField(null=True, blank=True)
    # GDPR Art. 18 restriction of processing: set when an erasure request had to be refused
    # (portfolio/privacy.py). No contact of any kind (the contact engine's hold.restricted),
    # out of every work queue; the data is only stored.
    # db_default: the import's and the demo's set-based INSERTs name their columns.
    processing_restricted = models.BooleanField(_("processing restricted"), default=False,
                                                db_default=False)
    processing_restricted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                                 blank=True, on_delete=models.SET_NULL,
                                                 related_name="+")
    processing_restricted_at = models.DateTimeField(null=True, blank=True)
    processing_restricted_reason = models.TextField(_("why processing is restricted"),
                                                    blank=True, default="", db_default="")
    # Set when the debtor's personal data was pseudonymised on an erasure request; the
    # ledger rows stay, named by the pseudonym.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("debtor")
        constraints = [
            # Natural key of the import: a re-import updates, never duplicates.
            models.UniqueConstraint(fields=["client", "external_ref"],
                                    name="portfolio_debtor_ref_unique"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"),
                                   name="portfolio_debtor_country_iso"),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="portfolio_debtor_credit_limit_gte_0",
            ),
            models.CheckConstraint(condition=Q(other_exposure__gte=0),
                                   name="portfolio_debtor_other_exposure_gte_0"),
            models.CheckConstraint(
                condition=Q(do_not_call=False) | Q(do_not_call_set_at__isnull=False),
                name="portfolio_debtor_dnc_recorded",
            ),
            models.CheckConstraint(
                condition=Q(vulnerable=False) | Q(vulnerable_set_at__isnull=False),
                name="portfolio_debtor_vulnerable_recorded",
            ),
            models.CheckConstraint(
                condition=Q(deceased=False) | Q(deceased_set_at__isnull=False),
                name="portfolio_debtor_deceased_recorded",
            ),
            models.CheckConstraint(
                condition=Q(processing_restricted=False)
                | Q(processing_restricted_at__isnull=False),
                name="portfolio_debtor_restriction_recorded",
            ),
        ]
        permissions = [
            ("export_debtor_data", _("Can export a debtor's personal data")),
            ("erase_debtor_data", _("Can erase or restrict a debtor's personal data")),
        ]
        indexes = [
            # The debtor list and search: a client's debtors by name.
            models.Index(fields=["client", "name"], name="portfolio_debtor_client_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactPoint(models.Model):
    """A phone number or e-mail address of a debtor, normalised (E.164 for phones)."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")

    class Source(models.TextChoices):
        CLIENT_FILE = "client_file", _("Client's file")
        FOUND = "found", _("Found elsewhere")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="contact_points")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    value = models.CharField(max_length=254)
    label = models.CharField(max_length=32, blank=True, help_text=_("mobile, home, work …"))
    timezones = models.JSONField(default=list, blank=True,
                                 help_text=_("IANA zones the number may be in (phones)."))
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CLIENT_FILE)
    # A contact point found outside the client's file needs confirmation before any debt
    # content is sent to it (SPEC §6).
    confirmed = models.BooleanField(default=True)
    # Reported as a wrong number (someone else answered): the contact engine never picks it
    # again and refuses a call to it until the report is cleared. Who and when, as for flags.
    wrong_number_at = models.DateTimeField(_("reported wrong number at"), null=True, blank=True)
    wrong_number_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debtor_id", "channel", "id"]
        constraints = [
            models.UniqueConstraint(fields=["debtor", "channel", "value"],
                                    name="portfolio_contact_point_once"),
        ]

    def __str__(self) -> str:
        return self.value


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        DISPUTED = "disputed", _("Disputed")
        WRITTEN_OFF = "written_off", _("Written off")

    # No per-row foreign key in the database: on PostgreSQL the ledger triggers of migrations
    # 0005-0006 check the references once per statement and key-share lock the parents, which
    # a million-row import needs (a per-row key check doubled its cost). Deletes are refused
    # by PROTECT here and by triggers on the parents.
    # No single-column indexes of their own: the (client, number) constraint leads with the
    # client and the covering ledger index below with the debtor.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices",
                               db_constraint=False, db_index=False)
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="invoices",
                               db_constraint=False, db_index=False)
    number = models.CharField(_("number"), max_length=64)
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    open_balance = models.DecimalField(_("open balance"), **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    # The date the invoice became settled: the latest value date of its allocated payments and
    # issue date of its credit notes, once they cover the amount; NULL while open or unknown.
    # Maintained by PostgreSQL triggers (portfolio migration 0008) so that scoring need not
    # re-add every settled invoice's allocations; NULL on SQLite, where scoring does.
    last_settlement_on = models.DateField(_("settled on"), null=True, blank=True,
                                          editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("invoice")
        constraints = [
            models.UniqueConstraint(fields=["client", "number"],
                                    name="portfolio_invoice_number_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0),
                                   name="portfolio_invoice_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(open_balance__gte=0) & Q(open_balance__lte=F("amount")),
                name="portfolio_invoice_balance_in_range",
            ),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")),
                                   name="portfolio_invoice_due_after_issue"),
            # The status says what the balance says; disputed and written-off are set by
            # decisions, not by arithmetic.
            models.CheckConstraint(
                condition=(
                    Q(status="open", open_balance=F("amount"))
                    | Q(status="partially_paid", open_balance__gt=0, open_balance__lt=F("amount"))
                    | Q(status="paid", open_balance=0)
                    | Q(status__in=["disputed", "written_off"])
                ),
                name="portfolio_invoice_status_matches_balance",
            ),
        ]
        indexes = [
            # Allocation (oldest due first) and the debtor's page: a debtor's invoices by due date.
            models.Index(fields=["debtor", "due_date"], name="portfolio_invoice_debtor_due"),
            # Scoring's features: a chunk of debtors' invoices read from the index alone, in
            # debtor order (PostgreSQL; no heap visits, no sort before grouping by debtor).
            models.Index(fields=["debtor"], name="portfolio_invoice_ledger",
                         include=["client", "id", "issue_date", "due_date", "amount", "status",
                                  "last_settlement_on"]),
            # Aging and the caring planner: a client's unsettled invoices by due date.
            models.Index(fields=["client", "due_date"], name="portfolio_invoice_open_due",
                         condition=Q(status__in=["open", "partially_paid", "disputed"])),
        ]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        CARD = "card", _("Card")
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        OTHER = "other", _("Other")

    # No per-row foreign key in the database: on PostgreSQL the ledger triggers of migrations
    # 0005-0006 check the references once per statement and key-share lock the parents, which
    # a million-row import needs (a per-row key check doubled its cost). Deletes are refused
    # by PROTECT here and by triggers on the parents.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payments",
                               db_constraint=False)
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="payments",
                               db_constraint=False)
    external_ref = models.CharField(
        _("reference"), max_length=64,
        help_text=_("Unique per client: a re-imported payment is never counted twice."))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    value_date = models.DateField(_("value date"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices,
                              default=Method.BANK_TRANSFER)
    invoice_reference = models.CharField(
        _("invoice named"), max_length=64, blank=True,
        help_text=_("When the payment names an invoice it is allocated there first."))
    unallocated_amount = models.DecimalField(_("unallocated"), default=Decimal("0"), **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-value_date", "-id"]
        verbose_name = _("payment")
        constraints = [
            models.UniqueConstraint(fields=["client", "external_ref"],
                                    name="portfolio_payment_ref_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="portfolio_payment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(unallocated_amount__gte=0) & Q(unallocated_amount__lte=F("amount")),
                name="portfolio_payment_unallocated_in_range",
            ),
        ]
        indexes = [
            # Cash recovered per period and the debtor's page: a debtor's payments by value date.
            models.Index(fields=["debtor", "value_date"], name="portfolio_payment_debtor_date"),
            # Cash recovered per client and period.
            models.Index(fields=["client", "value_date"], name="portfolio_payment_client_date"),
        ]

    def __str__(self) -> str:
        return self.external_ref


class PaymentReversal(models.Model):
    """A payment that did not stay paid: a bounced direct debit, a returned cheque, a card
    chargeback, a refund. Its allocations are undone (the invoices reopen) and cash recovered
    counts it off in the period it is booked (SPEC §3). A payment is reversed whole, once."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("Direct debit or transfer returned")
        CHEQUE_RETURNED = "cheque_returned", _("Cheque returned unpaid")
        CHARGEBACK = "chargeback", _("Card chargeback")
        REFUND = "refund", _("Refunded to the debtor")
        ERROR = "error", _("Recorded in error")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="reversal",
                                   verbose_name=_("payment"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    booked_on = models.DateField(_("booked on"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-booked_on", "-id"]
        verbose_name = _("payment reversal")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0),
                                   name="portfolio_reversal_amount_gt_0"),
        ]
        indexes = [
            # Cash recovered per client and period takes off the reversals booked in it.
            models.Index(fields=["client", "booked_on"], name="portfolio_reversal_client_day"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} reversed on {self.booked_on}"


class PaymentAllocation(models.Model):
    """The part of a payment that settled one invoice."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"],
                                    name="portfolio_allocation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0),
                                   name="portfolio_allocation_amount_gt_0"),
        ]
        indexes = [
            # An invoice's payment history (scoring: days to pay; the debtor page).
            models.Index(fields=["invoice"], name="portfolio_allocation_invoice"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} to invoice {self.invoice_id}"


class CreditNote(models.Model):
    """A credit note or adjustment that lowers an invoice's balance; write-offs are one kind."""

    class Kind(models.TextChoices):
        CREDIT_NOTE = "credit_note", _("Credit note")
        ADJUSTMENT = "adjustment", _("Adjustment")
        WRITE_OFF = "write_off", _("Write-off")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(_("number"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices,
                            default=Kind.CREDIT_NOTE)
    amount = models.DecimalField(_("amount"), **MONEY)
    issue_date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("credit note")
        constraints = [
            models.UniqueConstraint(fields=["client", "number"],
                                    name="portfolio_credit_note_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0),
                                   name="portfolio_credit_note_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return self.number


class ImportJob(models.Model):
    """One uploaded file: validated (dry run) first, committed all-or-nothing on request."""

    class Kind(models.TextChoices):
        DEBTORS = "debtors", _("Debtors")
        INVOICES = "invoices", _("Invoices")
        PAYMENTS = "payments", _("Payments")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Ready to import")
        REJECTED = "rejected", _("Rejected")
        COMMITTING = "committing", _("Importing")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Failed")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="imports")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    rows_total = models.IntegerField(default=0)
    rows_processed = models.IntegerField(default=0)
    to_create = models.IntegerField(default=0)
    to_update = models.IntegerField(default=0)
    unchanged = models.IntegerField(default=0)
    error_count = models.IntegerField(default=0)
    # The first rejected rows, each {"line": n, "column": name, "message": text}.
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    # The checked rows, normalised, one file per staging table (storage names): written by
    # the check, streamed by COPY into the staging tables by the preview and the commit.
    checked_files = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When a worker (or the request) claimed the current step; a claim older than any task
    # may run means its worker died, and the step may be claimed again.
    started_at = models.DateTimeField(null=True, blank=True)
    commit_requested_at = models.DateTimeField(null=True, blank=True)
    commit_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        indexes = [
            models.Index(fields=["client", "-created_at"], name="portfolio_import_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"
