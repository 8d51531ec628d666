"""What a person sees in a real browser: logging in as each role, the client list, the
language switch, logging out and a refused login. A client user's portal:
tests/e2e/test_portal.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from access.roles import Role
from tests.e2e.conftest import log_in
from tests.factories import DebtorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USERNAMES = {
    Role.AGENT: "agent_a",
    Role.TEAM_LEADER: "leader_a",
    Role.CREDIT_MANAGER: "manager_a",
    Role.CREDIT_COMMITTEE: "committee_a",
    Role.CLIENT_VIEWER: "viewer_a",
    Role.ADMINISTRATOR: "admin_x",
}


# A client user lands on the client portal instead (tests/e2e/test_portal.py).
@pytest.mark.parametrize("role", [role for role in USERNAMES if role != Role.CLIENT_VIEWER])
def test_each_role_logs_in_through_the_form_and_sees_its_home_section(page, live_server,
                                                                      personas, role):
    log_in(page, USERNAMES[role])

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id(f"home-{role}")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_text(USERNAMES[role])


def test_the_language_switch_turns_the_page_italian(page, personas):
    log_in(page, "agent_a")
    expect(page.get_by_role("navigation").get_by_role("link", name="Debtors")).to_be_visible()

    page.get_by_label("Language").select_option("it")

    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("navigation").get_by_role("link", name="Debitori")).to_be_visible()
    expect(page.get_by_role("button", name="Esci")).to_be_visible()
    expect(page.get_by_test_id("home-agent")).to_contain_text("Le tue chiamate di oggi")


def test_logging_out_ends_the_session(page, personas):
    log_in(page, "agent_a")
    expect(page.get_by_test_id("home-agent")).to_be_visible()

    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", name="Log in to Fido")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_test_id("current-user")).to_have_count(0)


def test_a_failed_login_shows_the_error_and_no_session(page, personas):
    log_in(page, "agent_a", password="not-the-password")

    expect(page.locator(".errorlist")).to_contain_text("Please enter a correct username")
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_the_debtor_search_filters_as_the_agent_types(page, personas):
    """The htmx partial: rows update in place, from our own copy of htmx (npm), no reload."""
    DebtorFactory(client=personas.client_a, name="Idraulica Rossi S.r.l.")
    DebtorFactory(client=personas.client_a, name="Panificio Verdi S.n.c.")
    log_in(page, "agent_a")
    page.goto("/portfolio/debtors/")
    expect(page.get_by_role("link", name="Panificio Verdi S.n.c.")).to_be_visible()
    url_before = page.url

    page.get_by_label("Search by name").press_sequentially("Rossi")

    expect(page.get_by_role("link", name="Panificio Verdi S.n.c.")).to_have_count(0)
    expect(page.get_by_role("link", name="Idraulica Rossi S.r.l.")).to_be_visible()
    assert page.url == url_before  # updated in place, not a new page
