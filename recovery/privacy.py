"""The collections desk's part of a debtor's personal data (portfolio/privacy.py): cases and
their stage history, every contact with its notes, callbacks, promises, payment plans with
their instalments, and disputes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from portfolio.models import Debtor
from portfolio.privacy import PrivacySection
from recovery.models import (
    CaseStageChange,
    CollectionCase,
    CollectionContact,
    Dispute,
    Instalment,
    PaymentPlan,
    PromiseToPay,
)


def _export(debtor: Debtor) -> dict[str, Any]:
    cases = CollectionCase.objects.filter(debtor=debtor).order_by("opened_at", "id")
    return {
        "cases": list(cases.values(
            "id", "status", "stage", "opened_at", "closed_at", "close_reason", "overdue_amount",
            "currency", "strategy", "on_hold", "hold_reason")),
        "stage_changes": list(CaseStageChange.objects.filter(case__debtor=debtor)
                              .order_by("created_at", "id")
                              .values("case_id", "from_stage", "to_stage", "reason",
                                      "created_at")),
        "contacts": list(CollectionContact.objects.filter(debtor=debtor)
                         .order_by("opened_at", "id")
                         .values("case_id", "channel", "direction", "destination",
                                 "attempt_result", "party", "outcomes",
                                 "reason_for_non_payment", "mood_start", "mood_end",
                                 "next_step", "notes", "opened_at", "saved_at")),
        "promises": list(PromiseToPay.objects.filter(debtor=debtor).order_by("created_at", "id")
                         .values("case_id", "amount", "currency", "promised_date", "status",
                                 "paid_amount", "created_at")),
        "payment_plans": list(PaymentPlan.objects.filter(debtor=debtor)
                              .order_by("created_at", "id")
                              .values("id", "case_id", "status", "total", "down_payment",
                                      "currency", "note", "created_at", "closed_at")),
        "instalments": list(Instalment.objects.filter(plan__debtor=debtor)
                            .order_by("plan_id", "number")
                            .values("plan_id", "number", "due_date", "amount", "status",
                                    "paid_amount")),
        "disputes": list(Dispute.objects.filter(debtor=debtor).order_by("opened_at", "id")
                         .values("case_id", "reason", "detail", "status", "opened_at",
                                 "resolved_at", "resolution_note")),
    }


def _blockers(debtor: Debtor, today: dt.date) -> list[str]:
    # A dispute still open is a claim being examined: its record must stay (GDPR Art. 17(3)(e)).
    if Dispute.objects.filter(debtor=debtor, status=Dispute.Status.OPEN).exists():
        return [_("A dispute about this debtor's invoices is still open (GDPR Art. 17(3)(e), "
                  "legal claims).")]
    return []


def _erase(debtor: Debtor) -> None:
    CollectionContact.objects.filter(debtor=debtor).update(notes="", destination="")
    PaymentPlan.objects.filter(debtor=debtor).update(note="")
    Dispute.objects.filter(debtor=debtor).update(detail="", resolution_note="")


SECTION = PrivacySection(key="recovery", export=_export, blockers=_blockers, erase=_erase,
                         order=40)
