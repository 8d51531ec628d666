"""A credit manager answers an erasure request from the debtor page: refused (open balance),
the reason shown, the debtor restricted; and downloads the data export."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_refused_erasure_restricts_the_debtor_and_says_why(page, personas, language):
    debtor = DebtorFactory(client=personas.client_a, name="Rossi Mario", kind="consumer")
    ContactPointFactory(debtor=debtor, value="+393471234567")
    InvoiceFactory(debtor=debtor, amount=Decimal("40000.00"), open_balance=Decimal("40000.00"))
    log_in(page, "manager_a")
    prefix = "/it" if language == "it" else ""
    page.goto(f"{prefix}/portfolio/debtors/{debtor.pk}/")

    page.get_by_test_id("privacy").locator("summary").click()
    with page.expect_download() as download:
        page.get_by_test_id("privacy").locator("form").first.locator("button").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["sections"]["contact_points"][0]["value"] == "+393471234567"

    page.get_by_test_id("privacy").locator("input[name=confirm]").check()
    page.get_by_test_id("privacy").locator("form").nth(1).locator("button").click()

    expect(page.get_by_test_id("restricted")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(
        "40.000,00 EUR" if language == "it" else "40,000.00 EUR")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"privacy-refused-{language}.png"))
