"""Experience: survey programmes, the surveys sent, the answers, and the closed loop.

The three kinds of NPS (relational, transactional, competitive; SPEC §4) are stored with every
survey and every answer, and nothing in this app sums across them: every aggregate takes a kind.

A survey is itself a contact (SPEC §5): it is decided by the contact engine at send time, and
the decision is kept as its evidence. A debtor who opts out of surveys gets a channel opt-out
for the survey channel in `compliance.ContactRestriction`, which the engine honours at once.

An answer copies the cohort it belongs to (agent, strategy, case, trigger) from its survey, so
reports group answers without joining back through contacts and cases.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from caring.models import CourtesyCall
from compliance.models import ContactDecision
from portfolio.models import Client, Debtor
from recovery.models import CollectionCase, CollectionContact

COMMENT_MAX = 2000
NPS_MIN, NPS_MAX = 0, 10
CES_MIN, CES_MAX = 1, 7
CSAT_MIN, CSAT_MAX = 1, 5


class Kind(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    RELATIONAL = "relational", _("Relational")
    COMPETITIVE = "competitive", _("Competitive")


class Trigger(models.TextChoices):
    COLLECTION_CONTACT = "collection_contact", _("After a collection contact")
    COURTESY_CALL = "courtesy_call", _("After a courtesy call")
    PLAN_AGREED = "plan_agreed", _("After a payment plan was agreed")
    CASE_CLOSED = "case_closed", _("After a case was closed")
    RELATIONAL_SAMPLE = "relational_sample", _("Periodic sample")
    MARKET_STUDY = "market_study", _("Market study")


class Programme(models.Model):
    """A client's survey programme of one kind: what triggers a survey and how it is sent."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="survey_programmes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)
    # Transactional: which events trigger a survey.
    after_collection_contact = models.BooleanField(_("after a collection contact"), default=True)
    after_courtesy_call = models.BooleanField(_("after a courtesy call"), default=True)
    after_plan_agreed = models.BooleanField(_("after a plan is agreed"), default=True)
    after_case_closed = models.BooleanField(_("after a case is closed"), default=True)
    # SPEC §5: sent 1-24 h after the contact, 2 h by default.
    delay_minutes = models.PositiveSmallIntegerField(_("delay (minutes)"), default=120)
    # Share of eligible events that get a survey, drawn at random (1 = all eligible).
    sample_share = models.DecimalField(_("share surveyed"), max_digits=4, decimal_places=3,
                                       default=1)
    # Relational: a random sample of debtors every so many days.
    relational_sample_size = models.PositiveIntegerField(_("debtors per sample"), default=200)
    relational_every_days = models.PositiveSmallIntegerField(_("days between samples"),
                                                             default=182)
    ask_ces = models.BooleanField(_("ask the effort question (CES)"), default=True)
    ask_csat = models.BooleanField(_("ask the satisfaction question (CSAT)"), default=False)
    link_valid_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=14)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_id", "kind"]
        verbose_name = _("survey programme")
        constraints = [
            models.UniqueConstraint(fields=["client", "kind"], name="experience_programme_once"),
            models.CheckConstraint(condition=Q(delay_minutes__gte=60, delay_minutes__lte=1440),
                                   name="experience_programme_delay_1_24h"),
            models.CheckConstraint(condition=Q(sample_share__gt=0, sample_share__lte=1),
                                   name="experience_programme_share"),
            models.CheckConstraint(condition=Q(link_valid_days__gte=1, link_valid_days__lte=60),
                                   name="experience_programme_link_days"),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.get_kind_display()}"


