"""Stages: first level, second level, complaint, legal. Legal is the last resort: recorded
amicable attempts and a credit manager's approval with a reason."""

from __future__ import annotations

import pytest

from access.errors import DomainError
from recovery import services
from recovery.models import CaseStageChange, CollectionCase
from tests.recovery.factories import CollectionCaseFactory, CollectionContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(personas) -> CollectionCase:
    return CollectionCaseFactory(client=personas.client_a,
                                 debtor__client=personas.client_a)


def _attempts(case: CollectionCase, n: int) -> None:
    for _ in range(n):
        CollectionContactFactory(case=case)


def test_an_agent_hands_a_case_to_second_level_and_the_history_keeps_it(case,
                                                                        personas) -> None:
    services.case_claim(case=case, agent=personas.agent)
    change = services.case_escalate(case=case, to_stage="second_level", by=personas.agent,
                                    reason="Needs a specialist")
    case.refresh_from_db()
    assert (case.stage, case.claimed_by) == ("second_level", None)
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        "first_level", "second_level", personas.agent)


def test_only_second_level_staff_move_a_case_back(case, personas) -> None:
    services.case_escalate(case=case, to_stage="second_level", by=personas.agent)
    with pytest.raises(DomainError):
        services.case_escalate(case=case, to_stage="first_level", by=personas.agent)
    services.case_escalate(case=case, to_stage="first_level", by=personas.team_leader)
    case.refresh_from_db()
    assert case.stage == "first_level"


def test_legal_needs_a_credit_managers_approval(case, personas) -> None:
    _attempts(case, 3)
    with pytest.raises(DomainError) as refused:
        services.case_escalate(case=case, to_stage="legal", by=personas.team_leader,
                               reason="No answer to three letters",
                               approved_by=personas.team_leader)
    assert refused.value.code == "approval_required"


def test_legal_needs_a_reason(case, personas) -> None:
    _attempts(case, 3)
    with pytest.raises(DomainError) as refused:
        services.case_escalate(case=case, to_stage="legal", by=personas.credit_manager,
                               approved_by=personas.credit_manager)
    assert refused.value.field == "reason"


def test_legal_needs_recorded_amicable_attempts_first(case, personas) -> None:
    _attempts(case, 2)
    with pytest.raises(DomainError) as refused:
        services.case_escalate(case=case, to_stage="legal", by=personas.credit_manager,
                               reason="Refuses to pay", approved_by=personas.credit_manager)
    assert refused.value.code == "amicable_first"
    assert not CaseStageChange.objects.exists()


def test_legal_with_approval_reason_and_attempts_is_recorded(case, personas) -> None:
    _attempts(case, 3)
    change = services.case_escalate(case=case, to_stage="legal", by=personas.team_leader,
                                    reason="Refuses to pay after a plan was breached",
                                    approved_by=personas.credit_manager)
    assert (change.approved_by, change.amicable_attempts) == (personas.credit_manager, 3)
    assert change.approved_at is not None
    with pytest.raises(DomainError):
        services.case_escalate(case=case, to_stage="first_level", by=personas.credit_manager)


def test_a_viewer_cannot_move_a_case(case, personas) -> None:
    with pytest.raises(DomainError) as refused:
        services.case_escalate(case=case, to_stage="second_level", by=personas.viewer_a)
    assert refused.value.code == "forbidden"


def test_another_clients_staff_cannot_move_a_case(personas) -> None:
    foreign = CollectionCaseFactory(client=personas.client_b, debtor__client=personas.client_b)
    with pytest.raises(DomainError):
        services.case_escalate(case=foreign, to_stage="second_level", by=personas.agent)
