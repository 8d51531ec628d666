"""The credit side of the demo: the limits the demo portfolio was loaded with become approved
limits in the record, and a few requests show each way a decision goes (a committee vote
waiting for its quorum, an approval against the recommendation with its reason, a request
waiting for a credit manager). Runs after `demo_seed` and `scoring_demo`; idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from credit import services
from credit.models import CreditLimitRequest, CreditTierPolicy
from portfolio.models import Client, Debtor


@dataclass(frozen=True)
class Sample:
    amount: Decimal
    justification: str
    # Latest year's revenue and equity; the two years before grow towards them.
    revenue: Decimal
    equity: Decimal
    decide: str  # "committee_vote", "approve_against", "wait"
    reason: str = ""


SAMPLES = (
    Sample(Decimal("150000"), "Five-year supply contract for the new plant; the customer asks "
           "for 90-day terms.", Decimal("4200000"), Decimal("1500000"), "committee_vote",
           "Long-standing customer, paid on time through two difficult years."),
    Sample(Decimal("40000"), "Seasonal order ahead of the summer peak.",
           Decimal("900000"), Decimal("-35000"), "approve_against",
           "The parent company guarantees the order in writing (guarantee on file)."),
    Sample(Decimal("60000"), "Framework agreement renewed for two more years.",
           Decimal("1600000"), Decimal("520000"), "wait"),
)


def _statements(debtor: Debtor, sample: Sample, *, by: object) -> None:
    latest = timezone.localdate().year - 1
    for back, share in ((2, Decimal("0.85")), (1, Decimal("0.93")), (0, Decimal("1"))):
        revenue = (sample.revenue * share).quantize(Decimal("1"))
        equity = (sample.equity * share).quantize(Decimal("1"))
        services.financial_statement_save(
            debtor=debtor, fiscal_year=latest - back, by=by,  # type: ignore[arg-type]
            figures={"revenue": revenue, "ebitda": revenue * Decimal("0.12"),
                     "net_income": revenue * Decimal("0.04"), "equity": equity,
                     "total_debt": revenue * Decimal("0.3"),
                     "current_assets": revenue * Decimal("0.35"),
                     "current_liabilities": revenue * Decimal("0.25"),
                     "cash": revenue * Decimal("0.05"), "inventory": revenue * Decimal("0.1"),
                     "interest_expense": revenue * Decimal("0.01")})


def credit_demo_create(*, clients: list[Client],
                       progress: Callable[[str], object] = lambda text: None) -> int:
    """Carry the loaded limits over into the record, then add the sample requests to the
    first client (once). Returns the number of limits carried over."""
    for client in clients:
        CreditTierPolicy.objects.get_or_create(client=client, defaults=CreditTierPolicy.DEFAULTS)
    carried = services.credit_limits_carry_over(client_ids=[client.pk for client in clients])
    progress(f"  {carried:,} credit limits carried over into the record")
    users = {user.username: user for user in get_user_model().objects.filter(
        username__in=["agent", "manager", "committee"])}
    if not clients or len(users) < 3:
        return carried
    client = clients[0]
    if CreditLimitRequest.objects.filter(client=client, requested_by=users["agent"]).exists():
        return carried
    # Businesses (statements are a company's), those without a limit first.
    debtors = list(Debtor.objects.filter(client=client, kind=Debtor.Kind.BUSINESS,
                                         deceased=False)
                   .order_by(F("credit_limit").asc(nulls_first=True), "pk")[:len(SAMPLES)])
    for debtor, sample in zip(debtors, SAMPLES, strict=False):
        _statements(debtor, sample, by=users["manager"])
        request = services.credit_request_create(debtor=debtor, amount=sample.amount,
                                                  justification=sample.justification,
                                                  by=users["agent"])
        request = services.credit_request_submit(request=request, by=users["agent"])
        if request.status != CreditLimitRequest.Status.SUBMITTED:
            continue
        reason = sample.reason if request.above_recommendation else ""
        if sample.decide == "committee_vote" and request.tier == request.Tier.COMMITTEE:
            services.credit_request_approve(request=request, by=users["committee"],
                                            comment=sample.reason, override_reason=reason)
        elif sample.decide == "approve_against" and request.tier == request.Tier.CREDIT_MANAGER:
            services.credit_request_approve(request=request, by=users["manager"],
                                            override_reason=sample.reason)
    progress(f"  {len(debtors)} sample credit requests for {client.name}")
    return carried
