"""The experience reports' API: one kind per call, scoped, documented."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.experience.scenario import answer, case_with_cash

pytestmark = pytest.mark.django_db

NPS = "/api/v1/experience-reports/nps/"
STRATEGIES = "/api/v1/experience-reports/strategies/"
PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture
def answered(personas):
    case = case_with_cash(client=personas.client_a, cash=("30.00",))
    for score in (10, 9, 2):
        answer(case=case, nps=score, ces=6)
    answer(case=case, nps=10, kind="relational")
    other = case_with_cash(client=personas.client_b, cash=("999.00",))
    answer(case=other, nps=0)
    return case


@pytest.mark.parametrize("query", [{}, {"kind": "all"}, {"kind": ""}])
def test_an_nps_without_one_kind_is_refused(client, personas, answered, query):
    client.force_login(personas.credit_manager)

    response = client.get(NPS, {**PERIOD, **query})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "kind"
    assert "never combined" in error["message"]


def test_the_nps_of_one_kind_with_its_cohort(client, personas, answered):
    client.force_login(personas.team_leader)

    body = client.get(NPS, {**PERIOD, "kind": "transactional", "group": "strategy"}).json()

    overall = body["overall"]
    assert overall["nps"]["n"] == 3
    assert overall["nps"]["score"] == pytest.approx(100 / 3)
    assert overall["nps"]["enough"] is False
    assert overall["nps"]["interval_low"] < overall["nps"]["score"] < overall["nps"][
        "interval_high"]
    assert overall["ces"]["mean"] == 6
    assert overall["cohort"] == [{"currency": "EUR", "cases": 1, "cash_recovered": "30.00",
                                  "placed_balance": "130.00",
                                  "recovery_rate": pytest.approx(30 / 130),
                                  "customers_lost": 0, "customers_lost_value": "0.00"}]
    assert [group["key"] for group in body["groups"]] == ["empathetic"]


def test_the_month_breakdown_names_months(client, personas, answered):
    client.force_login(personas.team_leader)

    body = client.get(NPS, {**PERIOD, "kind": "transactional", "group": "month"}).json()

    assert [group["key"] for group in body["groups"]] == ["2026-03"]


def test_a_client_viewer_sees_their_client_and_cannot_name_another(client, personas, answered):
    client.force_login(personas.viewer_b)

    mine = client.get(NPS, {**PERIOD, "kind": "transactional"}).json()
    other = client.get(NPS, {**PERIOD, "kind": "transactional",
                             "client": personas.client_a.pk})

    assert mine["overall"]["nps"]["n"] == 1 and mine["overall"]["nps"]["score"] == -100
    assert other.status_code == 400
    assert other.json()["error"]["field"] == "client"


def test_agents_are_refused(client, personas):
    client.force_login(personas.agent)

    assert client.get(NPS, {"kind": "transactional"}).status_code == 403
    assert client.get(STRATEGIES).status_code == 403


def test_the_strategy_comparison(client, personas, answered):
    client.force_login(personas.credit_manager)

    body = client.get(STRATEGIES, PERIOD).json()

    rows = {row["strategy"]: row for row in body["strategies"]}
    assert rows["empathetic"]["cases"] == 1
    assert rows["empathetic"]["money"][0]["cash_recovered"] == "30.00"
    assert rows["standard"]["cases"] == 0
    assert {c["measure"] for c in body["comparisons"]} == {
        "promise_kept_rate", "customers_lost_rate", "nps", "cash_rate"}
    assert all(not c["clear"] for c in body["comparisons"])


def test_a_bad_period_is_refused(client, personas):
    client.force_login(personas.credit_manager)

    response = client.get(STRATEGIES, {"start": "2026-03-01", "end": "2026-01-01"})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "start"


def test_the_schema_documents_the_required_kind():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operation = schema["paths"][NPS]["get"]
    kind = next(p for p in operation["parameters"] if p["name"] == "kind")
    assert kind["required"] is True
    assert set(operation["responses"]) >= {"200", "400", "403"}


def test_the_breakdown_costs_the_same_queries_for_more_agents(client, personas, answered):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    client.force_login(personas.team_leader)
    query = {**PERIOD, "kind": "transactional", "group": "agent"}
    answer(case=answered, agent=UserFactory(), nps=7)
    with CaptureQueriesContext(connection) as few:
        client.get(NPS, query)
    for _n in range(5):
        answer(case=case_with_cash(client=personas.client_a, cash=("10.00",)),
               agent=UserFactory(), nps=9)
    with CaptureQueriesContext(connection) as many:
        body = client.get(NPS, query).json()

    assert len(body["groups"]) == 7  # six agents and the answers without one
    assert len(many) == len(few)


def test_a_month_is_read_in_the_clients_time_zone(client, personas):
    # 00:30 in Rome on 1 March is still 28 February in UTC.
    import datetime as dt
    import zoneinfo

    case = case_with_cash(client=personas.client_a, cash=("10.00",))
    answer(case=case, nps=9, when=dt.datetime(2026, 3, 1, 0, 30,
                                              tzinfo=zoneinfo.ZoneInfo("Europe/Rome")))
    client.force_login(personas.team_leader)

    body = client.get(NPS, {**PERIOD, "kind": "transactional", "group": "month",
                            "client": personas.client_a.pk}).json()

    assert [group["key"] for group in body["groups"]] == ["2026-03"]
