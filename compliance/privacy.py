"""Contact compliance's part of a debtor's personal data (portfolio/privacy.py): holds, the
debtor's own restrictions, contact attempts, every contact decision and override requests.
An account-wide dispute hold in force is a reason to keep the data (a legal claim)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.models import (
    ContactAttempt,
    ContactDecision,
    ContactHold,
    ContactOverride,
    ContactRestriction,
)
from portfolio.models import Debtor
from portfolio.privacy import PrivacySection


def _export(debtor: Debtor) -> dict[str, Any]:
    return {
        "holds": list(ContactHold.objects.filter(debtor=debtor).order_by("starts_at", "id")
                      .values("kind", "invoice_ids", "reason", "starts_at", "ends_at",
                              "released_at")),
        "restrictions": list(ContactRestriction.objects.filter(debtor=debtor)
                             .order_by("created_at", "id")
                             .values("kind", "channel", "weekdays", "not_before", "not_after",
                                     "place", "source", "note", "created_at", "revoked_at")),
        "attempts": list(ContactAttempt.objects.filter(debtor=debtor)
                         .order_by("started_at", "id")
                         .values("channel", "destination", "started_at", "result", "party",
                                 "connected", "conversation", "consent_given_at",
                                 "follow_up_at")),
        "decisions": list(ContactDecision.objects.filter(debtor=debtor)
                          .order_by("decided_at", "id")
                          .values("channel", "destination", "decided_at", "allowed",
                                  "rule_ids", "reason", "next_permitted_at", "pack_code",
                                  "pack_version", "purpose")),
        "overrides": list(ContactOverride.objects.filter(debtor=debtor)
                          .order_by("requested_at", "id")
                          .values("channel", "destination", "reason", "status",
                                  "requested_at", "decided_at", "decision_note")),
    }


def _blockers(debtor: Debtor, today: dt.date) -> list[str]:
    now = timezone.now()
    open_dispute = ContactHold.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now), debtor=debtor,
        kind=ContactHold.Kind.DISPUTE, released_at__isnull=True).exists()
    if open_dispute:
        return [_("A dispute hold is in force: the data is needed until the dispute is "
                  "settled (GDPR Art. 17(3)(e), legal claims).")]
    return []


def _erase(debtor: Debtor) -> None:
    ContactAttempt.objects.filter(debtor=debtor).update(destination="")
    ContactDecision.objects.filter(debtor=debtor).update(destination="")
    ContactOverride.objects.filter(debtor=debtor).update(destination="")
    ContactRestriction.objects.filter(debtor=debtor).update(note="", place="")
    ContactHold.objects.filter(debtor=debtor).update(reason="")


SECTION = PrivacySection(key="compliance", export=_export, blockers=_blockers, erase=_erase,
                         order=20)
