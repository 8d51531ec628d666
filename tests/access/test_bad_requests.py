"""Single requests with loose input answer 400 or 404 naming the problem, never 500: a body that
is not an object, dates at the ends of the calendar, page numbers and cursors past a bigint."""

from __future__ import annotations

import base64
import json

import pytest
from rest_framework.test import APIClient

from caring.models import CaringPolicy
from tests.factories import DebtorFactory

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = "9" * 30


@pytest.fixture
def browser(client, personas):
    client.raise_request_exception = False  # a 500 is an answer to check, not a test crash
    client.force_login(personas.credit_manager)
    return client


@pytest.fixture
def api(personas) -> APIClient:
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(personas.credit_manager)
    return api


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize("body", ["[]", '"x"', "42", "null"])
def test_a_caring_policy_patch_with_a_body_that_is_not_an_object_is_a_400(api, personas, body):
    policy = CaringPolicy.objects.create(client=personas.client_a, days_before_due=5)

    response = api.patch(f"/api/v1/caring-policies/{policy.pk}/", body,
                         content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in {"invalid", "parse_error"}
    policy.refresh_from_db()
    assert policy.days_before_due == 5


def test_a_caring_policy_patch_still_changes_only_what_it_names(api, personas):
    policy = CaringPolicy.objects.create(client=personas.client_a, days_before_due=5,
                                         max_attempts=4)

    response = api.patch(f"/api/v1/caring-policies/{policy.pk}/", {"days_before_due": 7},
                         format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["days_before_due"], response.json()["max_attempts"]) == (7, 4)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-30", "yesterday"])
def test_the_client_page_refuses_an_as_of_outside_the_calendar_it_knows(browser, personas, day):
    response = browser.get(f"/portfolio/clients/{personas.client_a.pk}/", {"as_of": day})

    assert response.status_code == 400
    assert "as_of" in response.content.decode()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_debtor_page_refuses_the_same_dates(browser, personas, day):
    debtor = DebtorFactory(client=personas.client_a)

    response = browser.get(f"/portfolio/debtors/{debtor.pk}/", {"as_of": day})

    assert response.status_code == 400


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_caring_comparison_refuses_the_same_dates(browser, day):
    response = browser.get("/caring/compare/", {"as_of": day})

    assert response.status_code == 400
    assert "1900-01-01" in response.content.decode()


def test_the_client_page_still_reads_a_sane_as_of(browser, personas):
    response = browser.get(f"/portfolio/clients/{personas.client_a.pk}/", {"as_of": "2026-03-31"})

    assert response.status_code == 200


def test_a_page_number_beyond_bigint_is_a_404_on_the_over_limit_list(browser):
    response = browser.get("/credit/over-limit/", {"page": BEYOND_BIGINT})

    assert response.status_code == 404


@pytest.mark.parametrize("url", ["/portfolio/debtors/", "/portfolio/imports/", "/credit/",
                                 "/caring/tasks/"])
def test_counted_pages_show_their_last_page_for_a_page_beyond_bigint(browser, url):
    assert browser.get(url, {"page": BEYOND_BIGINT}).status_code == 200


@pytest.mark.parametrize("position", ["abc", "1.5", BEYOND_BIGINT, "-3"])
@pytest.mark.parametrize("url", ["/api/v1/debtors/", "/api/v1/invoices/",
                                 "/api/v1/contact-decisions/"])
def test_a_forged_cursor_is_a_404_in_the_error_shape(api, url, position):
    response = api.get(url, {"cursor": _cursor(f"p={position}")})

    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"


def test_a_cursor_the_api_made_still_turns_the_page(api, personas):
    DebtorFactory.create_batch(3, client=personas.client_a)

    first = api.get("/api/v1/debtors/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert len(first["results"]) == 2 and len(second["results"]) == 1


@pytest.mark.parametrize("url", ["/api/v1/contact-decisions/", "/api/v1/invoices/"])
def test_a_filter_id_beyond_bigint_is_a_400(api, url):
    response = api.get(url, {"debtor": BEYOND_BIGINT})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "debtor"


def test_an_api_path_that_matches_no_route_answers_in_the_error_shape(api):
    response = api.get("/api/v1/debtors/1.5e-10/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"]["code"] == "not_found"
