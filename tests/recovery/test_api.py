"""The collections API: scoped lists, claim-next, release, contacts that record outcomes,
promises, escalation; one error shape for bad input."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.engine import can_contact
from recovery import services
from recovery.models import CollectionCase, CollectionContact, PromiseToPay
from tests.caring.factories import CallableDebtorFactory
from tests.recovery.factories import (
    CollectionCaseFactory,
    CollectionContactFactory,
    PromiseToPayFactory,
)

pytestmark = pytest.mark.django_db


def _case(client, **kwargs) -> CollectionCase:
    debtor = CallableDebtorFactory(client=client)
    return CollectionCaseFactory(debtor=debtor, client=client, **kwargs)


def test_the_case_list_shows_only_the_users_clients(client, personas) -> None:
    mine = _case(personas.client_a, priority=Decimal("10"))
    _case(personas.client_b)
    client.force_login(personas.viewer_a)
    body = client.get("/api/v1/collection-cases/").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["results"][0]["debtor_name"] == mine.debtor.name


def test_claim_next_claims_the_case_the_contact_rules_allow_now(client, personas) -> None:
    case = _case(personas.client_a)
    phone = case.debtor.contact_points.get().value
    allowed_now = can_contact(case.debtor, "call", phone, timezone.now(), record=False).allowed
    client.force_login(personas.agent)

    response = client.post("/api/v1/collection-cases/claim-next/")

    case.refresh_from_db()
    if allowed_now:
        assert response.status_code == 200
        assert response.json()["id"] == case.pk
        assert case.claimed_by == personas.agent
    else:  # outside the debtor's call window: it comes back at the next permitted time
        assert response.status_code == 204
        assert case.claimed_by is None
        assert case.next_action_at is not None and case.next_action_at > timezone.now()


def test_claim_next_with_nothing_to_do_answers_no_content(client, personas) -> None:
    client.force_login(personas.agent)
    assert client.post("/api/v1/collection-cases/claim-next/").status_code == 204


def test_a_viewer_may_read_but_not_claim(client, personas) -> None:
    case = _case(personas.client_a)
    client.force_login(personas.viewer_a)
    assert client.post("/api/v1/collection-cases/claim-next/").status_code == 403
    assert client.post(f"/api/v1/collection-cases/{case.pk}/claim/").status_code == 403
    assert client.get(f"/api/v1/collection-cases/{case.pk}/").status_code == 200


def test_claim_and_release_a_named_case(client, personas) -> None:
    case = _case(personas.client_a)
    client.force_login(personas.agent)
    claimed = client.post(f"/api/v1/collection-cases/{case.pk}/claim/").json()
    assert claimed["claimed_by"] == personas.agent.pk
    released = client.post(f"/api/v1/collection-cases/{case.pk}/release/").json()
    assert released["claimed_by"] is None


def test_another_clients_case_is_not_found(client, personas) -> None:
    foreign = _case(personas.client_b)
    client.force_login(personas.agent)
    assert client.post(f"/api/v1/collection-cases/{foreign.pk}/claim/").status_code == 404
    response = client.post("/api/v1/collection-contacts/",
                           {"case": foreign.pk, "attempt_result": "no_answer"},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_case"


def test_a_contact_posted_records_the_outcome_and_its_promise(client, personas) -> None:
    case = _case(personas.client_a)
    services.case_claim(case=case, agent=personas.agent)
    client.force_login(personas.agent)
    promised = timezone.localdate() + dt.timedelta(days=7)

    response = client.post("/api/v1/collection-contacts/", {
        "case": case.pk, "attempt_result": "answered", "party": "right_party_verified",
        "outcomes": ["promise_to_pay"], "reason_for_non_payment": "forgot",
        "mood_start": "calm", "mood_end": "calm", "empathy_markers": ["next_step_agreed"],
        "promise_amount": "100.00", "promise_date": promised.isoformat(),
        "next_step": "await_payment", "notes": "Will pay next week",
    }, content_type="application/json")

    assert response.status_code == 201, response.json()
    assert response.json()["outcomes"] == ["promise_to_pay"]
    promise = PromiseToPay.objects.get()
    assert (promise.amount, promise.promised_date) == (Decimal("100.00"), promised)
    listed = client.get(f"/api/v1/promises-to-pay/?case={case.pk}").json()["results"]
    assert [row["id"] for row in listed] == [promise.pk]


def test_a_bad_contact_is_refused_with_the_field_named_and_nothing_written(client,
                                                                          personas) -> None:
    case = _case(personas.client_a)
    services.case_claim(case=case, agent=personas.agent)
    client.force_login(personas.agent)
    response = client.post("/api/v1/collection-contacts/", {
        "case": case.pk, "attempt_result": "answered", "party": "wrong_party",
        "outcomes": ["promise_to_pay"], "promise_amount": "100.00",
        "promise_date": timezone.localdate().isoformat(),
    }, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_right_party"
    assert not CollectionContact.objects.exists()
    unknown = client.post("/api/v1/collection-contacts/", {
        "case": case.pk, "attempt_result": "answered", "party": "right_party_verified",
        "outcomes": ["bribed"]}, content_type="application/json")
    assert unknown.status_code == 400


def test_a_credit_manager_sends_a_case_to_legal_with_a_reason(client, personas) -> None:
    case = _case(personas.client_a)
    for _ in range(3):
        CollectionContactFactory(case=case)
    client.force_login(personas.credit_manager)
    response = client.post(f"/api/v1/collection-cases/{case.pk}/escalate/",
                           {"to_stage": "legal", "reason": "Refuses every plan"},
                           content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "legal"
    client.force_login(personas.agent)
    refused = client.post(f"/api/v1/collection-cases/{case.pk}/escalate/",
                          {"to_stage": "complaint"}, content_type="application/json")
    assert refused.status_code == 400


def test_the_list_endpoints_cost_the_same_for_3_and_30_rows(client, personas,
                                                          django_assert_num_queries) -> None:
    from tests.test_query_counts import _assert_flat

    client.force_login(personas.team_leader)

    def add_cases(n: int) -> None:
        for _ in range(n):
            case = _case(personas.client_a)
            CollectionContactFactory(case=case, agent=personas.agent)
            PromiseToPayFactory(case=case)

    _assert_flat(client, django_assert_num_queries, lambda: "/api/v1/collection-cases/",
                 add_cases)
    for url in ("/api/v1/collection-contacts/", "/api/v1/promises-to-pay/"):
        _assert_flat(client, django_assert_num_queries, functools.partial(str, url), add_cases)
