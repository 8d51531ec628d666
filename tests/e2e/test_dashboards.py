"""The staff dashboards in Chromium: every chart drawn by Chart.js from its static file, no
Content-Security-Policy violation, nothing wider than a 1280x800 laptop screen, the aging
drill-down one click away."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import DebtorFactory, InvoiceFactory, PaymentFactory
from tests.recovery.factories import CollectionCaseFactory, CollectionContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


@pytest.fixture
def desk(personas):
    today = timezone.localdate()
    late = DebtorFactory(client=personas.client_a, name="Ferramenta Lenta S.r.l.")
    for months in range(1, 13):
        issued = today - dt.timedelta(days=30 * months)
        InvoiceFactory(debtor=late, amount=Decimal("1000.00") + months,
                       issue_date=issued, due_date=issued + dt.timedelta(days=30))
        PaymentFactory(debtor=late, amount=Decimal("500.00"), value_date=issued)
    case = CollectionCaseFactory(debtor=late)
    now = timezone.now()
    CollectionContactFactory(case=case, agent=personas.agent, saved_at=now,
                             opened_at=now - dt.timedelta(minutes=5), handle_seconds=300,
                             outcomes=["promise_to_pay"])
    return late


def _charts_drawn(page, count: int) -> None:
    page.wait_for_function(
        "n => window.Chart && document.querySelectorAll('canvas[data-drawn=\"true\"]')"
        ".length === n", arg=count)


def _fits_the_screen(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, f"the page is {width}px wide"


@pytest.mark.parametrize(("username", "board", "charts"), [
    ("manager_a", "credit", 5), ("leader_a", "team", 2), ("agent_a", "agent", 1)])
def test_each_dashboard_draws_its_charts_under_the_policy(page, personas, desk, username,
                                                          board, charts):
    violations = _violations(page)
    log_in(page, username)

    page.goto("/insights/dashboards/")
    expect(page).to_have_url(f"{page.url.split('/insights')[0]}/insights/dashboards/{board}/"
                             f"{personas.client_a.pk}/")
    _charts_drawn(page, charts)
    _fits_the_screen(page)
    # The numbers of the first chart are one click away.
    page.get_by_text("Show the numbers").first.click()
    expect(page.locator("details.chart-numbers table").first).to_be_visible()

    assert not violations, "\n".join(violations)


def test_a_click_on_an_aging_bar_lists_its_debtors(page, personas, desk):
    violations = _violations(page)
    log_in(page, "manager_a")
    page.goto(f"/insights/dashboards/credit/{personas.client_a.pk}/")
    _charts_drawn(page, 5)

    # Click the tallest bar of the aging chart (the oldest invoices are 181+ days past due).
    point = page.evaluate("""() => {
        const canvas = document.querySelector('canvas[data-chart="chart-aging"]');
        canvas.scrollIntoView({block: "center"});
        const chart = Chart.getChart(canvas);
        const data = chart.data.datasets[0].data;
        const index = data.indexOf(Math.max(...data));
        const bar = chart.getDatasetMeta(0).data[index];
        const box = chart.canvas.getBoundingClientRect();
        return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2};
    }""")
    page.mouse.click(point["x"], point["y"])

    expect(page.get_by_role("link", name="Ferramenta Lenta S.r.l.")).to_be_visible()
    assert "/aging/" in page.url
    assert not violations, "\n".join(violations)
