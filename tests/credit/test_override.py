"""Approving against the recommendation: more than the recommended limit needs a written reason,
and the record flags it."""

from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse

from access.errors import DomainError
from credit import services
from credit.models import CreditDecision, CreditLimitRequest
from tests.credit.factories import FinancialStatementFactory, score

pytestmark = pytest.mark.django_db
Status = CreditLimitRequest.Status


@pytest.fixture
def band_e_request(personas, debtor):
    """40,000 asked for a band E debtor: the recommended limit is 0."""
    score(debtor, "E")
    FinancialStatementFactory(debtor=debtor, fiscal_year=2025)
    request = services.credit_request_create(debtor=debtor, amount=Decimal("40000"),
                                             justification="Seasonal order", by=personas.agent)
    return services.credit_request_submit(request=request, by=personas.agent)


def test_approving_above_the_recommendation_without_a_reason_is_refused(personas,
                                                                         band_e_request):
    assert band_e_request.recommended_amount == Decimal("0.00")
    assert band_e_request.tier == 2

    with pytest.raises(DomainError) as refused:
        services.credit_request_approve(request=band_e_request, by=personas.credit_manager,
                                        comment="Fine", override_reason="  ")

    assert refused.value.code == "override_reason_required"
    assert refused.value.field == "override_reason"
    assert "€40,000.00 is above the recommended limit of €0.00" in refused.value.message
    band_e_request.refresh_from_db()
    assert band_e_request.status == Status.SUBMITTED
    assert not band_e_request.decisions.filter(action="approve").exists()


def test_an_approval_against_the_recommendation_is_flagged_with_its_reason(personas,
                                                                           band_e_request):
    request = services.credit_request_approve(
        request=band_e_request, by=personas.credit_manager,
        override_reason="Parent company guarantee on file")

    approval = request.decisions.get(action="approve")
    assert request.status == Status.APPROVED
    assert approval.against_recommendation is True
    assert approval.override_reason == "Parent company guarantee on file"
    submitted = request.decisions.get(action="submit")
    assert submitted.against_recommendation is False


def test_an_approval_within_the_recommendation_needs_no_reason_and_is_not_flagged(
        personas, debtor):
    score(debtor, "B")
    FinancialStatementFactory(debtor=debtor, fiscal_year=2025)  # recommends 80,000
    request = services.credit_request_create(debtor=debtor, amount=Decimal("60000"),
                                             justification="Framework", by=personas.agent)
    request = services.credit_request_submit(request=request, by=personas.agent)

    request = services.credit_request_approve(request=request, by=personas.credit_manager)

    assert request.recommended_amount == Decimal("80000.00")
    assert request.decisions.get(action="approve").against_recommendation is False


def test_the_record_refuses_a_flagged_decision_without_a_reason(personas, band_e_request):
    with pytest.raises(IntegrityError):
        CreditDecision.objects.create(client=band_e_request.client, request=band_e_request,
                                      action="approve", against_recommendation=True,
                                      override_reason="")


def test_tier_1_never_approves_above_its_own_recommendation(personas, debtor):
    score(debtor, "A")
    FinancialStatementFactory(debtor=debtor, fiscal_year=2025, revenue=Decimal("20000"))
    request = services.credit_request_create(debtor=debtor, amount=Decimal("5000"),
                                             justification="First order", by=personas.agent)

    request = services.credit_request_submit(request=request, by=personas.agent)

    assert request.recommended_amount == Decimal("2000.00")
    assert (request.status, request.tier) == (Status.SUBMITTED, 2)


def test_each_committee_vote_against_the_recommendation_gives_its_reason(
        personas, debtor, committee_2):
    score(debtor, "E")
    FinancialStatementFactory(debtor=debtor, fiscal_year=2025)
    request = services.credit_request_create(debtor=debtor, amount=Decimal("250000"),
                                             justification="Group account", by=personas.agent)
    request = services.credit_request_submit(request=request, by=personas.agent)
    assert request.tier == 3

    with pytest.raises(DomainError, match="against the recommendation"):
        services.credit_request_approve(request=request, by=personas.committee)
    services.credit_request_approve(request=request, by=personas.committee,
                                    override_reason="Guaranteed by the parent")
    request = services.credit_request_approve(request=request, by=committee_2,
                                              override_reason="Strategic customer")

    assert request.status == Status.APPROVED
    flagged = list(request.decisions.filter(against_recommendation=True)
                   .values_list("action", "override_reason"))
    assert flagged == [("vote_approve", "Guaranteed by the parent"),
                       ("vote_approve", "Strategic customer"),
                       ("approve", "Strategic customer")]


def test_the_api_refuses_an_approval_above_the_recommendation_without_a_reason(
        client, personas, band_e_request):
    client.force_login(personas.credit_manager)
    url = reverse("api:credit-request-approve", args=[band_e_request.pk])

    refused = client.post(url, {"comment": "ok"}, content_type="application/json")
    approved = client.post(url, {"override_reason": "Bank guarantee of 50,000"},
                           content_type="application/json")
    decisions = client.get(reverse("api:credit-request-decisions",
                                   args=[band_e_request.pk])).json()

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "override_reason_required"
    assert refused.json()["error"]["field"] == "override_reason"
    assert approved.status_code == 200, approved.content
    approval = next(row for row in decisions if row["action"] == "approve")
    assert approval["against_recommendation"] is True
    assert approval["override_reason"] == "Bank guarantee of 50,000"


def test_the_page_asks_for_the_reason_and_shows_the_flag_in_the_record(
        client, personas, band_e_request, debtor):
    client.force_login(personas.credit_manager)
    detail = reverse("credit:request_detail", args=[band_e_request.pk])
    approve = reverse("credit:request_act", args=[band_e_request.pk, "approve"])

    form_page = client.get(detail).content.decode()
    refused = client.post(approve, {"comment": "ok"}, follow=True).content.decode()
    band_e_request.refresh_from_db()
    status_after_refusal = band_e_request.status
    client.post(approve, {"override_reason": "Parent company guarantee"})
    record = client.get(detail).content.decode()
    credit_page = client.get(reverse("credit:debtor_credit", args=[debtor.pk])).content.decode()

    assert 'name="override_reason"' in form_page
    assert "goes against the recommended limit of €0.00" in form_page
    assert "above the recommended limit: write why you approve it" in refused
    assert status_after_refusal == Status.SUBMITTED
    for page in (record, credit_page):
        assert 'data-testid="against-recommendation"' in page
        assert "Parent company guarantee" in page


def test_the_queue_shows_which_waiting_requests_go_above_the_recommendation(
        client, personas, band_e_request):
    client.force_login(personas.credit_manager)

    page = client.get(reverse("credit:queue")).content.decode()

    assert page.count('data-testid="above-recommendation"') == 1
