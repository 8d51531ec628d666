"""The Content-Security-Policy breaks nothing: the main pages, htmx, Chart.js, the language
switch, the admin and Swagger UI work in a real browser with no policy violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import DebtorFactory, InvoiceFactory
from tests.scoring.factories import ScoringModelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text else None)
    return found


def test_the_main_pages_run_under_the_policy(page, personas):
    debtor = DebtorFactory(client=personas.client_a, name="Idraulica Rossi S.r.l.")
    DebtorFactory(client=personas.client_a, name="Panificio Verdi S.n.c.")
    InvoiceFactory(client=personas.client_a, debtor=debtor)
    model = ScoringModelFactory(client=personas.client_a, calibration=[
        {"bin": n, "predicted": n / 20, "observed": n / 21, "count": 10} for n in range(1, 6)])
    violations = _violations(page)
    log_in(page, "admin_x")

    # htmx: the debtor search updates the rows in place.
    page.goto("/portfolio/debtors/")
    page.get_by_label("Search by name").press_sequentially("Rossi")
    expect(page.get_by_role("link", name="Panificio Verdi S.n.c.")).to_have_count(0)
    page.get_by_role("link", name="Idraulica Rossi S.r.l.").click()
    expect(page.get_by_role("heading", name="Idraulica Rossi S.r.l.")).to_be_visible()
    for path in ("/", f"/portfolio/clients/{personas.client_a.pk}/", "/portfolio/imports/",
                 "/credit/", "/caring/", "/caring/queue/", "/compliance/packs/",
                 "/scoring/models/", "/admin/", "/admin/portfolio/debtor/", "/collections/",
                 "/collections/control-room/", "/collections/disputes/",
                 "/collections/plans/approvals/", f"/portfolio/debtors/{debtor.pk}/"):
        page.goto(path)
        expect(page.locator("body")).to_be_visible()
    # Chart.js draws the calibration chart from its static file.
    page.goto(f"/scoring/models/{model.pk}/")
    page.wait_for_function("() => window.Chart && Chart.getChart('calibration') !== undefined")
    # The language switch submits itself from the static script (no inline handler).
    page.goto("/")
    page.get_by_label("Language").select_option("it")
    expect(page.locator("html")).to_have_attribute("lang", "it")

    assert not violations, "\n".join(violations)


def test_swagger_ui_works_for_a_signed_in_user(page, personas):
    violations = _violations(page)
    log_in(page, "agent_a")

    page.goto("/api/docs/")

    expect(page.get_by_text("Fido API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert not violations, "\n".join(violations)


def test_the_docs_send_an_anonymous_visitor_to_the_login_page(page, personas):
    page.goto("/api/docs/")

    expect(page.get_by_role("heading", name="Log in to Fido")).to_be_visible()
