"""The collections desk in a real browser: an agent's journey through the queue (claim, log a
promise by keyboard, next case) and the team leader's control room refreshing by itself."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from recovery.models import CollectionContact, PromiseToPay
from tests.caring.conftest import rule_packs_restored_at_end  # noqa: F401 (a fixture)
from tests.e2e.conftest import log_in
from tests.recovery.desk import callable_debtor, overdue_case
from tests.recovery.factories import CollectionContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("rule_packs_restored_at_end")]


def test_an_agent_claims_logs_a_promise_by_keyboard_and_goes_to_the_next_case(page, personas):
    first = overdue_case(callable_debtor(personas.client_a, name="Idraulica Rossi S.r.l.",
                                         phone="+390212345001"), priority="900")
    second = overdue_case(callable_debtor(personas.client_a, name="Ferramenta Bianchi S.n.c.",
                                          phone="+390212345002"), priority="100")
    log_in(page, "agent_a")

    page.get_by_role("navigation").get_by_role("link", name="Collections").click()
    page.get_by_test_id("next-case").click()

    expect(page).to_have_url(re.compile(rf"/collections/cases/{first.pk}/$"))
    expect(page.get_by_role("heading", name="Idraulica Rossi S.r.l.")).to_be_visible()
    expect(page.get_by_test_id("debt-outcomes")).to_be_hidden()
    page.locator("body").click()
    page.keyboard.press("1")  # answered
    page.keyboard.press("r")  # right party, verified
    expect(page.get_by_test_id("debt-outcomes")).to_be_visible()
    page.keyboard.press("p")  # promise to pay: the amount gets the focus
    page.keyboard.type("450.00")
    page.get_by_label("Promised by").fill(
        (timezone.localdate() + dt.timedelta(days=5)).isoformat())
    page.get_by_label("Why not paid").select_option("forgot")
    page.keyboard.press("Control+Enter")

    expect(page.get_by_test_id("outcome-saved")).to_contain_text("Contact recorded.")
    promise = PromiseToPay.objects.get(case=first)
    assert str(promise.amount) == "450.00"
    contact = CollectionContact.objects.get(case=first)
    assert contact.party == "right_party_verified" and contact.reason_for_non_payment == "forgot"

    page.keyboard.press("n")

    expect(page).to_have_url(re.compile(rf"/collections/cases/{second.pk}/$"))
    expect(page.get_by_role("heading", name="Ferramenta Bianchi S.n.c.")).to_be_visible()


def test_the_control_room_shows_a_contact_logged_elsewhere_without_reload(page, personas):
    case = overdue_case(callable_debtor(personas.client_a, name="Idraulica Rossi S.r.l.",
                                        phone="+390212345003"))
    personas.agent.first_name, personas.agent.last_name = "Marta", "Conti"
    personas.agent.save()
    log_in(page, "leader_a")
    page.goto("/collections/control-room/")
    agents = page.get_by_test_id("agents")
    expect(agents).to_contain_text("No contact logged today yet.")
    page.evaluate("window.fidoMarker = 'same page'")

    CollectionContactFactory(case=case, agent=personas.agent, outcomes=["promise_to_pay"])

    expect(agents).to_contain_text("Marta Conti", timeout=15_000)
    assert page.evaluate("window.fidoMarker") == "same page"  # no reload happened
