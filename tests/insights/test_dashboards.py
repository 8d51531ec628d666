"""The staff dashboards: who may see which, what they show, in English and Italian."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recovery.models import CollectionContact
from tests.factories import DebtorFactory, InvoiceFactory
from tests.recovery.factories import CollectionCaseFactory, CollectionContactFactory

D = Decimal


@pytest.fixture
def ledger(personas):
    """Client A: one debtor 45 days past due, one current; a contact by the agent today."""
    today = timezone.localdate()
    late = DebtorFactory(client=personas.client_a, name="Ritardo Quarantacinque S.r.l.")
    fresh = DebtorFactory(client=personas.client_a, name="Puntuale S.r.l.")
    InvoiceFactory(debtor=late, amount=D("4321.00"), issue_date=today - dt.timedelta(days=75),
                   due_date=today - dt.timedelta(days=45))
    InvoiceFactory(debtor=fresh, amount=D("1234.00"), issue_date=today - dt.timedelta(days=5),
                   due_date=today + dt.timedelta(days=25))
    case = CollectionCaseFactory(debtor=late)
    now = timezone.now()
    CollectionContactFactory(case=case, agent=personas.agent, saved_at=now,
                             opened_at=now - dt.timedelta(seconds=300), handle_seconds=300,
                             outcomes=["promise_to_pay"])
    return {"late": late, "fresh": fresh}


def test_the_landing_page_leads_each_role_to_its_dashboard(client, personas):
    expected = {personas.credit_manager: "credit", personas.team_leader: "team",
                personas.agent: "agent", personas.committee: "credit"}
    for user, board in expected.items():
        client.force_login(user)
        response = client.get("/insights/dashboards/")
        assert response.status_code == 302
        assert response.url == f"/insights/dashboards/{board}/{personas.client_a.pk}/"


@pytest.mark.parametrize("board", ["credit", "team", "agent"])
def test_a_client_viewer_sees_no_staff_dashboard(client, personas, board):
    client.force_login(personas.viewer_a)

    assert client.get(f"/insights/dashboards/{board}/{personas.client_a.pk}/").status_code == 403
    assert client.get("/insights/dashboards/").status_code == 403


def test_roles_see_only_their_dashboards(client, personas):
    client_id = personas.client_a.pk
    client.force_login(personas.agent)
    assert client.get(f"/insights/dashboards/agent/{client_id}/").status_code == 200
    assert client.get(f"/insights/dashboards/team/{client_id}/").status_code == 403
    assert client.get(f"/insights/dashboards/credit/{client_id}/").status_code == 403
    client.force_login(personas.team_leader)
    assert client.get(f"/insights/dashboards/team/{client_id}/").status_code == 200
    assert client.get(f"/insights/dashboards/credit/{client_id}/").status_code == 403


def test_another_clients_dashboard_is_not_found(client, personas):
    client.force_login(personas.credit_manager)

    response = client.get(f"/insights/dashboards/credit/{personas.client_b.pk}/")

    assert response.status_code == 404


def test_the_credit_dashboard_shows_trends_aging_and_formulas(client, personas, ledger):
    client.force_login(personas.credit_manager)

    body = client.get(f"/insights/dashboards/credit/{personas.client_a.pk}/").content.decode()

    assert 'data-chart="chart-ar"' in body and 'id="chart-aging"' in body
    assert "Ending AR ÷ credit sales in the period x days in the period" in body  # the hover
    assert "€4,321.00" in body  # the 31-60 bucket in the numbers table
    assert 'data-testid="bucket-d31_60"' in body
    assert "n/a" in body  # no sales last month: no DSO, never 0


def test_the_aging_drill_down_lists_the_buckets_debtors(client, personas, ledger):
    client.force_login(personas.credit_manager)
    url = f"/insights/dashboards/credit/{personas.client_a.pk}/aging/d31_60/"

    body = client.get(url).content.decode()

    assert ledger["late"].name in body
    assert f"/portfolio/debtors/{ledger['late'].pk}/" in body
    assert ledger["fresh"].name not in body
    assert client.get(url.replace("d31_60", "d7_9")).status_code == 404


def test_the_team_dashboard_shows_targets_and_what_it_cannot_measure(client, personas, ledger):
    client.force_login(personas.team_leader)

    body = client.get(f"/insights/dashboards/team/{personas.client_a.pk}/").content.decode()

    assert 'data-testid="off-target"' in body  # 300 s handle time against 240 s
    assert body.count('data-testid="not-measured"') == 2
    assert "records no inbound queue times" in body
    assert 'id="chart-funnel"' in body


def test_the_agent_dashboard_shows_own_results_only(client, personas, ledger):
    colleague_case = CollectionCaseFactory(debtor=ledger["fresh"])
    for _ in range(3):
        CollectionContactFactory(case=colleague_case, agent=personas.team_leader,
                                 attempt_result=CollectionContact.AttemptResult.BUSY, party="",
                                 outcomes=[])
    client.force_login(personas.agent)

    response = client.get(f"/insights/dashboards/agent/{personas.client_a.pk}/")

    figures = response.context["figures"]
    assert figures[0][0].value == 1  # own contacts this week, not the colleague's three
    assert response.context["own_nps"].denominator == 0
    assert 'data-testid="own-nps"' in response.content.decode()


def test_the_dashboards_speak_italian(client, personas, ledger):
    client.force_login(personas.team_leader)
    client.post("/i18n/setlang/", {"language": "it", "next": "/"})

    body = client.get(f"/it/insights/dashboards/team/{personas.client_a.pk}/").content.decode()

    assert "Oggi" in body
    assert "Mostra i numeri" in body
    assert "n.d." in body


def test_the_home_page_leads_staff_to_their_dashboard_but_not_client_viewers(client, personas):
    client.force_login(personas.team_leader)
    assert 'data-testid="home-dashboard"' in client.get("/").content.decode()
    client.force_login(personas.viewer_a)
    assert 'data-testid="home-dashboard"' not in client.get("/").content.decode()


@pytest.mark.parametrize("board", ["credit", "team", "agent"])
def test_the_dashboards_read_in_a_fixed_number_of_queries(client, personas, ledger, board):
    """Set-based reads: more debtors, invoices and contacts cost no more queries."""
    user = {"credit": personas.credit_manager, "team": personas.team_leader,
            "agent": personas.agent}[board]
    client.force_login(user)
    url = f"/insights/dashboards/{board}/{personas.client_a.pk}/"
    client.get(url)  # sessions and caches warmed
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(5):
        InvoiceFactory(debtor=DebtorFactory(client=personas.client_a))
        CollectionContactFactory(case=CollectionCaseFactory(
            debtor=DebtorFactory(client=personas.client_a)), agent=personas.agent)

    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200

    assert len(after) == len(before) < 60
