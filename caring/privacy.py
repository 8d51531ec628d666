"""Caring's part of a debtor's personal data (portfolio/privacy.py): courtesy calls and the
follow-up tasks they opened, with their notes."""

from __future__ import annotations

from typing import Any

from caring.models import CaringTask, CourtesyCall
from portfolio.models import Debtor
from portfolio.privacy import PrivacySection


def _export(debtor: Debtor) -> dict[str, Any]:
    calls = list(CourtesyCall.objects.filter(debtor=debtor).order_by("window_date", "id").values(
        "id", "window_date", "first_due_date", "amount", "status", "scheduled_at", "attempts",
        "outcome", "payment_date", "callback_at", "note", "destination", "completed_at"))
    tasks = list(CaringTask.objects.filter(call__debtor=debtor).order_by("created_at", "id")
                 .values("call_id", "invoice__number", "kind", "status", "note", "created_at",
                         "done_at"))
    return {"courtesy_calls": calls, "tasks": tasks}


def _erase(debtor: Debtor) -> None:
    CourtesyCall.objects.filter(debtor=debtor).update(note="", destination="")
    CaringTask.objects.filter(call__debtor=debtor).update(note="")


SECTION = PrivacySection(key="caring", export=_export, erase=_erase, order=30)
