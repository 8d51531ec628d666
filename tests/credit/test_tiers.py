"""Tiered approval: the rule decides tier 1, a credit manager tier 2, a committee quorum tier 3."""

from decimal import Decimal

import pytest

from access.errors import DomainError
from credit import services
from credit.models import CreditDecision, CreditLimit, CreditLimitRequest
from tests.credit.factories import CreditTierPolicyFactory, FinancialStatementFactory, score

pytestmark = pytest.mark.django_db
Status = CreditLimitRequest.Status


def _propose(debtor, amount, by, *, submit=True):
    request = services.credit_request_create(debtor=debtor, amount=Decimal(amount),
                                             justification="New supply contract", by=by)
    return services.credit_request_submit(request=request, by=by) if submit else request


def test_tier_1_is_approved_automatically_and_records_the_rule(personas, debtor):
    score(debtor, "A")

    request = _propose(debtor, "5000", personas.agent)

    assert request.status == Status.APPROVED
    assert request.tier == 1
    assert "5000.00 EUR ≤ tier 1 ceiling 10000.00 EUR" in request.approved_by_rule
    assert "band A" in request.approved_by_rule
    auto = request.decisions.get(action=CreditDecision.Action.AUTO_APPROVE)
    assert auto.actor is None
    assert auto.comment == request.approved_by_rule
    assert auto.figures["score"]["band"] == "A"
    assert auto.figures["score"]["model_version"]
    debtor.refresh_from_db()
    assert debtor.credit_limit == Decimal("5000.00")
    limit = CreditLimit.objects.get(debtor=debtor)
    assert (limit.status, limit.amount, limit.approved_score_band) == ("active", Decimal("5000.00"),
                                                                        "A")


def test_a_debtor_without_a_score_is_never_approved_automatically(personas, debtor):
    request = _propose(debtor, "100", personas.agent)

    assert request.status == Status.SUBMITTED
    assert request.tier == 2
    debtor.refresh_from_db()
    assert debtor.credit_limit is None


def test_a_small_amount_with_a_weak_band_needs_a_credit_manager(personas, debtor):
    score(debtor, "C")

    request = _propose(debtor, "5000", personas.agent)

    assert (request.status, request.tier) == (Status.SUBMITTED, 2)


def test_the_tier_ceilings_come_from_the_clients_policy(personas, debtor):
    CreditTierPolicyFactory(client=personas.client_a, tier1_ceiling=Decimal("1000"),
                            tier2_ceiling=Decimal("4000"))
    score(debtor, "A")

    request = _propose(debtor, "5000", personas.agent)

    assert request.tier == 3


def test_tier_2_needs_a_credit_manager(personas, debtor):
    score(debtor, "B")
    request = _propose(debtor, "50000", personas.agent)
    assert request.tier == 2

    with pytest.raises(DomainError, match="credit manager"):
        services.credit_request_approve(request=request, by=personas.committee)
    with pytest.raises(DomainError, match="credit manager"):
        services.credit_request_approve(request=request, by=personas.team_leader)
    request = services.credit_request_approve(request=request, by=personas.credit_manager,
                                              comment="Three good years")

    assert request.status == Status.APPROVED
    decision = request.decisions.get(action=CreditDecision.Action.APPROVE)
    assert decision.actor == personas.credit_manager
    assert decision.figures["amount"] == "50000.00"
    assert decision.figures["score"]["band"] == "B"
    debtor.refresh_from_db()
    assert debtor.credit_limit == Decimal("50000.00")


def test_a_manager_sees_three_years_of_statements_with_ratios_in_the_record(personas, debtor):
    for year in (2023, 2024, 2025):
        FinancialStatementFactory(debtor=debtor, fiscal_year=year)
    FinancialStatementFactory(debtor=debtor, fiscal_year=2021)
    request = _propose(debtor, "50000", personas.agent)  # no score: 25,000 recommended

    request = services.credit_request_approve(request=request, by=personas.credit_manager,
                                              override_reason="Three years of steady growth")

    figures = request.decisions.get(action="approve").figures
    assert [row["fiscal_year"] for row in figures["statements"]] == [2023, 2024, 2025]
    assert figures["statements"][-1]["ratios"]["current"] == "2.00"
    assert figures["statements"][-1]["ratios"]["leverage"] == "2.00"


