"""Caring pages and API: policy editing, the queue, the workspace, tenant isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone
from rest_framework.test import APIClient

from caring.models import CaringPolicy, CourtesyCall, CourtesyCallInvoice
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _browser(user) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _due_call(client, policy=None, **kwargs) -> CourtesyCall:
    policy = policy or CaringPolicy.objects.filter(client=client).first() or \
        CaringPolicyFactory(client=client)
    debtor = DebtorFactory(client=client)
    call = CourtesyCallFactory(debtor=debtor, policy=policy,
                               scheduled_at=timezone.now() - dt.timedelta(minutes=1), **kwargs)
    invoice = InvoiceFactory(debtor=debtor, due_date=dt.date(2026, 3, 9))
    CourtesyCallInvoice.objects.create(client=client, call=call, invoice=invoice,
                                           linked_on=call.window_date)
    return call


POLICY_POST = {"segment": "all", "days_before_due": "4", "min_amount": "50.00",
               "bands": ["C", "D", "E"], "max_attempts": "3", "control_share": "0.1",
               "calls_per_agent_hour": "12", "active": "on"}


def test_a_credit_manager_creates_a_policy_through_the_form(personas) -> None:
    browser = _browser(personas.credit_manager)
    response = browser.post("/caring/policies/new/",
                            {**POLICY_POST, "client": personas.client_a.pk})
    assert response.status_code == 302, response.content
    policy = CaringPolicy.objects.get()
    assert (policy.client, policy.bands, policy.days_before_due) == (personas.client_a, "CDE", 4)


def test_the_policy_form_names_each_error(personas) -> None:
    browser = _browser(personas.credit_manager)
    response = browser.post("/caring/policies/new/", {
        **POLICY_POST, "client": personas.client_a.pk, "control_share": "0.9", "bands": []})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ensure this value is less than or equal to 0.5" in body
    assert "This field is required" in body
    assert not CaringPolicy.objects.exists()


def test_a_second_policy_for_the_same_segment_is_refused_clearly(personas) -> None:
    CaringPolicyFactory(client=personas.client_a)
    response = _browser(personas.credit_manager).post(
        "/caring/policies/new/", {**POLICY_POST, "client": personas.client_a.pk})
    assert response.status_code == 400
    assert "already has a caring policy for this segment" in response.content.decode()


def test_the_policy_form_requires_the_csrf_token(personas) -> None:
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(personas.credit_manager)
    response = browser.post("/caring/policies/new/",
                            {**POLICY_POST, "client": personas.client_a.pk})
    assert response.status_code == 403


def test_an_agent_cannot_edit_policies(personas) -> None:
    policy = CaringPolicyFactory(client=personas.client_a)
    response = _browser(personas.agent).post(f"/caring/policies/{policy.pk}/", POLICY_POST)
    assert response.status_code == 403


def test_a_credit_manager_edits_and_pauses_a_policy(personas) -> None:
    policy = CaringPolicyFactory(client=personas.client_a)
    post = {key: value for key, value in POLICY_POST.items() if key != "active"}
    response = _browser(personas.credit_manager).post(f"/caring/policies/{policy.pk}/", post)
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.active is False and policy.min_amount == Decimal("50.00")


def test_the_plan_page_shows_policies_and_coming_calls(personas) -> None:
    call = _due_call(personas.client_a)
    call.scheduled_at = timezone.now() + dt.timedelta(hours=2)
    call.save()
    response = _browser(personas.credit_manager).get("/caring/")
    assert response.status_code == 200
    assert call.debtor.name in response.content.decode()


def test_the_queue_shows_due_calls_of_the_agents_clients_in_order(personas) -> None:
    low = _due_call(personas.client_a, priority=Decimal("10"))
    high = _due_call(personas.client_a, priority=Decimal("90"))
    high.scheduled_at = low.scheduled_at
    high.save()
    later = _due_call(personas.client_a)
    later.scheduled_at = timezone.now() + dt.timedelta(hours=3)
    later.save()
    foreign = _due_call(personas.client_b)
    response = _browser(personas.agent).get("/caring/queue/")
    body = response.content.decode()
    assert body.index(high.debtor.name) < body.index(low.debtor.name)
    assert later.debtor.name not in body and foreign.debtor.name not in body


def test_the_queue_runs_the_same_number_of_queries_for_3_or_30_calls(
        personas, django_assert_max_num_queries) -> None:
    browser = _browser(personas.agent)
    for _ in range(3):
        _due_call(personas.client_a)
    browser.get("/caring/queue/")  # warm the session and the user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert browser.get("/caring/queue/").content.decode().count('data-testid="queue-row"') == 3
    for _ in range(27):
        _due_call(personas.client_a)
    with CaptureQueriesContext(connection) as many:
        assert browser.get("/caring/queue/").content.decode().count(
            'data-testid="queue-row"') == 30
    assert len(many) == len(few)


def test_opening_a_call_claims_it_and_the_workspace_takes_an_outcome_by_htmx(personas) -> None:
    call = _due_call(personas.client_a)
    browser = _browser(personas.agent)
    response = browser.post(f"/caring/calls/{call.pk}/claim/")
    assert response.status_code == 302
    page = browser.get(f"/caring/calls/{call.pk}/").content.decode()
    assert "Conversation guide" in page and 'name="outcome"' in page
    response = browser.post(f"/caring/calls/{call.pk}/outcome/", {"outcome": "received_ok"},
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Recorded" in response.content.decode()
    call.refresh_from_db()
    assert call.status == "done"


def test_a_callback_without_a_time_is_refused_in_the_workspace(personas) -> None:
    call = _due_call(personas.client_a)
    browser = _browser(personas.agent)
    browser.post(f"/caring/calls/{call.pk}/claim/")
    response = browser.post(f"/caring/calls/{call.pk}/outcome/", {"outcome": "callback"},
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "A callback needs a time in the future." in response.content.decode()


def test_an_outsider_of_client_b_sees_nothing_of_a(personas) -> None:
    policy = CaringPolicyFactory(client=personas.client_a)
    call = _due_call(personas.client_a, policy=policy)
    browser = _browser(personas.viewer_b)
    assert browser.get(f"/caring/calls/{call.pk}/").status_code == 404
    assert call.debtor.name not in browser.get("/caring/").content.decode()
    assert call.debtor.name not in browser.get("/caring/queue/").content.decode()
    api = _api(personas.viewer_b)
    assert api.get("/api/v1/courtesy-calls/").json()["results"] == []
    assert api.get("/api/v1/caring-policies/").json()["results"] == []
    assert api.get(f"/api/v1/courtesy-calls/{call.pk}/").status_code == 404
    assert api.get(f"/api/v1/caring-policies/{policy.pk}/").status_code == 404
    assert _browser(personas.viewer_b).get(f"/caring/compare/?policy={policy.pk}"
                                           ).status_code == 404


def test_the_api_creates_a_policy_for_credit_managers_only(personas) -> None:
    payload = {"client": personas.client_a.pk, "segment": "business", "bands": "DE",
               "control_share": "0.150"}
    assert _api(personas.agent).post("/api/v1/caring-policies/", payload,
                                     format="json").status_code == 403
    response = _api(personas.credit_manager).post("/api/v1/caring-policies/", payload,
                                                  format="json")
    assert response.status_code == 201, response.content
    assert response.json()["bands"] == "DE"
    response = _api(personas.credit_manager).patch(
        f"/api/v1/caring-policies/{response.json()['id']}/", {"bands": "XYZ"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "bands"


def test_the_api_records_an_outcome_on_a_claimed_call(personas) -> None:
    call = _due_call(personas.client_a)
    api = _api(personas.agent)
    assert api.post(f"/api/v1/courtesy-calls/{call.pk}/claim/").status_code == 200
    response = api.post(f"/api/v1/courtesy-calls/{call.pk}/outcome/",
                        {"outcome": "payment_date", "payment_date": "2026-03-06"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["payment_date"] == "2026-03-06"
    viewer = _api(personas.viewer_a)
    assert viewer.get(f"/api/v1/courtesy-calls/{call.pk}/").status_code == 200
    assert viewer.post(f"/api/v1/courtesy-calls/{call.pk}/outcome/",
                       {"outcome": "received_ok"}, format="json").status_code == 403
