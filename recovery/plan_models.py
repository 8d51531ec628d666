"""Per-client policy of payment plans: the approval threshold and the breach rule.

Kept apart from recovery/models.py (the case model's module) and registered by
`RecoveryConfig.ready`. A client without a row gets the defaults below, which are stated here
and nowhere else (`plan_policy_for`).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portfolio.models import MONEY, Client

# The defaults of every client without its own policy.
DEFAULT_APPROVAL_THRESHOLD = Decimal("5000.00")
DEFAULT_GRACE_DAYS = 3  # SPEC §3: a promise's grace days default to 3; instalments alike
DEFAULT_BREACH_MISSED = 2
DEFAULT_BREACH_DAYS_LATE = 30


class PlanPolicy(models.Model):
    """How a client's payment plans are approved and when they are breached."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, primary_key=True,
                                  related_name="plan_policy")
    # A plan whose total is above this waits for a team leader; at or below it is active.
    approval_threshold = models.DecimalField(_("approval above"),
                                             default=DEFAULT_APPROVAL_THRESHOLD, **MONEY)
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=DEFAULT_GRACE_DAYS)
    # Breach: this many missed instalments, or one still unpaid this many days after its date.
    breach_missed_instalments = models.PositiveSmallIntegerField(
        _("missed instalments that breach the plan"), default=DEFAULT_BREACH_MISSED)
    breach_days_late = models.PositiveSmallIntegerField(
        _("days late that breach the plan"), default=DEFAULT_BREACH_DAYS_LATE)

    class Meta:
        app_label = "recovery"
        verbose_name = _("payment plan policy")
        verbose_name_plural = _("payment plan policies")
        constraints = [
            models.CheckConstraint(condition=Q(approval_threshold__gte=0),
                                   name="recovery_planpolicy_threshold_gte_0"),
            models.CheckConstraint(condition=Q(grace_days__lte=60),
                                   name="recovery_planpolicy_grace_lte_60"),
            models.CheckConstraint(condition=Q(breach_missed_instalments__gte=1),
                                   name="recovery_planpolicy_missed_gte_1"),
            models.CheckConstraint(condition=Q(breach_days_late__gte=1),
                                   name="recovery_planpolicy_late_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: above {self.approval_threshold}"


def plan_policy_for(client_id: int) -> PlanPolicy:
    """The client's policy, or an unsaved one with the defaults."""
    return (PlanPolicy.objects.filter(client_id=client_id).first()
            or PlanPolicy(client_id=client_id))
