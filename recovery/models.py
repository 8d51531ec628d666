"""Collections (post-due): cases, their stage history, contacts and outcomes, callbacks,
promises to pay, payment plans with their instalments, disputes, and the agents' skills.

Invariants live in the database as named constraints as well as in the services:
- one open case per (client, debtor) (`recovery_case_one_open`): the case opener inserts with
  ON CONFLICT DO NOTHING and can be re-run, killed and resumed at any time;
- one pending callback and one pending promise per case, one active plan per case;
- an invoice is in at most one open dispute (`recovery_disputedinvoice_one_open`);
- a move to the legal stage carries its approver, reason and recorded amicable attempts.

Unlike the ledger (portfolio) and caring's planned work, these tables keep ordinary foreign
keys checked per row: cases are one per debtor, not one per invoice, and their writers insert
thousands of rows, not millions.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from compliance.models import ContactAttempt, ContactDecision, ContactHold
from compliance.rules import AttemptResult as _AttemptResult
from compliance.rules import Party as _Party
from portfolio.models import MONEY, Client, CreditNote, Debtor, Invoice, MoneyDigits

# Case priority: an expected loss in the case's currency plus boosts (recovery/priority.py).
PRIORITY: MoneyDigits = {"max_digits": 18, "decimal_places": 4}
NOTES_MAX = 2000


class CollectionCase(models.Model):
    """A debtor's overdue balance with one client, worked by the collections desk.

    Opened by the case opener when the debtor has overdue payable invoices, closed by it when
    nothing is overdue any more; a later overdue opens a new case (`reopened_count` says how
    many came before), so the history of every case is kept.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Stage(models.TextChoices):
        FIRST_LEVEL = "first_level", _("First-level contact")
        SECOND_LEVEL = "second_level", _("Second-level specialist")
        COMPLAINT = "complaint", _("Complaint")
        LEGAL = "legal", _("Legal")

    class Strategy(models.TextChoices):
        EMPATHETIC = "empathetic", _("Empathetic")
        STANDARD = "standard", _("Standard")

    class Segment(models.TextChoices):
        CONSUMER = "consumer", _("Consumer")
        BUSINESS = "business", _("Business")

    class CloseReason(models.TextChoices):
        PAID = "paid", _("Nothing overdue any more")
        WRITTEN_OFF = "written_off", _("Written off")
        MANUAL = "manual", _("Closed by hand")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="collection_cases")
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="collection_cases")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices,
                             default=Stage.FIRST_LEVEL)
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_reason = models.CharField(_("why closed"), max_length=16, choices=CloseReason.choices,
                                    blank=True)
    # How many cases of this debtor with this client came before this one.
    reopened_count = models.PositiveIntegerField(_("earlier cases"), default=0)
    # Refreshed set-based by the case opener: the open balance of the debtor's overdue payable
    # invoices (disputed ones excluded) and the oldest of their due dates.
    overdue_amount = models.DecimalField(_("overdue amount"), default=Decimal("0"), **MONEY)
    oldest_due_date = models.DateField(_("oldest due date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    # Higher is called first; priority_reasons lists its components
    # ({"code", "label", "value"}) so that the agent sees why.
    priority = models.DecimalField(_("priority"), default=Decimal("0"), **PRIORITY)
    priority_reasons = models.JSONField(_("why this priority"), default=list, blank=True)
    # Assigned at random when the case opens; the experience comparison reads it.
    strategy = models.CharField(_("strategy"), max_length=16, choices=Strategy.choices)
    # Skills routing: the debtor's language and kind when the case opened.
    language = models.CharField(_("language"), max_length=8)
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices)
    # A claim is a lease: it lapses at claim_expires_at and the case goes back to the queue.
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("claimed by"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_expires_at = models.DateTimeField(_("claim expires at"), null=True, blank=True)
    # The contact engine's decision that let the claim through (evidence for the contact).
    claim_decision = models.ForeignKey(ContactDecision, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    # The agent a callback returns to (set with the callback, cleared when it is done).
    assigned_agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+",
                                       verbose_name=_("kept for agent"))
    # Not worked before this time: a callback or promise falling due, or the contact engine's
    # next permitted time after a denial. NULL means now.
    next_action_at = models.DateTimeField(_("next action at"), null=True, blank=True)
    next_action_reason = models.CharField(_("why then"), max_length=300, blank=True)
    # Nothing may be collected now: every overdue invoice is disputed, or the account is held.
    on_hold = models.BooleanField(_("on hold"), default=False)
    hold_reason = models.CharField(_("why on hold"), max_length=200, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "id"]
        verbose_name = _("collection case")
        permissions = [
            ("work_case", "Can claim cases and record contacts"),
            ("work_second_level", "Can work second-level and complaint cases"),
            ("escalate_case", "Can move a case to another stage"),
            ("approve_legal", "Can approve a move to the legal stage"),
        ]
        constraints = [
            # The natural key of the case opener: it inserts with ON CONFLICT DO NOTHING.
            models.UniqueConstraint(fields=["client", "debtor"], condition=Q(status="open"),
                                    name="recovery_case_one_open"),
            models.CheckConstraint(
                condition=(Q(status="open", closed_at__isnull=True)
                           | Q(status="closed", closed_at__isnull=False)),
                name="recovery_case_closed_has_time"),
            models.CheckConstraint(condition=Q(closed_at__isnull=True)
                                   | Q(closed_at__gte=F("opened_at")),
                                   name="recovery_case_closes_after_opening"),
            models.CheckConstraint(condition=Q(overdue_amount__gte=0),
                                   name="recovery_case_overdue_gte_0"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"),
                                   name="recovery_case_currency_iso"),
            models.CheckConstraint(
                condition=(Q(claimed_by__isnull=True, claimed_at__isnull=True,
                             claim_expires_at__isnull=True)
                           | Q(claimed_by__isnull=False, claimed_at__isnull=False,
                               claim_expires_at__isnull=False,
                               claim_expires_at__gt=F("claimed_at"))),
                name="recovery_case_claim_is_a_lease"),
            models.CheckConstraint(condition=Q(status="open") | Q(claimed_by__isnull=True),
                                   name="recovery_case_closed_unclaimed"),
            models.CheckConstraint(condition=Q(on_hold=False) | ~Q(hold_reason=""),
                                   name="recovery_case_hold_has_reason"),
        ]
        indexes = [
            # case_claim_next: a client's open, unheld cases, best first.
            models.Index(fields=["client", "-priority", "id"], name="recovery_case_queue",
                         condition=Q(status="open", on_hold=False)),
            # case_claim_next (callbacks first) and the agent's day: open cases kept for an
            # agent, by when they fall due.
            models.Index(fields=["assigned_agent", "next_action_at"],
                         name="recovery_case_kept_for_agent",
                         condition=Q(status="open", assigned_agent__isnull=False)),
            # The control room and the lease sweep: claimed open cases.
            models.Index(fields=["claimed_by"], name="recovery_case_claimed",
                         condition=Q(status="open", claimed_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.debtor} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CaseStageChange(models.Model):
    """One move between stages, with who and why; a move to legal also names the credit
    manager who approved it and the amicable attempts recorded before it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(CollectionCase, on_delete=models.CASCADE,
                             related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=16,
                                  choices=CollectionCase.Stage.choices)
    to_stage = models.CharField(_("to"), max_length=16, choices=CollectionCase.Stage.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("changed by"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Right-party conversations on the debtor's cases before the move (legal needs some).
    amicable_attempts = models.PositiveIntegerField(_("amicable attempts"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "created_at", "id"]
        verbose_name = _("stage change")
        constraints = [
            models.CheckConstraint(condition=~Q(from_stage=F("to_stage")),
                                   name="recovery_stagechange_moves"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True, approved_at__isnull=True)
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="recovery_stagechange_approval_recorded"),
            # Legal is the last resort (DOMAIN step 3): approved, explained, after attempts.
            models.CheckConstraint(
                condition=~Q(to_stage="legal")
                | (Q(approved_by__isnull=False, amicable_attempts__gt=0) & ~Q(reason="")),
                name="recovery_stagechange_legal_approved"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_stage} → {self.to_stage}"


class CollectionContact(models.Model):
    """One contact with a debtor about a case, in the SPEC §2 taxonomy, and how long it took."""

    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        SMS = "sms", _("Text message")
        EMAIL = "email", _("E-mail")

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outbound")
        INBOUND = "inbound", _("Inbound")

    # The same vocabulary the contact engine's attempt record uses.
    AttemptResult = _AttemptResult
    Party = _Party

    class Outcome(models.TextChoices):
        PAID_IN_FULL = "paid_in_full", _("Paid in full")
        PAYMENT_TAKEN = "payment_taken", _("Payment taken")
        PROMISE_TO_PAY = "promise_to_pay", _("Promise to pay")
        PAYMENT_PLAN_AGREED = "payment_plan_agreed", _("Payment plan agreed")
        PLAN_RENEGOTIATED = "plan_renegotiated", _("Plan renegotiated")
        DISPUTE_LOGGED = "dispute_logged", _("Dispute logged")
        INVOICE_NOT_RECEIVED = "invoice_not_received", _("Invoice not received")
        INVOICE_DATA_WRONG = "invoice_data_wrong", _("Invoice data wrong")
        HARDSHIP_DISCLOSED = "hardship_disclosed", _("Hardship disclosed")
        DEBT_ADVICE_REFERRED = "debt_advice_referred", _("Referred to debt advice")
        VULNERABILITY_DISCLOSED = "vulnerability_disclosed", _("Vulnerability disclosed")
        CALLBACK_REQUESTED = "callback_requested", _("Callback requested")
        INCONVENIENT_TIME_SET = "inconvenient_time_set", _("Inconvenient time set")
        CHANNEL_OPT_OUT = "channel_opt_out", _("Opted out of a channel")
        CEASE_REQUESTED = "cease_requested", _("Asked us to stop contact")
        LAWYER_REPORTED = "lawyer_reported", _("Represented by a lawyer")
        INSOLVENCY_REPORTED = "insolvency_reported", _("Insolvency reported")
        DECEASED_REPORTED = "deceased_reported", _("Reported deceased")
        REFUSED_TO_PAY = "refused_to_pay", _("Refused to pay")
        INFO_ONLY = "info_only", _("Information only")
        COMPLAINT_LOGGED = "complaint_logged", _("Complaint logged")

    class NonPaymentReason(models.TextChoices):
        FINANCIAL_DIFFICULTY = "financial_difficulty", _("Financial difficulty")
        FORGOT = "forgot", _("Forgot")
        INVOICE_NOT_RECEIVED = "invoice_not_received", _("Invoice not received")
        INVOICE_DISPUTED = "invoice_disputed", _("Invoice disputed")
        INVOICE_ERROR = "invoice_error", _("Error in the invoice")
        CASH_FLOW_TIMING = "cash_flow_timing", _("Cash-flow timing")
        WAITING_INTERNAL_APPROVAL = "waiting_internal_approval", _("Waiting for internal approval")
        OTHER = "other", _("Other")

    class Mood(models.TextChoices):
        CALM = "calm", _("Calm")
        WORRIED = "worried", _("Worried")
        UPSET = "upset", _("Upset")
        ANGRY = "angry", _("Angry")

    class EmpathyMarker(models.TextChoices):
        CIRCUMSTANCES_NOTED = "circumstances_noted", _("Circumstances noted")
        OPTIONS_OFFERED = "options_offered", _("Options offered")
        AFFORDABILITY_CHECKED = "affordability_checked", _("Affordability checked")
        NEXT_STEP_AGREED = "next_step_agreed", _("Next step agreed")

    class NextStep(models.TextChoices):
        NONE = "none", _("Nothing further")
        TRY_AGAIN = "try_again", _("Try again later")
        CALLBACK = "callback", _("Call back as agreed")
        AWAIT_PAYMENT = "await_payment", _("Wait for the payment")
        SEND_INVOICE_COPY = "send_invoice_copy", _("Send a copy of the invoice")
        CORRECT_INVOICE = "correct_invoice", _("Have the invoice corrected")
        SECOND_LEVEL = "second_level", _("Hand to a second-level specialist")
        COMPLAINTS = "complaints", _("Hand to complaints")
        DEBT_ADVICE = "debt_advice", _("Refer to debt advice")
        PROPOSE_LEGAL = "propose_legal", _("Propose legal action")

    # Outcomes that talk about the debt: never before the right party is verified (SPEC §2).
    DEBT_OUTCOMES = frozenset({
        Outcome.PAID_IN_FULL, Outcome.PAYMENT_TAKEN, Outcome.PROMISE_TO_PAY,
        Outcome.PAYMENT_PLAN_AGREED, Outcome.PLAN_RENEGOTIATED, Outcome.DISPUTE_LOGGED,
        Outcome.INVOICE_NOT_RECEIVED, Outcome.INVOICE_DATA_WRONG, Outcome.HARDSHIP_DISCLOSED,
        Outcome.DEBT_ADVICE_REFERRED, Outcome.VULNERABILITY_DISCLOSED, Outcome.REFUSED_TO_PAY,
        Outcome.COMPLAINT_LOGGED, Outcome.INSOLVENCY_REPORTED,
    })

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT,
                               related_name="collection_contacts")
    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="contacts")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices,
                               default=Channel.CALL)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices,
                                 default=Direction.OUTBOUND)
    destination = models.CharField(_("number or address"), max_length=254, blank=True)
    attempt_result = models.CharField(_("attempt result"), max_length=24,
                                      choices=AttemptResult.choices)
    party = models.CharField(_("party reached"), max_length=24, choices=Party.choices,
                             blank=True)
    # A list of Outcome values, validated by contact_outcome_record.
    outcomes = models.JSONField(_("outcomes"), default=list, blank=True)
    reason_for_non_payment = models.CharField(_("reason for non-payment"), max_length=32,
                                              choices=NonPaymentReason.choices, blank=True)
    mood_start = models.CharField(_("mood at the start"), max_length=8, choices=Mood.choices,
                                  blank=True)
    mood_end = models.CharField(_("mood at the end"), max_length=8, choices=Mood.choices,
                                blank=True)
    # A list of EmpathyMarker values: for coaching, never for pay (SPEC §2).
    empathy_markers = models.JSONField(_("empathy markers"), default=list, blank=True)
    next_step = models.CharField(_("next step"), max_length=24, choices=NextStep.choices,
                                 default=NextStep.NONE)
    notes = models.CharField(_("notes"), max_length=NOTES_MAX, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("agent"))
    # Handle time runs from opening the case in the workspace to saving the outcome.
    opened_at = models.DateTimeField(_("opened"))
    saved_at = models.DateTimeField(_("saved"))
    handle_seconds = models.PositiveIntegerField(_("handle time (s)"))
    # The agent may keep a debtor out of the post-contact survey, saying why (SPEC §5).
    do_not_survey = models.BooleanField(_("do not survey"), default=False)
    do_not_survey_reason = models.CharField(_("why no survey"), max_length=200, blank=True)
    # The contact engine's evidence (outbound) and its attempt record (pacing counts it).
    decision = models.ForeignKey(ContactDecision, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    attempt = models.ForeignKey(ContactAttempt, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-saved_at", "-id"]
        verbose_name = _("collection contact")
        constraints = [
            models.CheckConstraint(condition=Q(saved_at__gte=F("opened_at")),
                                   name="recovery_contact_saved_after_opened"),
            models.CheckConstraint(condition=Q(do_not_survey=False) | ~Q(do_not_survey_reason=""),
                                   name="recovery_contact_no_survey_has_reason"),
            # The reason for non-payment is about the debt: only told by the right party.
            models.CheckConstraint(
                condition=Q(reason_for_non_payment="") | Q(party="right_party_verified"),
                name="recovery_contact_reason_from_right_party"),
            models.CheckConstraint(condition=Q(party="") | Q(attempt_result__in=[
                "answered", "dropped"]), name="recovery_contact_party_when_answered"),
        ]
        indexes = [
            # The debtor's story (workspace, debtor page): contacts newest first.
            models.Index(fields=["debtor", "-saved_at"], name="recovery_contact_debtor"),
            # The control room: each agent's contacts today.
            models.Index(fields=["agent", "saved_at"], name="recovery_contact_agent_day"),
            # A case's contacts (workspace; amicable attempts before legal).
            models.Index(fields=["case", "saved_at"], name="recovery_contact_case"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.debtor_id} {self.saved_at:%Y-%m-%d %H:%M}"


class Callback(models.Model):
    """A call the debtor agreed to at a time: it returns to the same agent (SPEC §2)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(CollectionCase, on_delete=models.CASCADE, related_name="callbacks")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("agent"))
    due_at = models.DateTimeField(_("due at"))
    # When the debtor consented to be called back (the engine excludes consented calls from
    # the US 7-in-7 count and lifts the quiet period for an agreed follow-up).
    consent_given_at = models.DateTimeField(_("consent given at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    contact = models.ForeignKey(CollectionContact, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("callback")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"),
                                    name="recovery_callback_one_pending"),
            models.CheckConstraint(condition=Q(status="pending") | Q(done_at__isnull=False),
                                   name="recovery_callback_closed_has_time"),
        ]
        indexes = [
            # The agent's callbacks due (queue, workspace, control room).
            models.Index(fields=["agent", "due_at"], name="recovery_callback_due",
                         condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} at {self.due_at:%Y-%m-%d %H:%M}"


class PromiseToPay(models.Model):
    """The debtor's promise of an amount by a date, judged once its grace days have passed
    (SPEC §3: kept when payments between its creation and date + grace reach amount x
    threshold; partially kept below that but above 0; broken at 0)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        KEPT = "kept", _("Kept")
        PARTIALLY_KEPT = "partially_kept", _("Partially kept")
        BROKEN = "broken", _("Broken")
        CANCELLED = "cancelled", _("Cancelled")
        SUPERSEDED = "superseded", _("Superseded")

    EVALUATED = (Status.KEPT, Status.PARTIALLY_KEPT, Status.BROKEN)

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="promises")
    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="promises")
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    promised_date = models.DateField(_("promised for"))
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=3)
    # Share of the amount that makes the promise kept (1 = 100 %).
    threshold = models.DecimalField(_("threshold"), max_digits=4, decimal_places=3,
                                    default=Decimal("1.000"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    paid_amount = models.DecimalField(_("paid"), default=Decimal("0"), **MONEY)
    evaluated_at = models.DateTimeField(_("judged at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("taken by"))
    contact = models.ForeignKey(CollectionContact, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="promises")
    created_at = models.DateTimeField(_("made at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"),
                                    name="recovery_promise_one_pending"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_promise_amount_gt_0"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0),
                                   name="recovery_promise_paid_gte_0"),
            models.CheckConstraint(condition=Q(threshold__gt=0) & Q(threshold__lte=1),
                                   name="recovery_promise_threshold_range"),
            models.CheckConstraint(condition=Q(grace_days__lte=60),
                                   name="recovery_promise_grace_lte_60"),
            models.CheckConstraint(
                condition=~Q(status__in=["kept", "partially_kept", "broken"])
                | Q(evaluated_at__isnull=False),
                name="recovery_promise_judged_has_time"),
            models.CheckConstraint(condition=~Q(status="broken") | Q(paid_amount=0),
                                   name="recovery_promise_broken_unpaid"),
        ]
        indexes = [
            # promises_evaluate: pending promises by the date they were due.
            models.Index(fields=["promised_date"], name="recovery_promise_pending",
                         condition=Q(status="pending")),
            # The debtor's story.
            models.Index(fields=["debtor", "-created_at"], name="recovery_promise_debtor"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} by {self.promised_date}"


class PaymentPlan(models.Model):
    """A payment plan (piano di rientro): instalments, an optional down payment, approval above
    a threshold, and renegotiation that keeps history through `supersedes`."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        BREACHED = "breached", _("Breached")
        RENEGOTIATED = "renegotiated", _("Renegotiated")
        CANCELLED = "cancelled", _("Cancelled")

    class InstalmentKind(models.TextChoices):
        EQUAL = "equal", _("Equal instalments")
        CUSTOM = "custom", _("Custom instalments")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="payment_plans")
    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT,
                             related_name="payment_plans")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PROPOSED)
    total = models.DecimalField(_("total"), **MONEY)
    down_payment = models.DecimalField(_("down payment"), default=Decimal("0"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    instalment_kind = models.CharField(_("instalments"), max_length=8,
                                       choices=InstalmentKind.choices,
                                       default=InstalmentKind.EQUAL)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("agreed by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    supersedes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="superseded_by",
                                   verbose_name=_("renegotiates"))
    contact = models.ForeignKey(CollectionContact, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="plans")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment plan")
        permissions = [("approve_paymentplan", "Can approve a payment plan above the threshold")]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="active"),
                                    name="recovery_plan_one_active"),
            # A plan is renegotiated once: its successor is unique.
            models.UniqueConstraint(fields=["supersedes"], name="recovery_plan_superseded_once"),
            models.CheckConstraint(condition=Q(total__gt=0), name="recovery_plan_total_gt_0"),
            models.CheckConstraint(condition=Q(down_payment__gte=0)
                                   & Q(down_payment__lt=F("total")),
                                   name="recovery_plan_down_payment_below_total"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True, approved_at__isnull=True)
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="recovery_plan_approval_recorded"),
            models.CheckConstraint(condition=~Q(supersedes=F("id")),
                                   name="recovery_plan_not_own_successor"),
        ]
        indexes = [
            # The leader's approval list: plans waiting for approval.
            models.Index(fields=["client", "created_at"], name="recovery_plan_to_approve",
                         condition=Q(status="pending_approval")),
        ]

    def __str__(self) -> str:
        return f"{self.total} {self.currency} ({self.get_status_display()})"


