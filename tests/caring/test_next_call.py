""""Next call" after an outcome: straight into the next call due now, or back to the queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone

from caring.models import CourtesyCall
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import DebtorFactory

pytestmark = pytest.mark.django_db


def _browser(user) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


def _due(client, policy, minutes_ago: int, **kwargs) -> CourtesyCall:
    return CourtesyCallFactory(debtor=DebtorFactory(client=client), policy=policy,
                               scheduled_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
                               **kwargs)


def test_next_call_claims_the_first_call_due_and_opens_its_workspace(personas) -> None:
    policy = CaringPolicyFactory(client=personas.client_a)
    taken = _due(personas.client_a, policy, 30, status="in_progress",
                 claimed_by=personas.team_leader, claimed_at=timezone.now())
    first = _due(personas.client_a, policy, 20)
    _due(personas.client_a, policy, 10)
    _due(personas.client_b, CaringPolicyFactory(client=personas.client_b), 40)  # not theirs

    response = _browser(personas.agent).post("/caring/queue/next/")

    assert response.status_code == 302
    assert response["Location"] == f"/caring/calls/{first.pk}/"
    first.refresh_from_db()
    assert (first.status, first.claimed_by) == ("in_progress", personas.agent)
    taken.refresh_from_db()
    assert taken.claimed_by == personas.team_leader


def test_next_call_goes_back_to_the_queue_saying_so_when_none_is_due(personas) -> None:
    policy = CaringPolicyFactory(client=personas.client_a)
    later = _due(personas.client_a, policy, -60)  # due in an hour

    response = _browser(personas.agent).post("/caring/queue/next/", follow=True)

    assert response.redirect_chain == [("/caring/queue/", 302)]
    assert "No other courtesy call is due now." in response.content.decode()
    later.refresh_from_db()
    assert later.status == "planned"


def test_next_call_needs_a_post_and_a_role_that_works_calls(personas) -> None:
    assert _browser(personas.agent).get("/caring/queue/next/").status_code == 405
    assert _browser(personas.viewer_a).post("/caring/queue/next/").status_code == 403


def test_the_recorded_outcome_offers_the_next_call(personas) -> None:
    from tests.caring.conftest import rule_packs_seeded

    rule_packs_seeded()
    policy = CaringPolicyFactory(client=personas.client_a)
    call = _due(personas.client_a, policy, 5)
    browser = _browser(personas.agent)
    browser.post(f"/caring/calls/{call.pk}/claim/")

    response = browser.post(f"/caring/calls/{call.pk}/outcome/", {"outcome": "received_ok"},
                            HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'action="/caring/queue/next/"' in response.content.decode()


def test_the_agent_home_page_leads_to_the_courtesy_call_queue(personas) -> None:
    body = _browser(personas.agent).get("/").content.decode()
    assert 'href="/caring/queue/"' in body


def test_an_empty_queue_says_when_the_next_call_falls_due(personas) -> None:
    policy = CaringPolicyFactory(client=personas.client_a)
    _due(personas.client_a, policy, -24 * 60)  # tomorrow

    body = _browser(personas.agent).get("/caring/queue/").content.decode()

    assert "No courtesy call is due now." in body
    assert "The next one falls due on" in body
