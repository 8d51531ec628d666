"""The experience report: NPS by kind beside the cash of the same cohort, aggregated in SQL,
scoped to the reader's clients."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from access.errors import DomainError
from access.models import Team, TeamMembership
from experience import reports
from experience.cohorts import cohort_by
from experience.models import Response
from tests.experience.scenario import WHEN, answer, case_with_cash
from tests.factories import PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db

ROME = zoneinfo.ZoneInfo("Europe/Rome")  # the agent key does not depend on the zone


def _report(user, **kwargs):
    kwargs.setdefault("start", dt.date(2026, 1, 1))
    kwargs.setdefault("end", dt.date(2026, 3, 31))
    return reports.report_filter_build(user=user, **kwargs)


@pytest.fixture
def scene(personas):
    """Two agents of client A; case 1 (empathetic) recovered 30 of 130 and was answered three
    times by one debtor; case 2 (standard) recovered 20 and was written off for 80."""
    anna, bruno = UserFactory(first_name="Anna", last_name="Rossi"), UserFactory(
        first_name="Bruno", last_name="Verdi")
    client = personas.client_a
    one = case_with_cash(client=client, strategy="empathetic", cash=("30.00",))
    PaymentFactory(debtor=one.debtor, amount=Decimal("7.00"), value_date=dt.date(2026, 2, 1))
    two = case_with_cash(client=client, strategy="standard", cash=("20.00",),
                         written_off="80.00")
    for score in (10, 9, 3):
        answer(case=one, agent=anna, nps=score, ces=6, csat=5,
               comment="Operatore gentile, mi ha ascoltato")
    answer(case=two, agent=bruno, nps=6, ces=2, csat=2, comment="Troppe chiamate, maleducato",
           when=WHEN - dt.timedelta(days=40))
    answer(case=one, agent=anna, nps=10, kind="relational")
    other = case_with_cash(client=personas.client_b, cash=("999.00",))
    answer(case=other, agent=bruno, nps=0)
    return {"anna": anna, "bruno": bruno, "one": one, "two": two}


def test_the_overall_transactional_nps_counts_each_category(personas, scene):
    report = _report(personas.team_leader, kind="transactional")
    answers = reports.answers_in_scope(user=personas.team_leader, report=report)

    overall = reports.nps_overall(answers, zone=report.zone)

    # 10, 9 promoters; 3, 6 detractors: NPS 0 over 4 answers; B's 0 and A's relational 10 out.
    assert (overall.nps.promoters, overall.nps.passives, overall.nps.detractors) == (2, 0, 2)
    assert overall.nps.score == 0
    assert not overall.nps.enough
    assert overall.nps.interval is not None
    assert overall.ces.mean == pytest.approx((6 * 3 + 2) / 4)
    assert overall.ces.top_share == pytest.approx(3 / 4)
    assert overall.csat.top_share == pytest.approx(3 / 4)


def test_the_cohort_counts_each_case_once_and_only_cash_since_it_opened(personas, scene):
    report = _report(personas.team_leader, kind="transactional")
    answers = reports.answers_in_scope(user=personas.team_leader, report=report)

    [figures] = reports.nps_overall(answers, zone=report.zone).cohort

    assert figures.currency == "EUR"
    assert figures.cases == 2
    assert figures.cash_recovered == Decimal("50.00")  # 30 + 20; the 7 paid before opening out
    assert figures.placed_balance == Decimal("230.00")  # (30 + 100 overdue) + (20 + 80 written off)
    assert figures.customers_lost == 1
    assert figures.customers_lost_value == Decimal("80.00")
    assert figures.recovery_rate == pytest.approx(50 / 230)


def test_per_agent_rows_carry_their_own_cohort(personas, scene):
    report = _report(personas.team_leader, kind="transactional")
    answers = reports.answers_in_scope(user=personas.team_leader, report=report)

    rows = {row.label: row for row in reports.nps_breakdown(answers, "agent", zone=report.zone)}

    assert rows["Anna Rossi"].nps.n == 3
    assert rows["Anna Rossi"].nps.score == pytest.approx(100 * (2 - 1) / 3)
    assert rows["Anna Rossi"].cohort[0].cash_recovered == Decimal("30.00")
    assert rows["Anna Rossi"].cohort[0].customers_lost == 0
    assert rows["Bruno Verdi"].cohort[0].customers_lost_value == Decimal("80.00")


def test_rolling_windows_end_at_the_period_end(personas, scene):
    report = _report(personas.team_leader, kind="transactional", end=dt.date(2026, 3, 2))

    rows = {row.label: row for row in reports.agent_windows(user=personas.team_leader,
                                                            report=report)}

    # Bruno's answer is 40 days before WHEN: in the 90-day window, not in the 30-day one.
    assert rows["Bruno Verdi"].windows[90].n == 1
    assert rows["Bruno Verdi"].windows[30].n == 0
    assert rows["Anna Rossi"].windows[30].n == 3


def test_strategy_month_team_and_client_breakdowns(personas, scene):
    team = Team.objects.create(name="Milano Nord")
    TeamMembership.objects.create(team=team, user=scene["anna"])
    report = _report(personas.team_leader, kind="transactional")
    answers = reports.answers_in_scope(user=personas.team_leader, report=report)

    strategies = {row.key: row for row in reports.nps_breakdown(answers, "strategy",
                                                                zone=report.zone)}
    months = reports.nps_breakdown(answers, "month", zone=report.zone)
    teams = {row.label: row.nps.n for row in reports.nps_breakdown(answers, "team",
                                                                   zone=report.zone)}
    clients = reports.nps_breakdown(answers, "client", zone=report.zone)

    assert strategies["empathetic"].nps.n == 3
    assert strategies["standard"].cohort[0].customers_lost == 1
    assert [row.nps.n for row in months] == [1, 3]  # January, then March
    assert teams == {"Milano Nord": 3, "No team": 1}
    assert [row.label for row in clients] == [personas.client_a.name]


def test_comment_themes_are_counted_with_samples(personas, scene):
    report = _report(personas.team_leader, kind="transactional")
    answers = reports.answers_in_scope(user=personas.team_leader, report=report)

    total, themes = reports.comment_themes(answers)

    counts = {row.key: row.count for row in themes}
    assert total == 4
    assert counts == {"empathy": 3, "pressure": 1}
    pressure = next(row for row in themes if row.key == "pressure")
    assert pressure.samples == ["Troppe chiamate, maleducato"]


@pytest.mark.parametrize("kind", [None, "", "all"])
def test_a_report_across_kinds_is_refused(personas, kind):
    with pytest.raises(DomainError) as refused:
        _report(personas.team_leader, kind=kind, kind_required=True)

    assert refused.value.code == "one_kind_only"
    assert "never combined" in refused.value.message


def test_each_kind_is_its_own_block(personas, scene):
    report = _report(personas.team_leader)

    blocks = {block.kind: block.overall.nps.n
              for block in reports.kind_blocks(user=personas.team_leader, report=report)}

    assert blocks == {"transactional": 4, "relational": 1, "competitive": 0}


def test_a_client_viewer_reads_only_their_client_and_cannot_name_another(personas, scene):
    report = _report(personas.viewer_b, kind="transactional")
    answers = reports.answers_in_scope(user=personas.viewer_b, report=report)

    assert list(answers.values_list("nps", flat=True)) == [0]
    with pytest.raises(DomainError) as refused:
        _report(personas.viewer_b, kind="transactional", client_id=personas.client_a.pk)
    assert refused.value.code == "not_found"


def test_a_period_that_ends_before_it_starts_is_refused(personas):
    with pytest.raises(DomainError, match="starts after it ends"):
        _report(personas.team_leader, start=dt.date(2026, 3, 1), end=dt.date(2026, 2, 1))


def test_agents_do_not_read_the_reports(personas):
    assert not reports.may_read_reports(personas.agent)
    assert reports.may_read_reports(personas.team_leader)
    assert reports.may_read_reports(personas.viewer_a)


def test_answers_without_an_agent_share_one_cohort_row_per_case(personas, scene):
    for score in (8, 9):
        answer(case=scene["one"], agent=None, nps=score)

    cohorts = cohort_by(Response.objects.filter(agent__isnull=True, client=personas.client_a),
                        reports._key("agent", ROME))

    assert cohorts[0][0].cases == 1


def test_the_breakdown_reads_in_a_fixed_number_of_queries(personas, scene,
                                                          django_assert_num_queries):
    report = _report(personas.team_leader, kind="transactional")
    answers = reports.answers_in_scope(user=personas.team_leader, report=report)
    reports.nps_breakdown(answers, "agent", zone=report.zone)  # warms the user's access cache

    with django_assert_num_queries(3):  # figures, cohort, names
        reports.nps_breakdown(answers, "agent", zone=report.zone)


# --- the pages ------------------------------------------------------------------------------

PAGE = "/experience/reports/nps/"
STRATEGY_PAGE = "/experience/reports/strategies/"
PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}


def test_the_page_shows_each_kind_apart_and_the_cash_beside_the_nps(client, personas, scene):
    client.force_login(personas.team_leader)

    response = client.get(PAGE, PERIOD)

    body = response.content.decode()
    assert response.status_code == 200
    for kind in ("transactional", "relational", "competitive"):
        assert f'data-testid="kind-{kind}"' in body
    assert "not enough answers" in body
    assert "Anna Rossi" in body and "Bruno Verdi" in body
    assert "€50.00" in body  # the cohort's cash recovered
    assert "€80.00" in body  # the customer lost, by value
    assert "Felt pressured or treated rudely" in body
    assert "keyword lexicon, see docs" in body
    assert "Troppe chiamate, maleducato" in body


def test_the_page_reads_in_italian_with_italian_numbers(client, personas, scene):
    client.force_login(personas.team_leader)

    body = client.get("/it" + PAGE, PERIOD).content.decode()

    assert "risposte insufficienti" in body
    assert "50,00\u00a0€" in body
    assert "Sentito sotto pressione o trattato male" in body
    assert "NPS Transazionale in dettaglio" in body


@pytest.mark.parametrize("query", [{"kind": "all"}, {"kind": "nps"}, {"start": "yesterday"},
                                   {"start": "2026-04-01", "end": "2026-01-01"}])
def test_a_bad_request_is_a_400_naming_the_problem(client, personas, query):
    client.force_login(personas.credit_manager)

    response = client.get(PAGE, query)

    assert response.status_code == 400
    assert 'data-testid="bad-request"' in response.content.decode()


def test_a_combined_kind_is_refused_in_plain_words(client, personas):
    client.force_login(personas.credit_manager)

    body = client.get(PAGE, {"kind": "all"}).content.decode()

    assert "NPS kinds are never combined" in body


def test_a_client_viewer_sees_only_their_own_answers(client, personas, scene):
    client.force_login(personas.viewer_b)

    body = client.get(PAGE, PERIOD).content.decode()
    refused = client.get(PAGE, {**PERIOD, "client": personas.client_a.pk})

    assert "Anna Rossi" not in body
    assert "€50.00" not in body
    assert personas.client_a.name not in body
    assert refused.status_code == 400


def test_agents_may_not_open_the_reports(client, personas):
    client.force_login(personas.agent)

    assert client.get(PAGE).status_code == 403
    assert client.get(STRATEGY_PAGE).status_code == 403


def test_the_strategy_page_shows_each_strategy_and_no_verdict_without_evidence(
        client, personas, scene):
    client.force_login(personas.credit_manager)

    response = client.get(STRATEGY_PAGE, PERIOD)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="strategy-empathetic"' in body
    assert 'data-testid="strategy-standard"' in body
    assert "No clear difference yet" in body or "Not enough data" in body
    assert "recovers more cash" not in body