def test_an_approval_supersedes_the_limit_in_force(personas, debtor):
    score(debtor, "A")
    first = _propose(debtor, "5000", personas.agent)
    second = _propose(debtor, "8000", personas.agent)

    assert second.kind == CreditLimitRequest.Kind.CHANGE
    limits = {limit.request_id: limit for limit in CreditLimit.objects.filter(debtor=debtor)}
    assert limits[first.pk].status == CreditLimit.Status.SUPERSEDED
    assert limits[first.pk].valid_until is not None
    assert limits[second.pk].status == CreditLimit.Status.ACTIVE
    debtor.refresh_from_db()
    assert debtor.credit_limit == Decimal("8000.00")


def test_the_database_refuses_a_second_active_limit(personas, debtor):
    from django.db import IntegrityError

    score(debtor, "A")
    first = _propose(debtor, "5000", personas.agent)
    other = _propose(debtor, "50000", personas.agent, submit=False)
    limit = CreditLimit.objects.get(request=first)

    with pytest.raises(IntegrityError):
        CreditLimit.objects.create(client=limit.client, debtor=debtor, amount=1, currency="EUR",
                                   valid_from=limit.valid_from, review_date=limit.review_date,
                                   request=other)


def test_tier_3_needs_a_quorum_of_distinct_committee_members(personas, debtor, committee_2):
    score(debtor, "A")
    request = _propose(debtor, "250000", personas.agent)
    assert request.tier == 3

    with pytest.raises(DomainError, match="credit committee"):
        services.credit_request_approve(request=request, by=personas.credit_manager)
    request = services.credit_request_approve(request=request, by=personas.committee)
    assert request.status == Status.IN_REVIEW
    with pytest.raises(DomainError, match="already voted"):
        services.credit_request_approve(request=request, by=personas.committee)
    assert request.decisions.filter(action="vote_approve").count() == 1

    request = services.credit_request_approve(request=request, by=committee_2)

    assert request.status == Status.APPROVED
    assert set(request.decisions.filter(action="vote_approve")
               .values_list("actor__username", flat=True)) == {"committee_a", "committee_a2"}
    assert "Quorum reached: 2 of 2" in request.decisions.get(action="approve").comment
    debtor.refresh_from_db()
    assert debtor.credit_limit == Decimal("250000.00")


def test_a_committee_members_rejection_is_recorded_and_closes_the_request(
        personas, debtor, committee_2):
    score(debtor, "A")
    request = _propose(debtor, "250000", personas.agent)
    services.credit_request_approve(request=request, by=personas.committee)

    request = services.credit_request_reject(request=request, by=committee_2,
                                             comment="Exposure to the sector too high")

    assert request.status == Status.REJECTED
    rejection = request.decisions.get(action="reject")
    assert (rejection.actor, rejection.comment) == (committee_2,
                                                    "Exposure to the sector too high")
    assert not CreditLimit.objects.filter(debtor=debtor).exists()


def test_nobody_approves_their_own_request(personas, debtor, committee_2):
    score(debtor, "C")
    own = _propose(debtor, "50000", personas.credit_manager)

    with pytest.raises(DomainError) as refused:
        services.credit_request_approve(request=own, by=personas.credit_manager)
    assert refused.value.code == "self_approval"

    committee_own = _propose(debtor, "500000", personas.admin)  # admins may do both
    with pytest.raises(DomainError) as refused:
        services.credit_request_approve(request=committee_own, by=personas.admin)
    assert refused.value.code == "self_approval"
    assert not committee_own.decisions.filter(action="vote_approve").exists()


def test_a_rejection_needs_a_reason(personas, debtor):
    request = _propose(debtor, "50000", personas.agent)

    with pytest.raises(DomainError, match="Say why"):
        services.credit_request_reject(request=request, by=personas.credit_manager, comment=" ")


def test_a_returned_request_can_be_completed_and_resubmitted(personas, debtor):
    request = _propose(debtor, "50000", personas.agent)
    request = services.credit_request_return(request=request, by=personas.credit_manager,
                                             comment="Send the 2025 balance sheet")
    assert request.status == Status.RETURNED

    request = services.credit_request_submit(request=request, by=personas.agent)

    assert request.status == Status.SUBMITTED
    assert list(request.decisions.values_list("action", flat=True)) == [
        "submit", "return", "submit"]


