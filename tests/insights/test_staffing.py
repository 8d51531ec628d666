"""The staffing forecast: Erlang C against the textbook, demand counted per day from the work in
the database, the page for team leaders and credit managers only."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.urls import reverse
from django.utils import timezone

from insights import staffing
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import DebtorFactory
from tests.recovery.factories import CallbackFactory, CollectionCaseFactory, PromiseToPayFactory


# The textbook example (Erlang C, as in the call-centre planning primers): 100 calls in half an
# hour, 3 minutes' handle time -> 10 Erlangs; target 80% answered within 20 s.
def test_erlang_c_gives_the_textbook_probability_of_waiting():
    assert erlang_c_rounded(11) == 0.6821
    assert erlang_c_rounded(13) == 0.2853
    assert staffing.erlang_c(10, 10) == 1.0  # as many agents as Erlangs: every call waits


def erlang_c_rounded(agents: int) -> float:
    return round(staffing.erlang_c(agents, 10.0), 4)


def test_the_textbook_example_needs_fourteen_agents_and_twenty_with_shrinkage():
    level_13 = staffing.service_level(13, 10.0, aht_seconds=180, answer_seconds=20)
    level_14 = staffing.service_level(14, 10.0, aht_seconds=180, answer_seconds=20)
    assert round(level_13, 3) == 0.796 and round(level_14, 3) == 0.888

    agents = staffing.agents_needed(200, aht_seconds=180, target=0.80, answer_seconds=20)

    assert agents == 14
    assert math.ceil(agents / (1 - 0.30)) == 20


def test_no_calls_need_no_agents():
    assert staffing.agents_needed(0, aht_seconds=240, target=0.8, answer_seconds=20) == 0


def test_erlang_c_stays_finite_for_a_large_desk():
    agents = staffing.agents_needed(6000, aht_seconds=240, target=0.95, answer_seconds=20)
    assert 400 < agents < 440  # 400 Erlangs


@pytest.fixture
def work(personas):
    """Client A: on day 0 (today) two late courtesy calls and one planned, a case with no next
    action, a callback; on day 3 a case's next action and a promise; client B: ten cases."""
    today = timezone.localdate()
    debtor = DebtorFactory(client=personas.client_a)
    policy = CaringPolicyFactory(client=personas.client_a)
    for window in (today - dt.timedelta(days=2), today - dt.timedelta(days=1), today):
        CourtesyCallFactory(client=personas.client_a, policy=policy, debtor=DebtorFactory(
            client=personas.client_a), window_date=window, first_due_date=today)
    CourtesyCallFactory(client=personas.client_a, policy=policy,
                        debtor=DebtorFactory(client=personas.client_a),
                        window_date=today + dt.timedelta(days=3), first_due_date=today,
                        status="done")  # done: no longer work
    case = CollectionCaseFactory(debtor=debtor)
    CallbackFactory(case=case, due_at=timezone.now())
    later = CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_a),
                                  next_action_at=timezone.now() + dt.timedelta(days=3))
    PromiseToPayFactory(case=later, promised_date=today + dt.timedelta(days=3))
    CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_a), on_hold=True,
                          hold_reason="dispute pending")
    for _ in range(10):
        CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_b))
    return today


@pytest.mark.django_db
def test_the_forecast_counts_each_kind_of_work_on_its_day(personas, work):
    days = staffing.staffing_forecast(user=personas.team_leader,
                                      assumptions=staffing.Assumptions(), today=work)

    assert len(days) == 28
    first, fourth = days[0], days[3]
    assert (first.courtesy_calls, first.cases, first.callbacks, first.promises) == (3, 1, 1, 0)
    assert (fourth.courtesy_calls, fourth.cases, fourth.callbacks, fourth.promises) == (0, 1, 0,
                                                                                         1)
    assert sum(day.calls for day in days) == 7  # nothing of client B, nothing held or done
    assert first.agents_on_phone == 1 and first.agents_rostered == 2
    assert days[1].calls == 0 and days[1].agents_rostered == 0


@pytest.mark.django_db
def test_the_page_shows_the_forecast_with_edited_assumptions(client, personas, work):
    client.force_login(personas.credit_manager)

    default = client.get(reverse("insights:staffing"))
    edited = client.get(reverse("insights:staffing"), {"shrinkage": "0", "aht_seconds": "300"})

    assert default.status_code == 200 and edited.status_code == 200
    assert default.context["days"][0].agents_rostered == 2
    assert edited.context["days"][0].agents_rostered == 1
    assert 'data-testid="staffing-table"' in default.content.decode()
    assert "staffing-chart-data" in default.content.decode()


@pytest.mark.django_db
def test_a_bad_assumption_is_refused_naming_the_field(client, personas):
    client.force_login(personas.team_leader)

    response = client.get(reverse("insights:staffing"), {"shrinkage": "95", "aht_seconds": "x"})

    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="staffing-error"' in body
    assert "less than or equal to 80" in body
    assert "Enter a whole number" in body


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent", "committee", "viewer_a"])
def test_the_forecast_is_for_team_leaders_and_credit_managers(client, personas, who):
    client.force_login(getattr(personas, who))

    assert client.get(reverse("insights:staffing")).status_code == 403
