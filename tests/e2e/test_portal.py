"""A client user in a real browser: logs in, lands on its portal, sees its own portfolio and
nothing of another client, and no staff navigation; the portal fits a 1280x800 screen."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.roles import Role
from tests.e2e.conftest import log_in
from tests.factories import DebtorFactory, InvoiceFactory, PaymentFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def client1(personas):
    """The demo's first client login, for client A."""
    rossi = DebtorFactory(client=personas.client_a, name="Idraulica Rossi S.r.l.")
    InvoiceFactory(debtor=rossi, amount=Decimal("1234.50"), due_date=dt.date(2026, 1, 31))
    PaymentFactory(debtor=rossi, amount=Decimal("300.00"), value_date=timezone.localdate())
    bianchi = DebtorFactory(client=personas.client_b, name="Ferramenta Bianchi S.p.A.")
    InvoiceFactory(debtor=bianchi, amount=Decimal("9876.54"))
    return user_with_role(Role.CLIENT_VIEWER, client=personas.client_a, username="client1")


def test_client1_lands_on_its_portal_and_sees_only_its_own_data(page, live_server, client1):
    log_in(page, "client1")

    expect(page).to_have_url(f"{live_server.url}/insights/portal/")
    expect(page.get_by_test_id("portal-tiles")).to_be_visible()
    expect(page.get_by_test_id("tile-open-balance")).to_contain_text("1,234.50")
    expect(page.get_by_test_id("tile-cash-30")).to_contain_text("300.00")
    expect(page.locator("main")).not_to_contain_text("9,876.54")
    # The charts drew (Chart.js from the static files, under the CSP).
    expect(page.locator("#aging-chart")).to_have_attribute("height", re.compile(r"\d+"))

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Debtors")).to_be_visible()
    for staff in ("Collections", "Caring", "Credit", "Scoring", "Imports", "Contact rules",
                  "Staffing"):
        expect(nav.get_by_role("link", name=staff, exact=True)).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    nav.get_by_role("link", name="Debtors").click()
    expect(page.get_by_role("link", name="Idraulica Rossi S.r.l.")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Ferramenta Bianchi")

    page.get_by_role("link", name="Idraulica Rossi S.r.l.").click()
    expect(page.get_by_test_id("portal-debtor-story")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    response = page.goto("/collections/control-room/")
    assert response is not None and response.status in (403, 404)
