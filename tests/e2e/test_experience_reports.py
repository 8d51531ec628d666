"""The experience reports render at 1280x800 in English and Italian without overflowing
sideways, with the monthly chart drawn under the Content-Security-Policy. Screenshots land in
var/test/screenshots/ for a person to look at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from access.models import Team, TeamMembership
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.experience.scenario import answer, case_with_cash
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENTS = [
    "L'operatrice è stata gentilissima e mi ha ascoltato, abbiamo concordato un piano di rate",
    "Troppe chiamate e tono aggressivo, non mi sono sentito rispettato",
    "Fattura sbagliata, nessuno risponde quando chiamo",
    "Quick and easy, the agent explained everything clearly",
]


def _portfolio(personas) -> None:
    team = Team.objects.create(name="Milano Nord")
    agents = [UserFactory(first_name=first, last_name="Bianchi-Ferraris")
              for first in ("Giulia", "Marco", "Alessandra")]
    for agent in agents:
        TeamMembership.objects.create(team=team, user=agent)
    now = timezone.now()
    for n in range(45):
        strategy = "empathetic" if n % 2 else "standard"
        opened = now - dt.timedelta(days=20 + 6 * n)
        case = case_with_cash(client=personas.client_a, strategy=strategy, opened=opened,
                              cash=("1234.56",) if n % 3 else (),
                              written_off="18450.75" if n % 11 == 0 else None)
        answer(case=case, agent=agents[n % 3], nps=(10, 9, 7, 3, 10)[n % 5],
               ces=(7, 5, 2)[n % 3], csat=(5, 4, 2)[n % 3], comment=COMMENTS[n % 4],
               when=opened + dt.timedelta(days=2))
    answer(client=personas.client_a, kind="competitive", nps=8, comment="Prezzi chiari")


def _fits(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"experience-{name}.png"))
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{name} overflows sideways ({width}px)"


@pytest.mark.parametrize("prefix", ["", "/it"])
def test_the_reports_fit_a_laptop_in_both_languages(page, personas, prefix):
    _portfolio(personas)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    log_in(page, "manager_a")

    page.goto(f"{prefix}/experience/reports/nps/")
    assert page.get_by_test_id("kind-transactional").is_visible()
    assert page.get_by_test_id("kind-competitive").is_visible()
    heading = "Esperienza e incassi" if prefix else "Experience and cash"
    assert page.get_by_role("heading", name=heading).is_visible()
    assert page.locator("#nps-months").is_visible()
    page.wait_for_function("window.Chart && Chart.getChart('nps-months') !== undefined")
    assert "Bianchi-Ferraris" in page.get_by_test_id("agents-table").inner_text()
    _fits(page, f"nps{prefix.replace('/', '-')}")

    page.goto(f"{prefix}/experience/reports/strategies/")
    table = page.get_by_test_id("strategy-table").inner_text()
    assert ("Empatica" if prefix else "Empathetic") in table
    _fits(page, f"strategies{prefix.replace('/', '-')}")

    assert not [error for error in errors if "Content Security Policy" in error]
