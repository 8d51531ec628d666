"""/api/v1/payment-plans/ and /api/v1/disputes/: role permissions, tenant scoping, the domain
actions as sub-resources, clear 400s, and lists whose query count does not grow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portfolio.models import CreditNote
from recovery import services
from recovery.models import CollectionCase, Dispute, PaymentPlan
from recovery.plan_models import PlanPolicy
from tests.factories import DebtorFactory, InvoiceFactory
from tests.recovery.factories import (
    CollectionCaseFactory,
    DisputedInvoiceFactory,
    InstalmentFactory,
    PaymentPlanFactory,
)

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/payment-plans/"
DISPUTES = "/api/v1/disputes/"


@pytest.fixture
def case(personas) -> CollectionCase:
    return CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_a),
                                 overdue_amount=Decimal("9000.00"))


def _create(api, case, total="600.00", **extra):
    return api.post(PLANS, {"case": case.pk, "total": total, "start_date": "2026-04-30",
                            "instalment_count": 3, **extra}, content_type="application/json")


def test_an_agent_agrees_a_plan_and_sees_its_instalments(client, personas, case) -> None:
    client.force_login(personas.agent)
    response = _create(client, case, total="100.00")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active"
    assert [i["amount"] for i in body["instalments"]] == ["33.34", "33.33", "33.33"]
    detail = client.get(f"{PLANS}{body['id']}/")
    assert detail.status_code == 200 and len(detail.json()["instalments"]) == 3


def test_a_plan_above_the_threshold_is_approved_by_a_team_leader_only(client, personas,
                                                                     case) -> None:
    PlanPolicy.objects.create(client=case.client, approval_threshold=Decimal("100.00"))
    client.force_login(personas.agent)
    plan_id = _create(client, case).json()["id"]
    assert client.post(f"{PLANS}{plan_id}/approve/").status_code == 403
    client.force_login(personas.team_leader)
    response = client.post(f"{PLANS}{plan_id}/approve/")
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_renegotiate_and_cancel_are_sub_resources(client, personas, case) -> None:
    client.force_login(personas.agent)
    plan_id = _create(client, case).json()["id"]
    new = client.post(f"{PLANS}{plan_id}/renegotiate/",
                      {"total": "600.00", "start_date": "2026-05-31", "amounts": ["100.00",
                                                                                   "500.00"]},
                      content_type="application/json")
    assert new.status_code == 201, new.content
    assert new.json()["supersedes"] == plan_id
    assert PaymentPlan.objects.get(pk=plan_id).status == "renegotiated"
    cancelled = client.post(f"{PLANS}{new.json()['id']}/cancel/", {"reason": "Paid at once"},
                            content_type="application/json")
    assert cancelled.json()["status"] == "cancelled"


def test_bad_terms_get_a_400_naming_the_problem_and_write_nothing(client, personas,
                                                                  case) -> None:
    client.force_login(personas.agent)
    response = _create(client, case, total="600.00", instalment_count=None,
                       amounts=["100.00", "100.00"])
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "amounts"
    both = _create(client, case, amounts=["600.00"])
    assert both.status_code == 400
    assert not PaymentPlan.objects.exists()


def test_an_outsider_from_another_client_gets_404(client, personas, case) -> None:
    plan = PaymentPlanFactory(case=case)
    dispute = DisputedInvoiceFactory(dispute__case=case).dispute
    client.force_login(personas.viewer_b)
    assert client.get(f"{PLANS}{plan.pk}/").status_code == 404
    assert client.get(f"{DISPUTES}{dispute.pk}/").status_code == 404
    assert client.get(PLANS).json()["results"] == []
    client.force_login(personas.team_leader)
    assert client.get(f"{PLANS}{plan.pk}/").status_code == 200


def test_a_dispute_is_opened_and_resolved_through_the_api(client, personas) -> None:
    debtor = DebtorFactory(client=personas.client_a)
    invoice = InvoiceFactory(debtor=debtor, client=debtor.client, amount=Decimal("250.00"),
                             due_date=dt.date(2026, 2, 1))
    services.cases_open(client_id=debtor.client_id, as_of=dt.date(2026, 3, 10))
    case = CollectionCase.objects.get(debtor=debtor)
    client.force_login(personas.agent)
    opened = client.post(DISPUTES, {"case": case.pk, "invoices": [invoice.pk],
                                    "reason": "already_paid", "detail": "Paid by cheque."},
                         content_type="application/json")
    assert opened.status_code == 201, opened.content
    dispute_id = opened.json()["id"]
    assert opened.json()["invoices"][0]["number"] == invoice.number
    refused = client.post(f"{DISPUTES}{dispute_id}/resolve/",
                          {"resolution": "upheld", "note": "ok"}, content_type="application/json")
    assert refused.status_code == 403

    client.force_login(personas.team_leader)
    resolved = client.post(f"{DISPUTES}{dispute_id}/resolve/",
                           {"resolution": "upheld", "note": "Cheque found."},
                           content_type="application/json")

    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "upheld"
    assert CreditNote.objects.get(invoice=invoice).amount == Decimal("250.00")
    assert Dispute.objects.get(pk=dispute_id).resolved_by == personas.team_leader


def _count(client, url: str, django_assert_num_queries, add, n_first=3, n_more=27) -> None:
    add(n_first)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(n_more)
    with django_assert_num_queries(len(few)):
        client.get(url)
    assert len(few) <= 12


def test_the_plan_list_does_not_grow(client, personas, django_assert_num_queries) -> None:
    client.force_login(personas.team_leader)

    def add(n: int) -> None:
        for _ in range(n):
            plan = PaymentPlanFactory(case=CollectionCaseFactory(
                debtor=DebtorFactory(client=personas.client_a)))
            InstalmentFactory(plan=plan, number=1)
            InstalmentFactory(plan=plan, number=2)

    _count(client, PLANS, django_assert_num_queries, add)


def test_the_dispute_list_does_not_grow(client, personas, django_assert_num_queries) -> None:
    client.force_login(personas.team_leader)

    def add(n: int) -> None:
        for _ in range(n):
            link = DisputedInvoiceFactory(dispute__case=CollectionCaseFactory(
                debtor=DebtorFactory(client=personas.client_a)))
            DisputedInvoiceFactory(dispute=link.dispute)

    _count(client, DISPUTES, django_assert_num_queries, add)