class Instalment(models.Model):
    """One instalment of a plan, judged like a promise once its grace days have passed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        KEPT = "kept", _("Kept")
        PARTIALLY_KEPT = "partially_kept", _("Partially kept")
        BROKEN = "broken", _("Broken")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    # 0 is the down payment; 1, 2 … the instalments.
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    paid_amount = models.DecimalField(_("paid"), default=Decimal("0"), **MONEY)
    evaluated_at = models.DateTimeField(_("judged at"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("instalment")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="recovery_instalment_once"),
            models.CheckConstraint(condition=Q(amount__gt=0),
                                   name="recovery_instalment_amount_gt_0"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0),
                                   name="recovery_instalment_paid_gte_0"),
            models.CheckConstraint(condition=Q(status="pending") | Q(evaluated_at__isnull=False),
                                   name="recovery_instalment_judged_has_time"),
        ]
        indexes = [
            # The instalment evaluator: pending instalments by due date.
            models.Index(fields=["due_date"], name="recovery_instalment_pending",
                         condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.number} {self.amount} by {self.due_date}"


class Dispute(models.Model):
    """The debtor contests invoices: they go on hold (no collection contact about them) until a
    second-level user upholds the dispute (credit note) or rejects it (back to collection)."""

    class Reason(models.TextChoices):
        NOT_RECEIVED = "not_received", _("Invoice never received")
        GOODS_OR_SERVICE = "goods_or_service", _("Goods or service not as agreed")
        PRICE_OR_QUANTITY = "price_or_quantity", _("Wrong price or quantity")
        ALREADY_PAID = "already_paid", _("Already paid")
        NOT_ORDERED = "not_ordered", _("Never ordered")
        DUPLICATE = "duplicate", _("Invoiced twice")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="disputes")
    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="disputes")
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=NOTES_MAX, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    invoices = models.ManyToManyField(Invoice, through="DisputedInvoice", related_name="disputes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("opened by"))
    opened_at = models.DateTimeField(_("opened"))
    contact = models.ForeignKey(CollectionContact, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="disputes")
    # The contact engine's hold on the disputed invoices, released with the resolution.
    hold = models.ForeignKey(ContactHold, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution_note = models.CharField(_("resolution"), max_length=NOTES_MAX, blank=True)
    credit_note = models.ForeignKey(CreditNote, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("credit note"))

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("dispute")
        permissions = [("resolve_dispute", "Can uphold or reject a dispute")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="open", resolved_by__isnull=True, resolved_at__isnull=True)
                           | (Q(status__in=["upheld", "rejected"], resolved_by__isnull=False,
                                resolved_at__isnull=False))),
                name="recovery_dispute_resolution_recorded"),
            models.CheckConstraint(condition=Q(credit_note__isnull=True) | Q(status="upheld"),
                                   name="recovery_dispute_credit_note_when_upheld"),
        ]
        indexes = [
            # The second-level resolution screen: a client's open disputes, oldest first.
            models.Index(fields=["client", "opened_at"], name="recovery_dispute_open",
                         condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.get_status_display()})"


class DisputedInvoice(models.Model):
    """An invoice a dispute is about. `is_open` mirrors the dispute's status (the services set
    both in one transaction) so that the database itself can refuse a second open dispute on
    the same invoice: a partial unique index cannot look at another table."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="links")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    is_open = models.BooleanField(default=True)
    # The invoice's open balance when the dispute was logged (the aging's disputed column).
    amount = models.DecimalField(_("disputed amount"), **MONEY)

    class Meta:
        verbose_name = _("disputed invoice")
        constraints = [
            models.UniqueConstraint(fields=["dispute", "invoice"],
                                    name="recovery_disputedinvoice_once"),
            models.UniqueConstraint(fields=["invoice"], condition=Q(is_open=True),
                                    name="recovery_disputedinvoice_one_open"),
            models.CheckConstraint(condition=Q(amount__gt=0),
                                   name="recovery_disputedinvoice_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} → {self.invoice_id}"


class AgentSkills(models.Model):
    """What an agent may work, for skills routing. An agent without a row works first-level
    cases in any language and segment; see recovery/queue.py for the whole rule."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="collection_skills")
    # Language codes (e.g. ["it", "en"]); empty means any language.
    languages = models.JSONField(_("languages"), default=list, blank=True)
    # Segments (consumer, business); empty means both.
    segments = models.JSONField(_("segments"), default=list, blank=True)
    second_level = models.BooleanField(_("works second-level cases"), default=False)

    class Meta:
        verbose_name = _("agent skills")
        verbose_name_plural = _("agent skills")

    def __str__(self) -> str:
        return f"{self.user}"
