"""Reads for the screens: the debtor's story, the queue's state, each agent's day; scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from recovery import selectors
from tests.recovery.factories import (
    CallbackFactory,
    CollectionCaseFactory,
    CollectionContactFactory,
    DisputeFactory,
    PaymentPlanFactory,
    PromiseToPayFactory,
)

pytestmark = pytest.mark.django_db


def _story_case(client, agent):
    case = CollectionCaseFactory(client=client, debtor__client=client)
    CollectionContactFactory(case=case, agent=agent)
    PromiseToPayFactory(case=case)
    PaymentPlanFactory(case=case)
    DisputeFactory(case=case)
    CallbackFactory(case=case, agent=agent)
    return case


def test_the_debtor_story_has_every_part_in_a_fixed_number_of_queries(
        personas, django_assert_max_num_queries) -> None:
    case = _story_case(personas.client_a, personas.agent)
    with django_assert_max_num_queries(14):
        story = selectors.debtor_story(user=personas.viewer_a, debtor=case.debtor)
    assert [len(story[key]) for key in ("cases", "contacts", "promises", "plans", "disputes",
                                        "callbacks")] == [1, 1, 1, 1, 1, 1]


def test_another_clients_viewer_reads_no_story(personas) -> None:
    case = _story_case(personas.client_a, personas.agent)
    story = selectors.debtor_story(user=personas.viewer_b, debtor=case.debtor)
    assert all(rows == [] for rows in story.values())


def test_the_queue_state_counts_waiting_claimed_held_and_due(personas) -> None:
    now = timezone.now()
    client = personas.client_a
    CollectionCaseFactory(client=client, debtor__client=client)
    CollectionCaseFactory(client=client, debtor__client=client, claimed_by=personas.agent,
                          claimed_at=now, claim_expires_at=now + dt.timedelta(minutes=5))
    CollectionCaseFactory(client=client, debtor__client=client, on_hold=True,
                          hold_reason="disputed")
    later = CollectionCaseFactory(client=client, debtor__client=client,
                                  next_action_at=now + dt.timedelta(hours=1))
    CallbackFactory(case=later, agent=personas.agent, due_at=now - dt.timedelta(minutes=1))
    PromiseToPayFactory(case=later, promised_date=timezone.localdate())
    CollectionCaseFactory(client=personas.client_b, debtor__client=personas.client_b)

    state = selectors.queue_state(user=personas.team_leader, now=now)

    assert (state.waiting, state.in_progress, state.on_hold) == (1, 1, 1)
    assert (state.callbacks_due, state.promises_due) == (1, 1)


def test_each_agents_day_counts_contacts_and_handle_time(personas) -> None:
    case = CollectionCaseFactory(client=personas.client_a, debtor__client=personas.client_a)
    for seconds in (120, 240):
        CollectionContactFactory(case=case, agent=personas.agent, handle_seconds=seconds)
    rows = selectors.agent_day(user=personas.team_leader)
    assert [(r["agent__username"], r["contacts"], r["handle_seconds_avg"]) for r in rows] == [
        ("agent_a", 2, 180)]
    assert selectors.agent_day(user=personas.viewer_b) == []
