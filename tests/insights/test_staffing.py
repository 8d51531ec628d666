"""The staffing forecast: Erlang C against the textbook, demand counted per day from the work in
the database, the page for team leaders and credit managers only."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import cast

import pytest
from django.urls import reverse
from django.utils import timezone

from caring.models import CaringAssignment, CaringPolicy
from caring.windows import is_business_day, window_opens
from insights import staffing
from portfolio import services as portfolio_services
from portfolio.models import Debtor, Invoice
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import DebtorFactory, InvoiceFactory
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


def a_working_monday(country: str) -> dt.date:
    """The first Monday after today that opens a whole working week in `country` (the tests lay
    work on weekdays, whatever day they run on)."""
    day = timezone.localdate() + dt.timedelta(days=1)
    while not (day.weekday() == 0 and all(
            is_business_day(day + dt.timedelta(days=k), country) for k in range(5))):
        day += dt.timedelta(days=1)
    return day


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def work(personas):
    """Client A: on day 0 (a Monday) two late courtesy calls and one planned, a case with no
    next action, a callback; on day 3 a case's next action and a promise; on Saturday (day 5) a
    promise, which the desk calls on the next Monday; client B: ten cases."""
    monday = a_working_monday(personas.client_a.country)
    debtor = DebtorFactory(client=personas.client_a)
    policy = CaringPolicyFactory(client=personas.client_a)
    for window in (monday - dt.timedelta(days=2), monday - dt.timedelta(days=1), monday):
        CourtesyCallFactory(client=personas.client_a, policy=policy, debtor=DebtorFactory(
            client=personas.client_a), window_date=window, first_due_date=monday)
    CourtesyCallFactory(client=personas.client_a, policy=policy,
                        debtor=DebtorFactory(client=personas.client_a),
                        window_date=monday + dt.timedelta(days=3), first_due_date=monday,
                        status="done")  # done: no longer work
    case = CollectionCaseFactory(debtor=debtor)
    CallbackFactory(case=case, due_at=timezone.now())
    later = CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_a),
                                  next_action_at=at_noon(monday + dt.timedelta(days=3)))
    PromiseToPayFactory(case=later, promised_date=monday + dt.timedelta(days=3))
    waiting = CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_a),
                                    next_action_at=at_noon(monday + dt.timedelta(days=60)))
    PromiseToPayFactory(case=waiting, promised_date=monday + dt.timedelta(days=5))
    CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_a), on_hold=True,
                          hold_reason="dispute pending")
    for _ in range(10):
        CollectionCaseFactory(debtor=DebtorFactory(client=personas.client_b))
    return monday


@pytest.mark.django_db
def test_the_forecast_counts_each_kind_of_work_on_its_day(personas, work):
    days = staffing.staffing_forecast(user=personas.team_leader,
                                      assumptions=staffing.Assumptions(), today=work)

    assert len(days) == 28
    first, fourth = days[0], days[3]
    assert (first.courtesy_calls, first.cases, first.callbacks, first.promises) == (3, 1, 1, 0)
    assert (fourth.courtesy_calls, fourth.cases, fourth.callbacks, fourth.promises) == (0, 1, 0,
                                                                                         1)
    assert sum(day.calls for day in days) == 8  # nothing of client B, nothing held or done
    assert first.agents_on_phone == 1 and first.agents_rostered == 2
    assert days[1].calls == 0 and days[1].agents_rostered == 0


@pytest.mark.django_db
def test_weekend_work_moves_to_the_next_business_day(personas, work):
    days = staffing.staffing_forecast(user=personas.team_leader,
                                      assumptions=staffing.Assumptions(), today=work)

    saturday, sunday, next_monday = days[5], days[6], days[7]
    assert not saturday.open and not sunday.open and next_monday.open
    assert saturday.calls == 0 and sunday.calls == 0
    assert next_monday.promises == 1


@pytest.mark.django_db
def test_late_work_seen_on_a_sunday_is_forecast_for_monday(personas, work):
    sunday = work - dt.timedelta(days=1)

    days = staffing.staffing_forecast(user=personas.team_leader,
                                      assumptions=staffing.Assumptions(), today=sunday)

    assert days[0].calls == 0 and not days[0].open
    assert days[1].courtesy_calls == 3 and days[1].callbacks == 1


def calendar_from(personas, today: dt.date) -> staffing._Calendar:
    return staffing._Calendar({personas.client_a.pk: personas.client_a.country}, today,
                              today + dt.timedelta(days=28))


@pytest.mark.django_db
def test_courtesy_calls_are_projected_on_the_day_each_window_opens(personas):
    monday = a_working_monday(personas.client_a.country)
    due = monday + dt.timedelta(days=14)
    # Five business days before (weekends and holidays skipped): caring's own calendar.
    opens = window_opens(due, 5, personas.client_a.country)
    policy = cast(CaringPolicy, CaringPolicyFactory(client=personas.client_a, days_before_due=5,
                                                    control_share=Decimal("0.5")))
    twice = DebtorFactory(client=personas.client_a)
    InvoiceFactory(debtor=twice, due_date=due)
    InvoiceFactory(debtor=twice, due_date=due)  # the same debtor and day: one call
    InvoiceFactory(debtor=DebtorFactory(client=personas.client_a), due_date=due)
    taken = cast(Invoice, InvoiceFactory(debtor=DebtorFactory(client=personas.client_a),
                                         due_date=due))
    CaringAssignment.objects.create(client=personas.client_a, policy_id=policy.pk,
                                    invoice_id=taken.pk, debtor_id=taken.debtor_id,
                                    window_date=monday, bucket=1, in_control=False)
    InvoiceFactory(debtor=DebtorFactory(client=personas.client_a, do_not_call=True,
                                        do_not_call_set_at=timezone.now()), due_date=due)
    InvoiceFactory(debtor=DebtorFactory(client=personas.client_a), due_date=due,
                   status="paid", open_balance=Decimal("0"))
    InvoiceFactory(debtor=DebtorFactory(client=personas.client_b), due_date=due)

    projected = staffing._courtesy_projected(
        CaringPolicy.objects.filter(client=personas.client_a), calendar_from(personas, monday))

    # Two debtors called, half of them kept as the control group.
    assert opens > monday
    assert projected == {(personas.client_a.pk, opens): 1.0}


def invoices_last_year(debtor, monday: dt.date, *, on_time: int, late: int) -> None:
    for k in range(on_time + late):
        due = monday - dt.timedelta(days=30 * (k + 1))
        settled = due - dt.timedelta(days=1) if k < on_time else due + dt.timedelta(days=20)
        InvoiceFactory(debtor=debtor, due_date=due, status="paid", open_balance=Decimal("0"),
                       last_settlement_on=settled)


@pytest.mark.django_db
def test_new_cases_are_weighted_by_each_debtors_late_history(personas):
    monday = a_working_monday(personas.client_a.country)
    wednesday = monday + dt.timedelta(days=2)
    punctual = DebtorFactory(client=personas.client_a)
    invoices_last_year(punctual, monday, on_time=4, late=0)
    InvoiceFactory(debtor=punctual, due_date=wednesday)
    tardy = DebtorFactory(client=personas.client_a)
    invoices_last_year(tardy, monday, on_time=0, late=3)
    InvoiceFactory(debtor=tardy, due_date=wednesday)
    InvoiceFactory(debtor=tardy, due_date=wednesday + dt.timedelta(days=7))  # its case is open
    InvoiceFactory(debtor=DebtorFactory(client=personas.client_a), due_date=monday)  # no history
    in_collection = DebtorFactory(client=personas.client_a)
    CollectionCaseFactory(debtor=in_collection)
    InvoiceFactory(debtor=in_collection, due_date=wednesday)  # joins the open case

    projected = staffing._new_cases_projected(
        Invoice.objects.filter(client=personas.client_a), calendar_from(personas, monday))

    assert projected == {
        (personas.client_a.pk, wednesday + dt.timedelta(days=1)): pytest.approx(1 / 6 + 4 / 5),
        (personas.client_a.pk, monday + dt.timedelta(days=1)): pytest.approx(1 / 2),
    }


@pytest.mark.django_db
def test_the_page_shows_the_forecast_with_edited_assumptions(client, personas, work):
    client.force_login(personas.credit_manager)

    default = client.get(reverse("insights:staffing"))
    edited = client.get(reverse("insights:staffing"), {"shrinkage": "0", "aht_seconds": "300"})

    assert default.status_code == 200 and edited.status_code == 200
    # The first business day from today carries the late work (today may be a weekend).
    first_open = next(index for index, day in enumerate(default.context["days"]) if day.open)
    assert default.context["days"][first_open].agents_rostered == 2
    assert edited.context["days"][first_open].agents_rostered == 1
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


@pytest.mark.django_db
def test_late_payments_are_read_from_the_ledger_where_no_settlement_date_is_kept(personas):
    """On PostgreSQL the settlement date comes from the ledger's triggers, on SQLite from the
    payments' value dates: the same history gives the same weight."""
    monday = a_working_monday(personas.client_a.country)
    debtor = cast(Debtor, DebtorFactory(client=personas.client_a))
    history = ((1, monday - dt.timedelta(days=60), monday - dt.timedelta(days=40)),  # late
               (2, monday - dt.timedelta(days=30), monday - dt.timedelta(days=35)))  # early
    for number, due, paid_on in history:
        InvoiceFactory(debtor=debtor, number=f"H-{number}", due_date=due)
        portfolio_services.payment_record(client=debtor.client, debtor=debtor,
                                          external_ref=f"P-{number}", amount=Decimal("100.00"),
                                          value_date=paid_on, invoice_reference=f"H-{number}")
    InvoiceFactory(debtor=debtor, due_date=monday)

    projected = staffing._new_cases_projected(
        Invoice.objects.filter(client=personas.client_a), calendar_from(personas, monday))

    # One of two paid late: (1 + 1) / (2 + 2).
    assert projected == {(personas.client_a.pk, monday + dt.timedelta(days=1)): 0.5}
