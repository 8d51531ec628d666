"""Read queries of credit: utilisation, queues, the debtor's credit file. Scoped by access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from access.roles import Role
from access.scoping import AnyUser, access_for, object_get_for_user, scope_to_user
from credit import analysis
from credit.models import (
    CreditDecision,
    CreditLimitRequest,
    CreditTierPolicy,
    FinancialStatement,
)
from portfolio.models import Debtor
from portfolio.selectors import UNSETTLED, ZERO

ALERT_PERCENT = Decimal("90")  # utilisation at or above this warns; above 100 is over limit


@dataclass(frozen=True)
class Utilisation:
    debtor_id: int
    currency: str
    limit: Decimal | None
    open_invoices: Decimal
    other_exposure: Decimal
    exposure: Decimal
    percent: Decimal | None  # exposure / limit * 100; None without a limit or with a 0 limit
    state: str  # "no_limit", "ok", "warning" (≥ 90%), "over" (exposure above the limit)

    @property
    def headroom(self) -> Decimal | None:
        return None if self.limit is None else self.limit - self.exposure


def _utilisation(debtor_id: int, currency: str, limit: Decimal | None, other: Decimal,
                 open_invoices: Decimal) -> Utilisation:
    exposure = open_invoices + other
    percent = None
    if limit is None:
        state = "no_limit"
    else:
        if limit > 0:
            percent = (exposure * 100 / limit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if exposure > limit:
            state = "over"
        elif percent is not None and percent >= ALERT_PERCENT:
            state = "warning"
        else:
            state = "ok"
    return Utilisation(debtor_id, currency, limit, open_invoices, other, exposure, percent, state)


def _open_invoices() -> Coalesce:
    return Coalesce(Sum("invoices__open_balance", filter=Q(invoices__status__in=UNSETTLED)),
                    ZERO)


def credit_utilisation_for_debtors(debtor_ids: Iterable[int]) -> dict[int, Utilisation]:
    """Exposure (unsettled open balances + other exposure) against the limit in force, for the
    debtors given, in one query. Callers pass ids they already read through a scoped query."""
    rows = (Debtor.objects.filter(pk__in=list(debtor_ids))
            .annotate(open_invoices=_open_invoices())
            .values_list("pk", "client__currency", "credit_limit", "other_exposure",
                         "open_invoices"))
    return {row[0]: _utilisation(*row) for row in rows}


def over_limit_list(*, user: AnyUser, include_warnings: bool = False) -> QuerySet[Debtor]:
    """Debtors of the user's clients whose exposure is above their limit (or at ≥ 90% of it)."""
    queryset = scope_to_user(Debtor.objects.select_related("client"), user).filter(
        credit_limit__isnull=False)
    queryset = queryset.annotate(
        open_invoices=_open_invoices(),
        exposure=F("open_invoices") + F("other_exposure"),
    )
    if include_warnings:
        threshold = F("credit_limit") * ALERT_PERCENT / 100
        queryset = queryset.filter(Q(exposure__gt=F("credit_limit")) | Q(exposure__gte=threshold))
    else:
        queryset = queryset.filter(exposure__gt=F("credit_limit"))
    return queryset.annotate(
        excess=ExpressionWrapper(F("exposure") - F("credit_limit"),
                                 output_field=DecimalField(max_digits=14, decimal_places=2)),
    ).order_by(F("excess").desc(), "id")


# --- Requests, limits, decisions ---------------------------------------------------------------

def credit_request_list(*, user: AnyUser) -> QuerySet[CreditLimitRequest]:
    return scope_to_user(
        CreditLimitRequest.objects.select_related("debtor", "client", "requested_by"), user)


def credit_request_get_for_user(*, user: AnyUser, pk: object) -> CreditLimitRequest:
    return object_get_for_user(
        CreditLimitRequest.objects.select_related("debtor", "client", "requested_by",
                                                  "review_of"), user, pk=pk)


def statements_visible(user: AnyUser) -> bool:
    """The one rule for a debtor's financial statements and everything read from them (ratios,
    trends, flags, the recommendation's steps, a decision's recorded figures). The API, the
    pages and the panels all ask here; a client viewer is refused them (access.roles)."""
    return bool(user.is_authenticated and user.has_perm("credit.view_financialstatement"))


def recommendation_for(user: AnyUser, recommendation: dict[str, Any]) -> dict[str, Any]:
    """The recommendation as `user` may read it: its steps quote revenue and equity, so a user
    who may not see statements gets the amount and the rule only."""
    if statements_visible(user):
        return recommendation
    return {key: value for key, value in (recommendation or {}).items() if key != "steps"}


def decision_figures_for(user: AnyUser, figures: dict[str, Any]) -> dict[str, Any]:
    """A decision's recorded figures without the statements (and the recommendation's steps,
    which quote them) for a user who may not see them."""
    if statements_visible(user):
        return figures
    kept = {key: value for key, value in (figures or {}).items() if key != "statements"}
    if isinstance(kept.get("recommendation"), dict):
        kept["recommendation"] = recommendation_for(user, kept["recommendation"])
    return kept


