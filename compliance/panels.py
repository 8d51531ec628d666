"""The contact-rules panel on the debtor page: the last decision and the pre-dial check."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from compliance import windows
from compliance.models import ContactDecision
from portfolio.models import Debtor


def compliance_panel_context(request: HttpRequest, debtor: Debtor) -> dict[str, Any] | None:
    if not request.user.has_perm("compliance.view_contactdecision"):
        return None
    last = (ContactDecision.objects.filter(debtor=debtor).order_by("-decided_at", "-id")
            .only("allowed", "reason", "reason_message", "decided_at", "next_permitted_at",
                  "channel").first())
    return {"debtor": debtor, "last_decision": last,
            "zone": windows.display_zone(debtor.timezone, debtor.country, debtor.region),
            "may_check": request.user.has_perm("compliance.add_contactattempt")}
