"""The plan form, the approval list and the second-level user's dispute screen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portfolio.models import CreditNote
from recovery import disputes, services
from recovery.models import CollectionCase, Dispute, PaymentPlan
from recovery.plan_models import PlanPolicy
from tests.factories import DebtorFactory, InvoiceFactory
from tests.recovery.factories import CollectionCaseFactory, PaymentPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(personas) -> CollectionCase:
    return CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_a),
                                 overdue_amount=Decimal("12000.00"))


def _form(**extra) -> dict[str, str]:
    return {"total": "1000.00", "down_payment": "100.00", "start_date": "2026-04-30",
            "kind": "equal", "instalment_count": "3", "amounts": "", "note": "", **extra}


def test_the_plan_form_previews_then_saves_a_plan(client, personas, case) -> None:
    client.force_login(personas.agent)
    url = f"/collections/cases/{case.pk}/plans/new/"
    assert client.get(url).status_code == 200

    preview = client.post(url, {**_form(), "preview": "1"})
    assert preview.status_code == 200
    assert "Down payment" in preview.content.decode() and "300.00" in preview.content.decode()
    assert not PaymentPlan.objects.exists()

    saved = client.post(url, {**_form(), "save": "1"})
    plan = PaymentPlan.objects.get()
    assert saved.status_code == 302 and saved.url.endswith(f"/collections/plans/{plan.pk}/")
    assert list(plan.instalments.values_list("amount", flat=True)) == [
        Decimal("100.00"), Decimal("300.00"), Decimal("300.00"), Decimal("300.00")]


def test_the_plan_form_shows_the_services_refusal(client, personas, case) -> None:
    client.force_login(personas.agent)
    response = client.post(f"/collections/cases/{case.pk}/plans/new/",
                           _form(kind="custom", amounts="100\n200", save="1"))
    assert response.status_code == 200
    assert "add up to" in response.content.decode()
    assert not PaymentPlan.objects.exists()


def test_a_team_leader_approves_from_the_approval_list(client, personas, case) -> None:
    PlanPolicy.objects.create(client=case.client, approval_threshold=Decimal("500.00"))
    client.force_login(personas.agent)
    client.post(f"/collections/cases/{case.pk}/plans/new/", _form(save="1"))
    plan = PaymentPlan.objects.get(status="pending_approval")
    assert client.get("/collections/plans/approvals/").status_code == 403

    client.force_login(personas.team_leader)
    page = client.get("/collections/plans/approvals/")
    assert case.debtor.name in page.content.decode()
    client.post(f"/collections/plans/{plan.pk}/approve/", {"next": "approvals"})
    plan.refresh_from_db()
    assert plan.status == "active"


def test_an_outsider_gets_404_on_a_plan_and_its_case(client, personas, case) -> None:
    plan = PaymentPlanFactory(case=case)
    client.force_login(personas.viewer_b)
    assert client.get(f"/collections/plans/{plan.pk}/").status_code == 404


def test_the_second_level_user_resolves_a_dispute_on_its_screen(client, personas) -> None:
    debtor = DebtorFactory(client=personas.client_a)
    invoice = InvoiceFactory(debtor=debtor, client=debtor.client, amount=Decimal("1234.50"),
                             due_date=dt.date(2026, 2, 1))
    services.cases_open(client_id=debtor.client_id, as_of=dt.date(2026, 3, 10))
    dispute = disputes.dispute_open(case=CollectionCase.objects.get(debtor=debtor),
                                    invoice_ids=[invoice.pk], reason="price_or_quantity",
                                    detail="Ordered 10 boxes, billed for 12.",
                                    by=personas.agent)
    client.force_login(personas.agent)
    assert client.get("/collections/disputes/").status_code == 403

    client.force_login(personas.team_leader)
    page = client.get("/it/collections/disputes/").content.decode()
    assert "Ordered 10 boxes, billed for 12." in page and "1.234,50" in page
    client.post(f"/collections/disputes/{dispute.pk}/resolve/",
                {"resolution": "upheld", "note": "Delivery note shows 10."})

    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UPHELD
    assert CreditNote.objects.get(invoice=invoice).amount == Decimal("1234.50")