def committee_members() -> QuerySet[Any]:
    """Active users in the credit committee role: the only ones whose votes make a quorum."""
    return get_user_model().objects.filter(is_active=True, groups__name=Role.CREDIT_COMMITTEE)


def is_committee_member(user: AnyUser) -> bool:
    """Tier 3 votes need the permission and the committee role: an administrator holds every
    permission but sits on no committee."""
    return (user.is_active and user.has_perm("credit.decide_tier3")
            and access_for(user).has_role(Role.CREDIT_COMMITTEE))


def committee_voters(request: CreditLimitRequest, *, members_only: bool = True) -> set[int]:
    """Distinct voters for a tier 3 request since its latest submission (a returned and
    resubmitted request is voted on afresh). `members_only` keeps those on the committee today:
    the quorum counts members, not whoever once voted."""
    Action = CreditDecision.Action
    last_submit = (CreditDecision.objects
                   .filter(request=request, action__in=[Action.SUBMIT, Action.REVIEW_OPEN])
                   .order_by("-id").values_list("id", flat=True).first()) or 0
    votes = CreditDecision.objects.filter(request=request, action=Action.VOTE_APPROVE,
                                          id__gt=last_submit)
    if members_only:
        votes = votes.filter(actor__in=committee_members())
    return set(votes.values_list("actor_id", flat=True))


def tiers_user_decides(user: AnyUser) -> list[int]:
    tiers: list[int] = []
    if user.has_perm("credit.decide_tier2"):
        tiers.append(CreditLimitRequest.Tier.CREDIT_MANAGER)
    if is_committee_member(user):
        tiers.append(CreditLimitRequest.Tier.COMMITTEE)
    return tiers


def credit_request_queue(*, user: AnyUser) -> QuerySet[CreditLimitRequest]:
    """Requests waiting for this user: their tier, not their own, not already voted on;
    oldest first (service time runs from submission)."""
    voted = CreditDecision.objects.filter(request=OuterRef("pk"), actor_id=user.pk,
                                          action=CreditDecision.Action.VOTE_APPROVE)
    return (credit_request_list(user=user)
            .filter(status__in=CreditLimitRequest.WAITING_STATUSES,
                    tier__in=tiers_user_decides(user))
            .exclude(requested_by_id=user.pk)
            .exclude(Exists(voted))
            .order_by("submitted_at", "id"))


def credit_decision_list(*, user: AnyUser) -> QuerySet[CreditDecision]:
    return scope_to_user(CreditDecision.objects.select_related("actor", "request"), user)


# --- Figures a decision is taken on -------------------------------------------------------------

STATEMENT_YEARS = 3


def statement_figures(statement: FinancialStatement) -> dict[str, Decimal]:
    return {name: getattr(statement, name) for name in FinancialStatement.FIGURES}


def debtor_statements(debtor: Debtor, *, years: int = STATEMENT_YEARS
                      ) -> list[FinancialStatement]:
    """The debtor's latest `years` statements, oldest first."""
    latest = list(FinancialStatement.objects.filter(debtor=debtor)
                  .order_by("-fiscal_year")[:years])
    return latest[::-1]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def credit_figures(*, request: CreditLimitRequest, score: Any | None,
                   statements: list[FinancialStatement] | None = None) -> dict[str, Any]:
    """The snapshot a decision is recorded with: amount, tier, limit in force, exposure,
    three years of statements with ratios, the score and the recommendation."""
    debtor = request.debtor
    if statements is None:
        statements = debtor_statements(debtor)
    utilisation = credit_utilisation_for_debtors([debtor.pk]).get(debtor.pk)
    policy = CreditTierPolicy.for_client(request.client)
    return _jsonable({
        "amount": request.amount,
        "currency": request.currency,
        "tier": request.tier,
        "limit_in_force": debtor.credit_limit,
        "exposure": None if utilisation is None else utilisation.exposure,
        "utilisation_percent": None if utilisation is None else utilisation.percent,
        "policy": {"tier1_ceiling": policy.tier1_ceiling, "tier1_bands": policy.tier1_bands,
                   "tier2_ceiling": policy.tier2_ceiling,
                   "committee_quorum": policy.committee_quorum},
        "score": None if score is None else score.as_figures(),
        "statements": [
            {"fiscal_year": statement.fiscal_year, **statement_figures(statement),
             "ratios": analysis.ratios_compute(statement_figures(statement)),
             "flags": [flag["code"] for flag in statement.flags]}
            for statement in statements
        ],
        "recommendation": request.recommendation,
    })


def carry_over_figures(*, request: CreditLimitRequest,
                       utilisation: Utilisation | None) -> dict[str, Any]:
    """The record of a carried-over limit: what was in force and the exposure against it, no
    score or statements (nobody decided it in Fido)."""
    return _jsonable({
        "amount": request.amount,
        "currency": request.currency,
        "tier": None,
        "limit_in_force": request.amount,
        "exposure": None if utilisation is None else utilisation.exposure,
        "utilisation_percent": None if utilisation is None else utilisation.percent,
        "score": None,
        "statements": [],
        "recommendation": {},
    })