class Survey(models.Model):
    """One invitation of one debtor: what triggered it, when it goes, and how it went."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        SUPPRESSED = "suppressed", _("Suppressed")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Not delivered")

    class Medium(models.TextChoices):
        SMS = "sms", _("Text message")
        EMAIL = "email", _("E-mail")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="surveys")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    # The cohort: the event the survey follows and who handled it.
    case = models.ForeignKey(CollectionCase, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="surveys")
    contact = models.ForeignKey(CollectionContact, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="surveys")
    courtesy_call = models.ForeignKey(CourtesyCall, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="surveys")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("agent"))
    strategy = models.CharField(_("strategy"), max_length=16, blank=True,
                                choices=CollectionCase.Strategy.choices)
    language = models.CharField(_("language"), max_length=8, default="it")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.SCHEDULED)
    due_at = models.DateTimeField(_("send at"))
    medium = models.CharField(_("sent by"), max_length=8, choices=Medium.choices, blank=True)
    destination = models.CharField(_("number or address"), max_length=254, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # Why it was not sent: the contact engine's rule ids or a suppression of SPEC §5.
    suppressed_reason = models.CharField(_("why not sent"), max_length=300, blank=True)
    # SHA-256 of the link's random token: the link itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    decision = models.ForeignKey(ContactDecision, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        verbose_name = _("survey")
        indexes = [
            # The dispatcher's read: scheduled surveys falling due.
            models.Index(fields=["status", "due_at"], name="experience_survey_due"),
            # The frequency rules: a debtor's recent surveys of a kind.
            models.Index(fields=["debtor", "kind", "due_at"], name="experience_survey_debtor"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=Kind.COMPETITIVE), name="experience_survey_not_competitive"),
            models.CheckConstraint(
                condition=~Q(status="suppressed") | ~Q(suppressed_reason=""),
                name="experience_survey_suppressed_says_why"),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(sent_at__isnull=False),
                name="experience_survey_expiry_after_send"),
            # One survey per event: a re-run of the trigger never sends twice.
            models.UniqueConstraint(fields=["contact"], condition=Q(contact__isnull=False),
                                    name="experience_survey_one_per_contact"),
            models.UniqueConstraint(fields=["courtesy_call"],
                                    condition=Q(courtesy_call__isnull=False),
                                    name="experience_survey_one_per_call"),
            # A case gets one survey for its (first) agreed plan and one for its closing; a
            # renegotiated plan is not surveyed again (experience.triggers).
            models.UniqueConstraint(fields=["case"],
                                    condition=Q(trigger="plan_agreed", case__isnull=False),
                                    name="experience_survey_one_per_plan_case"),
            models.UniqueConstraint(fields=["case"],
                                    condition=Q(trigger="case_closed", case__isnull=False),
                                    name="experience_survey_one_per_closed_case"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} survey #{self.pk}"


class Response(models.Model):
    """An answer: NPS 0-10 with its reason, optional CES and CSAT. Competitive answers come
    from a market study file and have no survey or debtor."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    survey = models.OneToOneField(Survey, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="response")
    debtor = models.ForeignKey(Debtor, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="survey_responses")
    nps = models.PositiveSmallIntegerField(_("likelihood to recommend (0-10)"))
    comment = models.TextField(_("main reason for the score"), max_length=COMMENT_MAX,
                               blank=True)
    ces = models.PositiveSmallIntegerField(_("ease (CES, 1-7)"), null=True, blank=True)
    csat = models.PositiveSmallIntegerField(_("satisfaction (CSAT, 1-5)"), null=True,
                                            blank=True)
    # Set by the debtor on the page, or by staff reading the comment: opens a follow-up.
    complaint = models.BooleanField(_("complaint"), default=False)
    # Theme keys found in the comment (experience.themes), stored at answer time.
    themes = models.JSONField(_("themes"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    answered_at = models.DateTimeField(_("answered"))
    # The cohort, copied from the survey for reporting.
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    case = models.ForeignKey(CollectionCase, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("agent"))
    strategy = models.CharField(_("strategy"), max_length=16, blank=True,
                                choices=CollectionCase.Strategy.choices)
    # Competitive answers: the study they come from and the row's own reference.
    source = models.CharField(_("market study"), max_length=120, blank=True)
    source_ref = models.CharField(_("respondent reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("survey answer")
        indexes = [
            models.Index(fields=["client", "kind", "answered_at"],
                         name="experience_response_report"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(nps__gte=NPS_MIN, nps__lte=NPS_MAX),
                                   name="experience_response_nps_0_10"),
            models.CheckConstraint(
                condition=Q(ces__isnull=True) | Q(ces__gte=CES_MIN, ces__lte=CES_MAX),
                name="experience_response_ces_1_7"),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=CSAT_MIN, csat__lte=CSAT_MAX),
                name="experience_response_csat_1_5"),
            # A competitive answer is imported; every other answer comes from a survey.
            models.CheckConstraint(
                condition=(Q(kind=Kind.COMPETITIVE, survey__isnull=True, debtor__isnull=True)
                           & ~Q(source=""))
                | (~Q(kind=Kind.COMPETITIVE) & Q(survey__isnull=False)),
                name="experience_response_source"),
            models.UniqueConstraint(fields=["client", "source", "source_ref"],
                                    condition=Q(kind="competitive"),
                                    name="experience_response_study_row_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} NPS {self.nps}"

    @property
    def category(self) -> str:
        """promoter (9-10), passive (7-8) or detractor (0-6), SPEC §4."""
        if self.nps >= 9:
            return "promoter"
        return "passive" if self.nps >= 7 else "detractor"


def nps_counts(window: Q | None = None, suffix: str = "") -> dict[str, models.Count]:
    """Promoters (9-10), passives (7-8) and detractors (0-6) as SQL aggregates, for
    `.aggregate()` or `.annotate()`, optionally only over the answers in `window` and with
    `suffix` on each name; experience.stats.nps_summary(**counts) gives the score."""
    categories = {"promoters": Q(nps__gte=9), "passives": Q(nps__gte=7, nps__lte=8),
                  "detractors": Q(nps__lte=6)}
    return {f"{name}{suffix}": models.Count(
        "pk", filter=condition & window if window is not None else condition)
        for name, condition in categories.items()}


class FollowUp(models.Model):
    """The closed loop: a detractor or a complaint gets a team leader's follow-up, never the
    agent who handled the contact, due within 2 business days (SPEC §5)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Resolution(models.TextChoices):
        CALLED_BACK = "called_back", _("Called back, heard and answered")
        ISSUE_FIXED = "issue_fixed", _("Issue fixed")
        NOT_REACHED = "not_reached", _("Could not be reached")
        NO_ACTION = "no_action", _("No action needed")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="follow_up")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="survey_follow_ups")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("assigned to"))
    # Why it was opened: "detractor", "complaint" or both.
    reason = models.CharField(_("why"), max_length=32)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices,
                                  blank=True)
    notes = models.TextField(_("notes"), max_length=COMMENT_MAX, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("survey follow-up")
        indexes = [models.Index(fields=["client", "status", "due_at"],
                                name="experience_followup_due")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="open", closed_at__isnull=True, resolution="")
                           | Q(status="closed", closed_at__isnull=False) & ~Q(resolution="")),
                name="experience_followup_closed_has_resolution"),
        ]

    def __str__(self) -> str:
        return f"Follow-up #{self.pk} ({self.get_status_display()})"
