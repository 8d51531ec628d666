"""The contact story on the portfolio debtor page: every contact, promise, plan and dispute,
so that credit managers and clients read the history the agents wrote. A client viewer reads
it without the staff's notes and the mood and empathy coaching fields (recovery.workspace)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portfolio.models import Debtor
from recovery import workspace


def recovery_panel_context(request: HttpRequest, debtor: Debtor) -> dict[str, Any] | None:
    # The page read the debtor through access.scoping; the permission decides the panel.
    if not request.user.has_perm("recovery.view_collectioncontact"):
        return None
    return {
        "debtor": debtor,
        "story": workspace.debtor_story(user=request.user, debtor=debtor),
        "agreements": workspace.debtor_agreements(user=request.user, debtor=debtor),
        "case": workspace.pending_cases(user=request.user).filter(debtor=debtor)
        .only("id", "stage", "overdue_amount", "currency").first(),
        "may_open": workspace.may_work_cases(request.user),
    }
