"""The pre-dial check in a real browser: choosing e-mail offers the debtor's addresses in place
of its phones (htmx swaps the select), and the decision reads in the debtor's zone."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from compliance.engine import can_contact
from tests.caring.conftest import rule_packs_restored_at_end, rule_packs_seeded  # noqa: F401
from tests.compliance.factories import local
from tests.e2e.conftest import log_in
from tests.factories import ContactPointFactory, DebtorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "test" / "screenshots"


@pytest.mark.usefixtures("rule_packs_restored_at_end")
def test_choosing_email_offers_the_debtors_addresses_and_the_check_decides(page, personas):
    from zoneinfo import ZoneInfo

    rule_packs_seeded()
    debtor = DebtorFactory(client=personas.client_a, name="Lakeside Dental LLC", country="US",
                           region="IL", timezone="America/Chicago")
    ContactPointFactory(debtor=debtor, value="+13125550123", label="office",
                        timezones=["America/Chicago"])
    ContactPointFactory(debtor=debtor, channel="email", value="billing@lakeside.example",
                        timezones=[])
    can_contact(debtor, "call", "+13125550123", local(ZoneInfo("America/Chicago"), 2026, 12, 6,
                                                       11))
    log_in(page, "agent_a")

    page.goto(f"/compliance/debtors/{debtor.pk}/check/")
    destination = page.get_by_test_id("destination")
    expect(destination.locator("option")).to_have_text(["+13125550123 (office)"])
    page.get_by_label("Channel").select_option("email")
    expect(page.get_by_test_id("destination").locator("option")).to_have_text(
        ["billing@lakeside.example"])
    page.get_by_role("button", name="Check").click()

    expect(page.get_by_test_id("decision")).to_contain_text("Rule pack US v1")
    expect(page.get_by_test_id("window")).to_contain_text("America/Chicago")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "contact_check_en.png"), full_page=True)
    page.goto(f"/it/compliance/debtors/{debtor.pk}/check/")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    page.screenshot(path=str(SHOTS / "contact_check_it.png"), full_page=True)
    page.goto(f"/it/portfolio/debtors/{debtor.pk}/")
    expect(page.get_by_test_id("panel-next-permitted")).to_contain_text(
        "08:00 (America/Chicago)")
    page.get_by_test_id("panel-compliance").screenshot(path=str(SHOTS / "contact_panel_it.png"))
