"""Credit's part of a debtor's personal data (portfolio/privacy.py): credit limit requests
with their decisions, the limits granted, and the financial statements on file."""

from __future__ import annotations

from typing import Any

from credit.models import CreditDecision, CreditLimit, CreditLimitRequest, FinancialStatement
from portfolio.models import Debtor
from portfolio.privacy import PrivacySection


def _export(debtor: Debtor) -> dict[str, Any]:
    return {
        "requests": list(CreditLimitRequest.objects.filter(debtor=debtor)
                         .order_by("created_at", "id")
                         .values("id", "kind", "amount", "currency", "justification", "status",
                                 "tier", "recommended_amount", "submitted_at", "decided_at")),
        "decisions": list(CreditDecision.objects.filter(request__debtor=debtor)
                          .order_by("created_at", "id")
                          .values("request_id", "action", "comment", "created_at")),
        "limits": list(CreditLimit.objects.filter(debtor=debtor).order_by("valid_from", "id")
                       .values("amount", "currency", "valid_from", "valid_until",
                               "review_date", "status")),
        "financial_statements": list(FinancialStatement.objects.filter(debtor=debtor)
                                     .order_by("fiscal_year")
                                     .values("fiscal_year", "revenue", "ebitda", "net_income",
                                             "equity", "total_debt", "source")),
    }


SECTION = PrivacySection(key="credit", export=_export, order=40)
