"""Credit limits (fido cliente): limits in force, requests with tiered approval, the decision
record and the financial statements a credit manager reads.

DOMAIN.md "Credit line": tier 1 is approved automatically on predefined criteria, tier 2 by a
credit manager reading three years of statements, tier 3 by the credit committee. SPEC §6: no
fully automated decision with legal effect above tier 1, so every approval above it names a
person, and every decision is an immutable CreditDecision row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from access.errors import DomainError
from access.roles import Role
from access.scoping import client_staff
from portfolio.models import MONEY, Client, Debtor

BANDS = ("A", "B", "C", "D", "E")  # scoring's bands, A = lowest risk


class CreditTierPolicy(models.Model):
    """Where each tier ends, per client. A client without a row gets DEFAULTS."""

    DEFAULTS: dict[str, Any] = {
        "tier1_ceiling": Decimal("10000.00"),
        "tier1_bands": ["A", "B"],
        "tier2_ceiling": Decimal("100000.00"),
        "committee_quorum": 2,
        "service_time_hours": 24,
        "review_months": 12,
    }

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="credit_policy")
    tier1_ceiling = models.DecimalField(
        _("tier 1 ceiling"), help_text=_("Up to this amount a good score approves by itself."),
        **MONEY)
    tier1_bands = models.JSONField(
        _("bands approved automatically"), default=list,
        help_text=_('Score bands that tier 1 approves without a person, e.g. ["A", "B"].'))
    tier2_ceiling = models.DecimalField(
        _("tier 2 ceiling"), help_text=_("Up to this amount a credit manager decides; above it "
                                         "the credit committee."), **MONEY)
    committee_quorum = models.PositiveSmallIntegerField(
        _("committee quorum"), default=2,
        help_text=_("Distinct committee members who must approve a tier 3 request."))
    service_time_hours = models.PositiveIntegerField(
        _("service time (hours)"), default=24,
        help_text=_("A request waiting longer than this reminds its approvers, once per period."))
    review_months = models.PositiveSmallIntegerField(
        _("review after (months)"), default=12,
        help_text=_("An approved limit is reviewed this many months after approval."))

    class Meta:
        verbose_name = _("credit tier policy")
        verbose_name_plural = _("credit tier policies")
        constraints = [
            models.CheckConstraint(condition=Q(tier1_ceiling__gte=0),
                                   name="credit_policy_tier1_gte_0"),
            models.CheckConstraint(condition=Q(tier2_ceiling__gte=models.F("tier1_ceiling")),
                                   name="credit_policy_tier2_above_tier1"),
            models.CheckConstraint(condition=Q(committee_quorum__gte=1),
                                   name="credit_policy_quorum_gte_1"),
            models.CheckConstraint(condition=Q(service_time_hours__gte=1),
                                   name="credit_policy_service_time_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.client}: tiers {self.tier1_ceiling} / {self.tier2_ceiling}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        bands = self.tier1_bands
        if not isinstance(bands, list) or any(band not in BANDS for band in bands):
            raise ValidationError({"tier1_bands": _("List score bands among A, B, C, D, E.")})
        if self.client_id is not None and self.committee_quorum:
            members = committee_member_count(client_id=self.client_id)
            if self.committee_quorum > members:
                raise ValidationError({"committee_quorum": _(
                    "The client has %(members)d credit committee member(s): a quorum of "
                    "%(quorum)d could never be reached.") % {
                        "members": members, "quorum": self.committee_quorum}})

    @classmethod
    def for_client(cls, client: Client) -> CreditTierPolicy:
        """The client's policy, or an unsaved one holding the defaults."""
        policy = cls.objects.filter(client=client).first()
        return policy if policy is not None else cls(client=client, **cls.DEFAULTS)


def committee_member_count(*, client_id: int) -> int:
    """Active credit committee members who work for the client: who can make a quorum."""
    return client_staff(client_id, roles=[Role.CREDIT_COMMITTEE]).count()


# Statement field name -> may it be negative? (losses and negative equity are real; the rest
# are not, and the database refuses a negative one)
STATEMENT_FIGURES: dict[str, bool] = {
    "revenue": False, "ebitda": True, "net_income": True, "equity": True,
    "total_debt": False, "current_assets": False, "current_liabilities": False,
    "cash": False, "inventory": False, "interest_expense": False,
}


