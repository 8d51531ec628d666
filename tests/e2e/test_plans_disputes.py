"""Browser tests of payment plans and disputes: an agent previews and saves a plan from a case;
a team leader resolves a dispute on the second-level screen. Screenshots at 1280x800 in English
and Italian land in var/test/screenshots/."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portfolio.models import CreditNote
from recovery import disputes, services
from recovery.models import CollectionCase, Dispute, PaymentPlan
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import DebtorFactory, InvoiceFactory
from tests.recovery.factories import CollectionCaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the page is {width}px wide"


def test_an_agent_previews_and_saves_a_plan_from_a_case(page, personas) -> None:
    case = CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_a),
                                 overdue_amount=Decimal("1000.00"))
    log_in(page, "agent_a")
    page.goto(f"/collections/cases/{case.pk}/plans/new/")
    page.get_by_label("Total").fill("1000.00")
    page.get_by_label("Down payment").fill("100.00")
    page.get_by_label("Number of instalments").fill("3")
    page.get_by_role("button", name="Preview instalments").click()
    preview = page.get_by_test_id("plan-preview")
    expect(preview).to_contain_text("300.00")
    _fits(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "plan_form_en.png"))

    page.get_by_role("button", name="Save plan").click()

    expect(page.get_by_test_id("plan-status")).to_have_text("Active")
    plan = PaymentPlan.objects.get()
    assert plan.instalments.count() == 4 and plan.down_payment == Decimal("100.00")


def test_a_team_leader_upholds_a_dispute_on_the_dispute_screen(page, personas) -> None:
    debtor = DebtorFactory(client=personas.client_a, name="Rossi Impianti S.r.l.")
    invoice = InvoiceFactory(debtor=debtor, client=debtor.client, amount=Decimal("1234.50"),
                             due_date=dt.date(2026, 2, 1))
    services.cases_open(client_id=debtor.client_id, as_of=dt.date(2026, 3, 10))
    dispute = disputes.dispute_open(case=CollectionCase.objects.get(debtor=debtor),
                                    invoice_ids=[invoice.pk], reason="goods_or_service",
                                    detail="Two of the six radiators arrived cracked.",
                                    by=personas.agent)
    log_in(page, "leader_a")
    page.goto("/it/collections/disputes/")
    card = page.get_by_test_id("dispute")
    expect(card).to_contain_text("1.234,50")
    expect(card).to_contain_text("Two of the six radiators arrived cracked.")
    _fits(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "disputes_it.png"))
    page.goto("/collections/disputes/")

    page.get_by_label("Upheld: issue a credit note").check()
    page.get_by_role("textbox", name="Note").fill("The carrier confirmed the damage.")
    page.get_by_role("button", name="Resolve").click()

    expect(page.locator(".messages")).to_contain_text(re.compile("credit note issued"))
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UPHELD
    assert CreditNote.objects.get(invoice=invoice).amount == Decimal("1234.50")
