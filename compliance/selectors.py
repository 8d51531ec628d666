"""Read queries for contact compliance; everything tenant-owned is scoped by access.scoping."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from access.scoping import AnyUser, object_get_for_user, scope_to_user
from compliance.models import ContactDecision, ContactOverride, PackRule, RulePack, RulePackVersion
from portfolio.models import Debtor


def rule_pack_list() -> QuerySet[RulePack]:
    """Packs with their versions (newest first): the list page shows the one in force."""
    return RulePack.objects.select_related("base").prefetch_related(
        Prefetch("versions", queryset=RulePackVersion.objects.order_by("-effective_from"))
    ).order_by("country", "region")


def rule_pack_get(*, code: str) -> RulePack:
    return get_object_or_404(rule_pack_list().prefetch_related(
        Prefetch("versions__rules", queryset=PackRule.objects.order_by("parameter"))), code=code)


def rule_pack_version_in_force(pack: RulePack, at: dt.datetime) -> RulePackVersion | None:
    """From a pack fetched by rule_pack_list (versions prefetched, newest first)."""
    return next((v for v in pack.versions.all() if v.effective_from <= at), None)


def contact_decision_list(*, user: AnyUser, debtor: Debtor | None = None
                          ) -> QuerySet[ContactDecision]:
    decisions = ContactDecision.objects.select_related("actor").order_by("-decided_at", "-id")
    if debtor is not None:
        decisions = decisions.filter(debtor=debtor)
    return scope_to_user(decisions, user)


def contact_decision_get_for_user(*, user: AnyUser, pk: object) -> ContactDecision:
    return object_get_for_user(ContactDecision.objects.all(), user, pk=pk)


def contact_override_list(*, user: AnyUser, debtor: Debtor | None = None,
                          status: str | None = None) -> QuerySet[ContactOverride]:
    overrides = ContactOverride.objects.select_related(
        "requested_by", "decided_by", "debtor", "decision").order_by("-requested_at", "-id")
    if debtor is not None:
        overrides = overrides.filter(debtor=debtor)
    if status is not None:
        overrides = overrides.filter(status=status)
    return scope_to_user(overrides, user)


def contact_override_get_for_user(*, user: AnyUser, pk: object) -> ContactOverride:
    return object_get_for_user(ContactOverride.objects.all(), user, pk=pk)
