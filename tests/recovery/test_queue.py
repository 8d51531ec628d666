"""The agent's queue: the best case the agent may work now, claimed atomically, skills-routed,
callbacks back to their agent, and only cases the contact engine allows now."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from access.errors import DomainError
from access.roles import Role
from compliance.models import ContactDecision
from recovery import services
from recovery.models import AgentSkills, CollectionCase
from tests.caring.factories import CallableDebtorFactory
from tests.factories import ClientFactory, user_with_role
from tests.recovery.conftest import WORK_TIME
from tests.recovery.factories import CollectionCaseFactory

pytestmark = pytest.mark.django_db


def _case(client, priority="100", **kwargs) -> CollectionCase:
    debtor = kwargs.pop("debtor", None) or CallableDebtorFactory(client=client)
    return CollectionCaseFactory(debtor=debtor, client=client, priority=Decimal(priority),
                                 **kwargs)


def test_it_gives_the_best_case_and_claims_it_as_a_lease(personas) -> None:
    _case(personas.client_a, "10")
    best = _case(personas.client_a, "500")

    case = services.case_claim_next(agent=personas.agent, now=WORK_TIME)

    assert case == best
    assert case.claimed_by == personas.agent
    assert case.claim_expires_at == WORK_TIME + services.CLAIM_LEASE
    assert case.claim_decision is not None and case.claim_decision.allowed
    # Asking again while the lease runs gives the same case back, not a second one.
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) == best


def test_two_agents_get_two_different_cases(personas) -> None:
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    _case(personas.client_a, "10")
    _case(personas.client_a, "20")
    first = services.case_claim_next(agent=personas.agent, now=WORK_TIME)
    second = services.case_claim_next(agent=other, now=WORK_TIME)
    assert first != second and None not in (first, second)


def test_it_never_gives_a_held_closed_or_another_clients_case(personas) -> None:
    _case(personas.client_a, "900", on_hold=True, hold_reason="disputed")
    _case(personas.client_a, "800", status="closed", closed_at=WORK_TIME)
    _case(personas.client_b, "700")
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) is None


def test_a_lapsed_claim_goes_back_to_the_queue(personas) -> None:
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    case = _case(personas.client_a)
    services.case_claim_next(agent=other, now=WORK_TIME - dt.timedelta(hours=1))
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) == case


def test_a_released_case_can_be_claimed_by_another_agent(personas) -> None:
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    case = _case(personas.client_a)
    services.case_claim_next(agent=personas.agent, now=WORK_TIME)
    assert services.case_claim_next(agent=other, now=WORK_TIME) is None
    services.case_release(case=case, agent=personas.agent)
    assert services.case_claim_next(agent=other, now=WORK_TIME) == case


def test_second_level_cases_go_to_team_leaders_and_second_level_agents(personas) -> None:
    case = _case(personas.client_a, stage="second_level")
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) is None
    assert services.case_claim_next(agent=personas.team_leader, now=WORK_TIME) == case
    services.case_release(case=case, agent=personas.team_leader)
    AgentSkills.objects.create(user=personas.agent, second_level=True)
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) == case


def test_legal_cases_never_come_through_the_queue(personas) -> None:
    _case(personas.client_a, stage="legal")
    assert services.case_claim_next(agent=personas.team_leader, now=WORK_TIME) is None


def test_language_and_segment_skills_route_cases(personas) -> None:
    english = _case(personas.client_a, "900", language="en")
    consumer = _case(personas.client_a, "800", segment="consumer")
    italian_business = _case(personas.client_a, "100", language="it", segment="business")
    AgentSkills.objects.create(user=personas.agent, languages=["it"], segments=["business"])
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) == italian_business
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="anyone")
    assert services.case_claim_next(agent=other, now=WORK_TIME) == english
    assert consumer.pk


def test_a_callback_due_returns_to_its_agent_first(personas) -> None:
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    _case(personas.client_a, "900")
    kept = _case(personas.client_a, "10", assigned_agent=personas.agent,
                 next_action_at=WORK_TIME - dt.timedelta(minutes=5))
    claimed = services.case_claim_next(agent=other, now=WORK_TIME)
    assert claimed is not None and claimed.pk != kept.pk
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) == kept


def test_a_callback_its_agent_misses_goes_to_the_team(personas) -> None:
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    kept = _case(personas.client_a, assigned_agent=personas.agent,
                 next_action_at=WORK_TIME - services.CALLBACK_KEPT_FOR - dt.timedelta(minutes=1))
    assert services.case_claim_next(agent=other, now=WORK_TIME) == kept


def test_a_case_not_due_yet_waits(personas) -> None:
    _case(personas.client_a, next_action_at=WORK_TIME + dt.timedelta(hours=1))
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) is None


def test_a_case_the_contact_rules_deny_is_skipped_and_comes_back_later(personas) -> None:
    night = WORK_TIME.replace(hour=22)
    denied = _case(personas.client_a, "900")

    assert services.case_claim_next(agent=personas.agent, now=night) is None

    denied.refresh_from_db()
    assert denied.claimed_by is None
    assert denied.next_action_at is not None and denied.next_action_at > night
    assert denied.next_action_at.date() == dt.date(2026, 3, 11)  # the next morning's window
    assert "call_window" in denied.next_action_reason
    assert ContactDecision.objects.filter(debtor=denied.debtor, allowed=False).exists()


def test_a_do_not_call_debtor_is_looked_at_again_a_day_later(personas) -> None:
    debtor = CallableDebtorFactory(client=personas.client_a, do_not_call=True,
                                   do_not_call_set_at=WORK_TIME)
    blocked = _case(personas.client_a, "900", debtor=debtor)
    allowed = _case(personas.client_a, "10")
    assert services.case_claim_next(agent=personas.agent, now=WORK_TIME) == allowed
    blocked.refresh_from_db()
    assert blocked.next_action_at == WORK_TIME + services.RECHECK_AFTER


def test_a_viewer_cannot_claim(personas) -> None:
    _case(personas.client_a)
    with pytest.raises(DomainError):
        services.case_claim_next(agent=personas.viewer_a, now=WORK_TIME)


def test_claiming_a_named_case_has_one_winner(personas) -> None:
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    case = _case(personas.client_a)
    services.case_claim(case=case, agent=personas.agent, now=WORK_TIME)
    with pytest.raises(DomainError) as refused:
        services.case_claim(case=case, agent=other, now=WORK_TIME)
    assert refused.value.code == "already_claimed"


@pytest.mark.django_db(transaction=True)
def test_many_agents_claiming_at_once_never_get_the_same_case(
        postgres_only, rule_packs_restored_at_end) -> None:
    from tests.caring.conftest import rule_packs_seeded

    rule_packs_seeded()
    client = ClientFactory()
    agents = [user_with_role(Role.AGENT, clients=(client,), username=f"racer{n}")
              for n in range(12)]
    cases = [_case(client, str(100 + n)) for n in range(8)]
    barrier = threading.Barrier(len(agents))
    won: list[int | None] = []
    errors: list[BaseException] = []

    def attempt(agent) -> None:
        try:
            barrier.wait()
            case = services.case_claim_next(agent=agent, now=WORK_TIME)
            won.append(case.pk if case else None)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    claimed = [pk for pk in won if pk is not None]
    assert len(claimed) == len(set(claimed)) == len(cases)
    assert won.count(None) == len(agents) - len(cases)
    holders = CollectionCase.objects.values_list("claimed_by", flat=True)
    assert len(set(holders)) == len(cases)


def test_a_case_worked_by_another_agent_since_it_was_read_is_not_claimed_again(personas) -> None:
    # Given a case read as a candidate, with the contact engine's decision on it
    case = _case(personas.client_a, "100")
    stale = CollectionCase.objects.get(pk=case.pk)
    decision = services._decisions([stale], WORK_TIME)[stale.debtor_id]
    assert decision.allowed
    # When another agent claims it, calls and releases it before the claim goes through
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    assert services.case_claim_next(agent=other, now=WORK_TIME) == case
    CollectionCase.objects.filter(pk=case.pk).update(
        claimed_by=None, claimed_at=None, claim_expires_at=None, last_contact_at=WORK_TIME)

    decisions_before = ContactDecision.objects.count()

    # Then the first agent's claim on the stale read fails, and its decision is not kept as
    # evidence of a contact (the conditional update finds the case worked meanwhile: on
    # PostgreSQL after taking the row lock, on SQLite, which has none, by itself)
    assert not services._claim_one(stale, decision, personas.agent, WORK_TIME)
    assert CollectionCase.objects.get(pk=case.pk).claimed_by is None
    assert ContactDecision.objects.count() == decisions_before


def test_claiming_and_logging_cost_a_few_queries(personas, django_assert_max_num_queries) -> None:
    # Given a queue and the rule packs already read by this process (compliance/rulecache.py)
    from django.contrib.auth import get_user_model

    from compliance.rulecache import rules_snapshot

    _case(personas.client_a, "10")
    _case(personas.client_a, "500")
    rules_snapshot()
    agent = get_user_model().objects.get(pk=personas.agent.pk)  # as a request loads it

    # When the agent takes the next case and logs an unanswered call, then
    # (access, claim and kept cases, skills, the locked queue top, the rules' check, the
    # engine's facts, the decision, the lease; the two ends of the transaction)
    with django_assert_max_num_queries(10):
        case = services.case_claim_next(agent=agent, now=WORK_TIME)
    assert case is not None
    agent = get_user_model().objects.get(pk=personas.agent.pk)
    # (access, the locked case, the number to call, the attempt, the contact, the case, its
    # priority's inputs and its new priority; the two ends of the transaction)
    with django_assert_max_num_queries(10):
        services.contact_outcome_record(
            case=case, agent=agent, data=services.ContactData(attempt_result="no_answer"),
            now=WORK_TIME + dt.timedelta(minutes=2))
