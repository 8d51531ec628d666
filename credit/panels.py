"""The credit panel on the portfolio debtor page: exposure against the limit in force."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from credit.selectors import credit_utilisation_for_debtors
from portfolio.models import Debtor


def credit_panel_context(request: HttpRequest, debtor: Debtor) -> dict[str, Any] | None:
    # The debtor was read through access.scoping by the page; the permission decides the panel.
    if not request.user.has_perm("credit.view_creditlimit"):
        return None
    utilisation = credit_utilisation_for_debtors([debtor.pk]).get(debtor.pk)
    return {"debtor": debtor, "utilisation": utilisation}