@pytest.mark.parametrize(("setup", "move"), [
    ("approved", "approve"), ("approved", "submit"), ("rejected", "return"),
    ("draft", "approve"), ("submitted", "submit"), ("rejected", "submit"),
])
def test_it_refuses_illegal_moves_naming_them(personas, debtor, setup, move):
    score(debtor, "B")
    amount = "5000" if setup == "approved" else "50000"
    request = _propose(debtor, amount, personas.agent, submit=setup != "draft")
    if setup == "rejected":
        request = services.credit_request_reject(request=request, by=personas.credit_manager,
                                                 comment="No")
    calls = {
        "approve": lambda: services.credit_request_approve(request=request,
                                                           by=personas.credit_manager),
        "submit": lambda: services.credit_request_submit(request=request, by=personas.agent),
        "return": lambda: services.credit_request_return(request=request,
                                                         by=personas.credit_manager, comment="?"),
    }

    with pytest.raises(DomainError) as refused:
        calls[move]()

    assert refused.value.code == "illegal_transition"
    assert f"{setup} →" in refused.value.message
    request.refresh_from_db()
    assert request.status == setup


def test_a_client_viewer_cannot_propose_or_decide(personas, debtor):
    with pytest.raises(DomainError):
        _propose(debtor, "100", personas.viewer_a)
    request = _propose(debtor, "50000", personas.agent)

    with pytest.raises(DomainError):
        services.credit_request_approve(request=request, by=personas.viewer_a)


def test_a_policy_lists_only_real_bands(personas):
    from django.core.exceptions import ValidationError

    policy = CreditTierPolicyFactory.build(client=personas.client_a, tier1_bands=["A", "Z"])

    with pytest.raises(ValidationError):
        policy.full_clean()


def test_a_manager_of_another_client_cannot_decide_even_through_the_service(personas, debtor):
    from access.roles import Role
    from tests.factories import user_with_role

    manager_b = user_with_role(Role.CREDIT_MANAGER, clients=(personas.client_b,))
    request = _propose(debtor, "50000", personas.agent)

    with pytest.raises(DomainError, match="client you do not work for"):
        services.credit_request_approve(request=request, by=manager_b)
    with pytest.raises(DomainError, match="client you do not work for"):
        _propose(debtor, "100", manager_b)


def test_an_administrators_vote_never_counts_toward_the_committee_quorum(
        personas, debtor, committee_2):
    score(debtor, "A")
    request = _propose(debtor, "250000", personas.agent)
    services.credit_request_approve(request=request, by=personas.committee)

    with pytest.raises(DomainError) as refused:
        services.credit_request_approve(request=request, by=personas.admin)

    assert refused.value.code == "not_permitted"
    assert "only its members vote" in refused.value.message
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert not CreditLimit.objects.filter(debtor=debtor).exists()
    assert request.decisions.filter(action="vote_approve").count() == 1
    request = services.credit_request_approve(request=request, by=committee_2)
    assert request.status == Status.APPROVED


def test_a_vote_counts_only_while_its_voter_sits_on_the_committee(personas, debtor, committee_2,
                                                                  committee_3):
    from django.contrib.auth.models import Group

    score(debtor, "A")
    request = _propose(debtor, "250000", personas.agent)
    services.credit_request_approve(request=request, by=committee_2)
    committee_2.groups.remove(Group.objects.get(name="credit_committee"))

    request = services.credit_request_approve(request=request, by=personas.committee)

    assert request.status == Status.IN_REVIEW
    request = services.credit_request_approve(request=request, by=committee_3)
    assert request.status == Status.APPROVED
    assert "Quorum reached: 2 of 2" in request.decisions.get(action="approve").comment


def test_tier_3_requests_wait_for_committee_members_not_for_administrators(
        personas, debtor):
    from credit import selectors

    score(debtor, "A")
    request = _propose(debtor, "250000", personas.agent)

    assert request.pk in selectors.credit_request_queue(user=personas.committee).values_list(
        "pk", flat=True)
    assert not selectors.credit_request_queue(user=personas.admin).filter(pk=request.pk).exists()