class FinancialStatement(models.Model):
    """One fiscal year of a debtor's accounts, in the client's currency.

    Suspicious figures are flagged (stored in `flags`), never refused: a credit manager reads
    the flag beside the number and decides what it means.
    """

    class Source(models.TextChoices):
        FORM = "form", _("Entered on the form")
        IMPORT = "import", _("Imported from a file")
        API = "api", _("Sent through the API")

    FIGURES = STATEMENT_FIGURES

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE,
                               related_name="financial_statements")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    revenue = models.DecimalField(_("revenue"), **MONEY)
    ebitda = models.DecimalField(_("EBITDA"), **MONEY)
    net_income = models.DecimalField(_("net income"), **MONEY)
    equity = models.DecimalField(_("equity"), **MONEY)
    total_debt = models.DecimalField(_("total debt"), **MONEY)
    current_assets = models.DecimalField(_("current assets"), **MONEY)
    current_liabilities = models.DecimalField(_("current liabilities"), **MONEY)
    cash = models.DecimalField(_("cash"), **MONEY)
    inventory = models.DecimalField(_("inventory"), **MONEY)
    interest_expense = models.DecimalField(_("interest expense"), **MONEY)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices,
                              default=Source.FORM)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # [{"code": ..., "message": ...}] from credit.statements.statement_flags
    flags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["debtor_id", "-fiscal_year"]
        verbose_name = _("financial statement")
        constraints = [
            # Natural key of the import: a re-import of a year replaces it.
            models.UniqueConstraint(fields=["debtor", "fiscal_year"],
                                    name="credit_statement_debtor_year_unique"),
            models.CheckConstraint(condition=Q(fiscal_year__gte=1900, fiscal_year__lte=2200),
                                   name="credit_statement_year_plausible"),
            *[
                models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}),
                                       name=f"credit_statement_{name}_gte_0")
                for name, may_be_negative in STATEMENT_FIGURES.items() if not may_be_negative
            ],
        ]

    def __str__(self) -> str:
        return f"{self.debtor} {self.fiscal_year}"


