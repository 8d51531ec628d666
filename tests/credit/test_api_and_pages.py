"""API and pages: roles decide what each user may do, tenants what each user may see."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from credit import services
from credit.models import CreditLimit, CreditLimitRequest
from tests.credit.factories import FinancialStatementFactory, score
from tests.factories import DebtorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(personas, debtor):
    """A tier 2 request of client A waiting for a credit manager, with 3 years of figures."""
    score(debtor, "B")
    for year in (2023, 2024, 2025):
        FinancialStatementFactory(debtor=debtor, fiscal_year=year)
    request = services.credit_request_create(debtor=debtor, amount=Decimal("60000"),
                                             justification="Framework agreement",
                                             by=personas.agent)
    return services.credit_request_submit(request=request, by=personas.agent)


@pytest.fixture
def limit(personas, debtor):
    score(debtor, "A", as_of=dt.date(2026, 2, 1))
    request = services.credit_request_create(debtor=debtor, amount=Decimal("5000"),
                                             justification="First order", by=personas.agent)
    services.credit_request_submit(request=request, by=personas.agent)
    return CreditLimit.objects.get(request=request)


def _approve_url(request):
    return reverse("api:credit-request-approve", args=[request.pk])


def test_an_agent_proposes_through_the_api_and_a_manager_approves(client, personas, debtor):
    score(debtor, "C")
    client.force_login(personas.agent)
    created = client.post(reverse("api:credit-request-list"),
                          {"debtor": debtor.pk, "amount": "20000", "justification": "Growth",
                           "submit": True}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert (created.json()["status"], created.json()["tier"]) == ("submitted", 2)
    request = CreditLimitRequest.objects.get(pk=created.json()["id"])

    agent_try = client.post(_approve_url(request), {}, content_type="application/json")
    client.force_login(personas.credit_manager)
    approved = client.post(_approve_url(request), {"comment": "ok"},
                           content_type="application/json")

    assert agent_try.status_code == 403
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"


def test_a_client_viewer_sees_limits_and_requests_but_never_decides(client, personas, waiting,
                                                                    limit):
    client.force_login(personas.viewer_a)

    limits = client.get(reverse("api:credit-limit-list")).json()["results"]
    requests = client.get(reverse("api:credit-request-list")).json()["results"]
    approve = client.post(_approve_url(waiting), {}, content_type="application/json")
    reject = client.post(reverse("api:credit-request-reject", args=[waiting.pk]),
                         {"comment": "no"}, content_type="application/json")
    page_approve = client.post(reverse("credit:request_act", args=[waiting.pk, "approve"]))
    page = client.get(reverse("credit:request_detail", args=[waiting.pk]))

    assert [row["id"] for row in limits] == [limit.pk]
    assert {row["id"] for row in requests} == {waiting.pk, limit.request_id}
    assert approve.status_code == 403
    assert reject.status_code == 403
    assert page_approve.status_code == 403
    # The credit pages are the staff's: a client user reads its portfolio in the portal.
    assert page.status_code == 403
    assert "Approve</button>" not in page.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "submitted"


def test_a_domain_refusal_is_a_400_with_the_error_shape(client, personas, waiting):
    client.force_login(personas.credit_manager)
    client.post(_approve_url(waiting), {}, content_type="application/json")

    again = client.post(_approve_url(waiting), {}, content_type="application/json")

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "illegal_transition"


def test_the_outsider_of_client_b_sees_nothing_of_a(client, personas, waiting, limit, debtor):
    client.force_login(personas.viewer_b)

    for name in ("credit-limit-list", "credit-request-list", "financial-statement-list"):
        response = client.get(reverse(f"api:{name}"))
        assert response.status_code in (200, 403)
        if response.status_code == 200:
            assert response.json()["results"] == []
    assert client.get(reverse("api:credit-request-detail", args=[waiting.pk])).status_code == 404
    assert client.get(reverse("api:credit-limit-detail", args=[limit.pk])).status_code == 404
    assert client.get(reverse("credit:request_detail", args=[waiting.pk])).status_code == 404
    assert client.get(reverse("credit:debtor_credit", args=[debtor.pk])).status_code == 404


def test_staff_of_client_b_cannot_act_on_client_a(client, personas, waiting):
    from access.roles import Role
    from tests.factories import user_with_role

    manager_b = user_with_role(Role.CREDIT_MANAGER, clients=(personas.client_b,))
    client.force_login(manager_b)

    assert client.post(_approve_url(waiting), {}, content_type="application/json"
                       ).status_code == 404
    assert client.post(reverse("credit:request_act", args=[waiting.pk, "approve"])
                       ).status_code == 404
    proposal = client.post(reverse("api:credit-request-list"),
                           {"debtor": waiting.debtor_id, "amount": "1", "justification": "x"},
                           content_type="application/json")
    assert proposal.status_code == 400
    assert proposal.json()["error"]["code"] == "unknown_debtor"


def test_the_request_page_shows_figures_ratios_trend_score_and_recommendation(
        client, personas, waiting):
    client.force_login(personas.credit_manager)

    page = client.get(reverse("credit:request_detail", args=[waiting.pk])).content.decode()

    for text in ("2023", "2024", "2025", "Current ratio", "Interest cover", "Leverage",
                 "stable", "Score band", "Recommendation", "Base: the smaller of the two",
                 "Approve</button>", "Reject</button>", "Return for information</button>",
                 "csrfmiddlewaretoken"):
        assert text in page, text


def test_the_queue_lists_what_waits_for_me_only(client, personas, waiting, committee_2):
    client.force_login(personas.credit_manager)
    manager_page = client.get(reverse("credit:queue")).content.decode()
    client.force_login(personas.committee)
    committee_page = client.get(reverse("credit:queue")).content.decode()

    assert reverse("credit:request_detail", args=[waiting.pk]) in manager_page
    assert reverse("credit:request_detail", args=[waiting.pk]) not in committee_page


def test_the_queue_costs_a_fixed_number_of_queries(client, personas, django_assert_max_num_queries):
    for _ in range(5):
        debtor = DebtorFactory(client=personas.client_a)
        request = services.credit_request_create(debtor=debtor, amount=Decimal("50000"),
                                                 justification="x", by=personas.agent)
        services.credit_request_submit(request=request, by=personas.agent)
    client.force_login(personas.credit_manager)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("credit:queue"))

    assert response.content.decode().count("/credit/requests/") == 5


def test_pages_decide_through_forms_with_csrf(personas, debtor, waiting):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.credit_manager)

    refused = browser.post(reverse("credit:request_act", args=[waiting.pk, "approve"]))
    assert refused.status_code == 403
    page = browser.get(reverse("credit:request_detail", args=[waiting.pk]))
    token = page.cookies["csrftoken"].value
    done = browser.post(reverse("credit:request_act", args=[waiting.pk, "approve"]),
                        {"csrfmiddlewaretoken": token, "comment": "fine"})

    assert done.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "approved"


def test_a_statement_is_sent_through_the_api(client, personas, debtor):
    client.force_login(personas.credit_manager)
    figures = {"revenue": "100", "ebitda": "10", "net_income": "5", "equity": "-3",
               "total_debt": "20", "current_assets": "10", "current_liabilities": "8",
               "cash": "4", "inventory": "2", "interest_expense": "1"}

    response = client.post(reverse("api:financial-statement-list"),
                           {"debtor": debtor.pk, "fiscal_year": 2025, **figures},
                           content_type="application/json")

    assert response.status_code == 201, response.content
    assert {flag["code"] for flag in response.json()["flags"]} == {"negative_equity",
                                                                  "missing_year"}


def test_the_openapi_schema_lists_the_credit_actions(client, personas):
    client.force_login(personas.admin)

    schema = client.get(reverse("api-schema")).content.decode()

    for path in ("/api/v1/credit-requests/{id}/approve/", "/api/v1/credit-requests/{id}/return/",
                 "/api/v1/credit-limits/", "/api/v1/financial-statements/"):
        assert path in schema


@pytest.mark.parametrize("name", ["credit-limit-list", "credit-request-list",
                                  "financial-statement-list"])
def test_api_lists_cost_a_fixed_number_of_queries(client, personas, name,
                                                  django_assert_max_num_queries):
    for year in range(4):
        debtor = DebtorFactory(client=personas.client_a)
        score(debtor, "A")
        FinancialStatementFactory(debtor=debtor, fiscal_year=2020 + year)
        request = services.credit_request_create(debtor=debtor, amount=Decimal("1000"),
                                                 justification="x", by=personas.agent)
        services.credit_request_submit(request=request, by=personas.agent)
    client.force_login(personas.credit_manager)

    with django_assert_max_num_queries(8):
        response = client.get(reverse(f"api:{name}"))

    assert len(response.json()["results"]) == 4


def test_the_over_limit_page_costs_a_fixed_number_of_queries(client, personas,
                                                             django_assert_max_num_queries):
    from portfolio.services import debtor_credit_limit_set
    from tests.factories import InvoiceFactory

    for _ in range(6):
        debtor = DebtorFactory(client=personas.client_a)
        InvoiceFactory(debtor=debtor, amount=Decimal("500"))
        debtor_credit_limit_set(debtor=debtor, amount=Decimal("100"))
    client.force_login(personas.agent)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("credit:over_limit"))

    assert response.content.decode().count('data-state="over"') == 6


def test_a_client_viewer_reads_no_financial_statements_on_any_credit_page_or_api(
        client, personas, waiting, debtor):
    """The API refuses statements to a client viewer; the pages and panels apply the same rule,
    and nothing derived from them (ratios, the recommendation's steps) slips through."""
    client.force_login(personas.viewer_a)

    api_list = client.get(reverse("api:financial-statement-list"))
    api_request = client.get(reverse("api:credit-request-detail", args=[waiting.pk])).json()
    pages = [client.get(reverse(name, args=[pk])).content.decode() for name, pk in (
        ("credit:request_detail", waiting.pk), ("credit:debtor_credit", debtor.pk),
        ("portfolio:debtor_detail", debtor.pk))]

    assert api_list.status_code == 403
    assert "steps" not in api_request["recommendation"]
    assert api_request["recommended_amount"] is not None
    for page in pages:
        for leak in ("1,000,000.00", "400,000.00", "Current ratio", "Interest cover",
                     "10% of 2025 revenue", 'class="statements"'):
            assert leak not in page, leak


def test_staff_who_may_see_statements_still_read_them_on_the_pages_and_api(
        client, personas, waiting, debtor):
    client.force_login(personas.agent)

    api_request = client.get(reverse("api:credit-request-detail", args=[waiting.pk])).json()
    page = client.get(reverse("credit:request_detail", args=[waiting.pk])).content.decode()
    credit_page = client.get(reverse("credit:debtor_credit", args=[debtor.pk])).content.decode()

    assert api_request["recommendation"]["steps"]
    assert client.get(reverse("api:financial-statement-list")).status_code == 200
    for text in ("Current ratio", 'class="statements"', "1,000,000.00"):
        assert text in page, text
        assert text in credit_page, text


def test_a_decisions_figures_lose_the_statements_for_whoever_may_not_read_them(personas,
                                                                               waiting):
    from credit import selectors

    services.credit_request_approve(request=waiting, by=personas.credit_manager)
    figures = waiting.decisions.get(action="approve").figures

    hidden = selectors.decision_figures_for(personas.viewer_a, figures)
    shown = selectors.decision_figures_for(personas.credit_manager, figures)

    assert "statements" not in hidden
    assert "steps" not in hidden["recommendation"]
    assert hidden["amount"] == figures["amount"]
    assert shown == figures
