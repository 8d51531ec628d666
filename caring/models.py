"""Caring (pre-due): policies, the random control group, courtesy calls and their follow-ups.

Idempotency lives in the database: an invoice is assigned to the called or the control group
once (`caring_assignment_invoice_once`), belongs to at most one courtesy call
(`caring_callinvoice_invoice_once`), and a debtor has at most one call per planning day
(`caring_call_debtor_day_once`), so the planner inserts with ON CONFLICT DO NOTHING and can be
re-run, killed and resumed at any time.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portfolio.models import MONEY, Client, Debtor, Invoice

BANDS = ("A", "B", "C", "D", "E")


def control_seed_new() -> int:
    return secrets.randbelow(1_000_000) + 1


class CaringPolicy(models.Model):
    """How a client wants its invoices cared for before they fall due."""

    class Segment(models.TextChoices):
        ALL = "all", _("All debtors")
        BUSINESS = "business", _("Businesses")
        CONSUMER = "consumer", _("Consumers")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="caring_policies")
    segment = models.CharField(
        _("segment"), max_length=16, choices=Segment.choices, default=Segment.ALL,
        help_text=_("A policy for businesses or consumers replaces the client's general one."))
    days_before_due = models.PositiveSmallIntegerField(
        _("business days before the due date"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)])
    min_amount = models.DecimalField(_("minimum open amount"), default=Decimal("0"), **MONEY)
    # Risk bands to call, as a string of letters ("ABCDE"); debtors not yet scored are called.
    bands = models.CharField(_("risk bands"), max_length=5, default="ABCDE")
    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)])
    control_share = models.DecimalField(
        _("control group share"), max_digits=4, decimal_places=3, default=Decimal("0.100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))],
        help_text=_("Share of invoices kept uncalled to measure whether caring works."))
    # Mixed into the control-group hash; fixed at creation so re-runs never move an invoice.
    seed = models.PositiveIntegerField(_("control group seed"), default=control_seed_new,
                                       editable=False)
    calls_per_agent_hour = models.PositiveSmallIntegerField(
        _("calls per agent per hour"), default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)])
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client__name", "segment"]
        verbose_name = _("caring policy")
        verbose_name_plural = _("caring policies")
        constraints = [
            models.UniqueConstraint(fields=["client", "segment"],
                                    name="caring_policy_client_segment_once"),
            models.CheckConstraint(condition=Q(control_share__gte=0) & Q(control_share__lte=0.5),
                                   name="caring_policy_control_share_range"),
            models.CheckConstraint(condition=Q(days_before_due__gte=1),
                                   name="caring_policy_days_before_due_gte_1"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1),
                                   name="caring_policy_max_attempts_gte_1"),
            models.CheckConstraint(condition=Q(min_amount__gte=0),
                                   name="caring_policy_min_amount_gte_0"),
            models.CheckConstraint(condition=Q(bands__regex=r"^[A-E]{1,5}$"),
                                   name="caring_policy_bands_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.get_segment_display()}"


class CaringAssignment(models.Model):
    """An invoice that entered a caring window, and the group it fell in (called or control).

    Written once per invoice by the planner; the control group is the baseline of the
    "does caring work?" comparison.
    """

    # (policy, client) names a policy of this client: checked once per statement by triggers
    # on caring's tables (caring/statement_checks.py), not by per-row foreign keys, since the
    # planner writes a day's assignments in one set. invoice and debtor are foreign keys.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    # policy and debtor lead composite indexes below, which serve their lookups too.
    policy = models.ForeignKey(CaringPolicy, on_delete=models.PROTECT, related_name="assignments",
                               db_index=False, db_constraint=False)
    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="caring")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="+", db_index=False)
    window_date = models.DateField(_("planned on"))
    # 0..9999 from the deterministic hash of invoice id and policy seed; control iff below
    # control_share x 10000 at assignment time (recorded, so later policy edits move nobody).
    bucket = models.PositiveSmallIntegerField()
    in_control = models.BooleanField(_("control group"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(bucket__lt=10000), name="caring_assignment_bucket"),
        ]
        indexes = [
            # The compare page: a policy's assignments by group.
            models.Index(fields=["policy", "in_control"], name="caring_assignment_policy_grp"),
            # The planner's call step: a debtor's called, unlinked assignments.
            models.Index(fields=["debtor", "window_date"], name="caring_assignment_debtor"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {'control' if self.in_control else 'called'}"


class CourtesyCall(models.Model):
    """One pre-due call to a debtor about every invoice of theirs entering the window together."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Unreachable after every attempt")

    class Outcome(models.TextChoices):
        RECEIVED_OK = "received_ok", _("Invoice received and correct")
        NOT_RECEIVED = "not_received", _("Invoice not received")
        DATA_WRONG = "data_wrong", _("Invoice data wrong")
        DISPUTE = "dispute", _("Dispute")
        PAYMENT_DATE = "payment_date", _("Payment date confirmed")
        CALLBACK = "callback", _("Callback requested")
        UNREACHABLE = "unreachable", _("Unreachable")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    # client and debtor lead composite indexes below (the day's calls, the natural key), which
    # serve their lookups too. (policy, client) names a policy of this client: checked once per
    # statement (caring/statement_checks.py), not per row; debtor is a foreign key.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+", db_index=False,
                               db_constraint=False)
    policy = models.ForeignKey(CaringPolicy, on_delete=models.PROTECT, related_name="calls",
                               db_constraint=False)
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="courtesy_calls",
                               db_index=False)
    invoices = models.ManyToManyField(Invoice, through="CourtesyCallInvoice",
                                      related_name="courtesy_calls")
    window_date = models.DateField(_("planned on"))
    first_due_date = models.DateField(_("first due date"))
    amount = models.DecimalField(_("amount falling due"), default=Decimal("0"), **MONEY)
    # amount x the debtor's risk probability (0.5 when not scored): who is called first.
    priority = models.DecimalField(_("priority"), default=Decimal("0"), max_digits=18,
                                   decimal_places=4)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PLANNED)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    # A callback is kept for the agent who agreed it; other calls go to any agent of the client.
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    payment_date = models.DateField(_("payment date promised"), null=True, blank=True)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)
    # The number the contact engine chose for the slot.
    destination = models.CharField(_("number to call"), max_length=254, blank=True)
    # Why the contact engine moved the slot (rule ids), kept for the agent and the audit.
    schedule_reason = models.CharField(max_length=300, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_at", "-priority", "id"]
        verbose_name = _("courtesy call")
        constraints = [
            # The natural key of planned work: one call per debtor per planning day.
            models.UniqueConstraint(fields=["debtor", "window_date"],
                                    name="caring_call_debtor_day_once"),
            models.CheckConstraint(
                condition=~Q(status="in_progress") | Q(claimed_by__isnull=False),
                name="caring_call_claimed_has_agent"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="caring_call_amount_gte_0"),
        ]
        indexes = [
            # The agent queue: open calls of a client due now, by time and priority.
            models.Index(fields=["client", "scheduled_at", "-priority"],
                         name="caring_call_queue",
                         condition=Q(status__in=["planned", "in_progress"])),
            # The planner's schedule step and the plan page: a day's calls.
            models.Index(fields=["client", "window_date"], name="caring_call_client_day"),
        ]

    def __str__(self) -> str:
        return f"{self.debtor} {self.window_date}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class CourtesyCallInvoice(models.Model):
    """The invoices one courtesy call is about (the through table)."""

    # (call, client) names a call of this client: checked once per statement
    # (caring/statement_checks.py); invoice is a foreign key. call and invoice lead the indexes
    # below (a call's invoices, one call per invoice).
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    call = models.ForeignKey(CourtesyCall, on_delete=models.CASCADE, related_name="links",
                             db_index=False, db_constraint=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    # The planning day that linked the invoice.
    linked_on = models.DateField()

    class Meta:
        constraints = [
            # An invoice is the subject of one courtesy call, never two.
            models.UniqueConstraint(fields=["invoice"], name="caring_callinvoice_invoice_once"),
        ]
        indexes = [
            # The workspace and the cancellation sweep: a call's invoices.
            models.Index(fields=["call"], name="caring_callinvoice_call"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} → {self.invoice_id}"


class CaringTask(models.Model):
    """Follow-up work a courtesy call uncovered: resend an invoice, correct its data."""

    class Kind(models.TextChoices):
        RESEND = "resend", _("Resend the invoice")
        CORRECT = "correct", _("Correct the invoice data")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey(CourtesyCall, on_delete=models.CASCADE, related_name="tasks")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("caring task")
        constraints = [
            # A retried outcome POST opens one task per invoice and kind, not two.
            models.UniqueConstraint(fields=["call", "invoice", "kind"],
                                    name="caring_task_once"),
        ]
        indexes = [
            # The follow-up list: a client's open tasks, oldest first.
            models.Index(fields=["client", "created_at"], name="caring_task_open",
                         condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.invoice_id}"


class PlanRun(models.Model):
    """One run of the planner for one client, asked for by a credit manager ("Plan now"), by
    the start-up command or by the hourly schedule: where the plan page reads its progress.

    At most one run per client is queued or running (`caring_planrun_open_once`), so a second
    click while the first is waiting returns the same run instead of queueing another.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Planning")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    OPEN_STATUSES = (Status.QUEUED, Status.RUNNING)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    run_date = models.DateField(_("planning day"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    policies_total = models.PositiveIntegerField(default=0)
    policies_done = models.PositiveIntegerField(default=0)
    assigned = models.PositiveIntegerField(_("invoices assigned"), default=0)
    calls = models.PositiveIntegerField(_("calls planned"), default=0)
    scheduled = models.PositiveIntegerField(_("calls scheduled"), default=0)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("planning run")
        constraints = [
            models.UniqueConstraint(fields=["client"], condition=Q(status__in=["queued",
                                                                               "running"]),
                                    name="caring_planrun_open_once"),
        ]
        indexes = [
            # The plan page: each client's latest run.
            models.Index(fields=["client", "-created_at"], name="caring_planrun_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.run_date} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