class CreditLimitRequest(models.Model):
    """A proposed new limit, change or review, walking draft → submitted → in review → decided."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned for information")

    class Kind(models.TextChoices):
        NEW = "new", _("New limit")
        CHANGE = "change", _("Change of limit")
        REVIEW = "review", _("Review")

    class Tier(models.IntegerChoices):
        AUTOMATIC = 1, _("Tier 1: automatic")
        CREDIT_MANAGER = 2, _("Tier 2: credit manager")
        COMMITTEE = 3, _("Tier 3: credit committee")

    class ReviewReason(models.TextChoices):
        NONE = "", _("Not a review")
        REVIEW_DATE = "review_date", _("Review date reached")
        SCORE_DROP = "score_drop", _("Score dropped two bands or more")

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.RETURNED)
    WAITING_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW)

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="credit_requests")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.NEW)
    amount = models.DecimalField(_("requested limit"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    justification = models.TextField(_("justification"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, null=True,
                                            blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text=_("Empty when Fido opened a review itself."))
    # The limit under review (reviews only): one open review per limit, enforced below.
    review_of = models.ForeignKey("CreditLimit", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="reviews")
    review_reason = models.CharField(_("review reason"), max_length=16,
                                     choices=ReviewReason.choices, default="", blank=True)
    recommended_amount = models.DecimalField(_("recommended limit"), null=True, blank=True,
                                             **MONEY)
    # {"rule": ..., "steps": [{"label": ..., "value": ...}], "amount": "..."}
    recommendation = models.JSONField(default=dict, blank=True)
    # Tier 1 only: the rule that approved the request without a person, in words.
    approved_by_rule = models.TextField(_("approving rule"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Reminders: the number of whole service-time periods already reminded about since
    # submission; a conditional update on it makes the reminder task idempotent.
    reminders_sent = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit limit request")
        permissions = [
            ("decide_tier2", "Can decide tier 2 credit requests (credit manager)"),
            ("decide_tier3", "Can vote on tier 3 credit requests (credit committee)"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="credit_request_amount_gte_0"),
            # The review task's idempotency: a second open review of the same limit is refused
            # by the database, whatever races the beat and a person's click.
            models.UniqueConstraint(
                fields=["review_of"], condition=Q(status__in=["draft", "submitted", "in_review",
                                                              "returned"]),
                name="credit_request_one_open_review"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="returned") | Q(submitted_at__isnull=False),
                name="credit_request_submitted_at_set"),
        ]
        indexes = [
            # The approvers' queue and the reminder sweep: requests waiting for a decision.
            models.Index(fields=["client", "submitted_at"], name="credit_request_waiting",
                         condition=Q(status__in=["submitted", "in_review"])),
            # The debtor's credit page: a debtor's requests, newest first.
            models.Index(fields=["debtor", "-created_at"], name="credit_request_debtor"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} for {self.debtor}"

    @property
    def is_waiting(self) -> bool:
        return self.status in self.WAITING_STATUSES

    @property
    def above_recommendation(self) -> bool:
        """Approving this amount goes against the recommendation: more than the recommended
        limit (a band E debtor's 0 included). Without a recommendation there is nothing to go
        against."""
        return self.recommended_amount is not None and self.amount > self.recommended_amount


class CreditLimit(models.Model):
    """An approved limit: the source of truth for a debtor's credit limit. At most one is active
    per debtor. Debtor.credit_limit is its denormalised copy for set-based reads over a whole
    portfolio (the over-limit list, scoring's features); only credit.services writes it, in the
    transaction that changes the active limit."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUPERSEDED = "superseded", _("Superseded")
        EXPIRED = "expired", _("Expired")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="credit_limits")
    amount = models.DecimalField(_("limit"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    review_date = models.DateField(_("review date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.ACTIVE)
    request = models.OneToOneField(CreditLimitRequest, on_delete=models.PROTECT,
                                   related_name="resulting_limit")
    # The score at approval: the review sweep compares the latest score against it.
    approved_score_band = models.CharField(max_length=1, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("credit limit")
        constraints = [
            models.UniqueConstraint(fields=["debtor"], condition=Q(status="active"),
                                    name="credit_limit_one_active_per_debtor"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="credit_limit_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="credit_limit_valid_range"),
        ]
        indexes = [
            # The review sweep: active limits whose review date has come.
            models.Index(fields=["review_date"], name="credit_limit_review_due",
                         condition=Q(status="active")),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.debtor}"


class DecisionQuerySet(models.QuerySet["CreditDecision"]):
    """Bulk update and delete would bypass the model's guards; the record refuses both."""

    def update(self, **kwargs: Any) -> int:
        raise DomainError("Credit decisions cannot be changed.", code="immutable")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise DomainError("Credit decisions cannot be deleted.", code="immutable")


class CreditDecision(models.Model):
    """One entry of the record: who did what to a request, when, on which figures and score.

    Immutable: `save()` refuses an existing row and `delete()` refuses always; the admin is
    read-only. Rows are only ever added by credit.services.
    """

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        AUTO_APPROVE = "auto_approve", _("Approved automatically (tier 1)")
        REVIEW_START = "review_start", _("Taken into review")
        APPROVE = "approve", _("Approved")
        VOTE_APPROVE = "vote_approve", _("Committee vote: approve")
        REJECT = "reject", _("Rejected")
        RETURN = "return", _("Returned for information")
        REVIEW_OPEN = "review_open", _("Review opened")
        CARRY_OVER = "carry_over", _("Limit in force carried over")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(CreditLimitRequest, on_delete=models.PROTECT,
                                related_name="decisions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              help_text=_("Empty when Fido acted by a rule."))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    comment = models.TextField(_("comment"), blank=True)
    # An approval (or a committee vote) of more than the recommended limit: flagged, and never
    # without the approver's written reason (the constraint below holds it in the database).
    against_recommendation = models.BooleanField(_("against the recommendation"), default=False)
    override_reason = models.TextField(_("reason for going against the recommendation"),
                                       blank=True)
    # Amount, tier, exposure, statements with ratios, score band/probability/model version.
    figures = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("credit decision")
        constraints = [
            models.CheckConstraint(
                condition=Q(against_recommendation=False) | ~Q(override_reason=""),
                name="credit_decision_override_has_reason"),
        ]
        # No unique (request, actor) vote constraint: a returned and resubmitted request is
        # voted on afresh, so distinct voters are counted since the latest submission, under
        # the request's row lock (credit.services.credit_request_approve).
        indexes = [
            # The debtor credit page and the request page: a request's record in order.
            models.Index(fields=["request", "created_at"], name="credit_decision_request"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on request {self.request_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise DomainError("A credit decision is part of the record and cannot be changed.",
                              code="immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("A credit decision is part of the record and cannot be deleted.",
                          code="immutable")
