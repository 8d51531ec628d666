"""The experience app's part of a debtor's personal data (portfolio/privacy.py, SPEC §6):
every survey sent or planned, every answer with its comment, and the follow-ups they opened.

Erasure, where the law allows it (portfolio decides, from every section's blockers):
- answers lose their free-text comment and their link to the person (`Response.debtor`); the
  score, CES, CSAT, themes, kind, date and cohort (agent, strategy, case) stay, so reports keep
  their counts and scores without anything that names or quotes the debtor;
- surveys lose the number or address they were sent to and their link token (a link already
  sent no longer opens); surveys not sent yet are suppressed with the reason;
- follow-ups lose their notes.
The survey and follow-up rows stay attached to the debtor row, which portfolio pseudonymises.

Where erasure is refused, portfolio restricts processing: the contact engine then refuses
every survey (`hold.restricted`) and relational sampling skips the debtor
(experience/sampling.py), so a restricted debtor gets no surveys.
"""

from __future__ import annotations

from typing import Any

from experience.models import FollowUp, Response, Survey
from portfolio.models import Debtor
from portfolio.privacy import PrivacySection

ERASED_REASON = "erasure: the debtor's personal data was erased"


def _export(debtor: Debtor) -> dict[str, Any]:
    return {
        "surveys": list(Survey.objects.filter(debtor=debtor).order_by("due_at", "id").values(
            "id", "kind", "trigger", "case_id", "status", "due_at", "medium", "destination",
            "sent_at", "expires_at", "answered_at", "suppressed_reason", "language")),
        "answers": list(Response.objects.filter(survey__debtor=debtor)
                        .order_by("answered_at", "id").values(
                            "survey_id", "kind", "nps", "comment", "ces", "csat", "complaint",
                            "themes", "language", "answered_at")),
        "follow_ups": list(FollowUp.objects.filter(debtor=debtor).order_by("due_at", "id")
                           .values("response__survey_id", "reason", "status", "due_at",
                                   "resolution", "notes", "closed_at")),
    }


def _erase(debtor: Debtor) -> None:
    Response.objects.filter(survey__debtor=debtor).update(comment="", debtor=None)
    Survey.objects.filter(debtor=debtor, status=Survey.Status.SCHEDULED).update(
        status=Survey.Status.SUPPRESSED, suppressed_reason=ERASED_REASON)
    Survey.objects.filter(debtor=debtor).update(destination="", token_hash=None)
    FollowUp.objects.filter(debtor=debtor).update(notes="")


SECTION = PrivacySection(key="experience", export=_export, erase=_erase, order=50)
