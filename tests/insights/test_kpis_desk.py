"""Promise-kept rate, the contact funnel, first-contact resolution, recontact rate, handle
time, cash recovered, cohorts, customers lost and NPS by kind, through the real SQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pytest

from experience.models import Kind, Programme, Response, Survey, Trigger
from insights.kpis import cash, contacts, nps, promises
from insights.kpis.base import KpiInputError, Period, Scope
from portfolio import services as portfolio_services
from portfolio.models import Client, CreditNote, Debtor
from recovery.models import CollectionContact, PromiseToPay
from tests.factories import (
    ClientFactory,
    DebtorFactory,
    InvoiceFactory,
    PaymentFactory,
    UserFactory,
)
from tests.recovery.factories import (
    CallbackFactory,
    CollectionCaseFactory,
    CollectionContactFactory,
    PromiseToPayFactory,
)

D = Decimal
MARCH = Period.month(2026, 3)
WHEN = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
Result = CollectionContact.AttemptResult
Party = CollectionContact.Party


@pytest.fixture
def scope(db):
    return Scope.of(ClientFactory(reporting_timezone="Europe/Rome"))


def _promise(case, status, amount="100.00", paid="0.00", **kwargs):
    return PromiseToPayFactory(case=case, status=status, amount=D(amount), paid_amount=D(paid),
                               evaluated_at=None if status in ("pending", "cancelled",
                                                               "superseded") else WHEN,
                               promised_date=kwargs.pop("promised_date", dt.date(2026, 3, 5)),
                               created_at=WHEN - dt.timedelta(days=10), **kwargs)


def test_promise_kept_rate_by_count_and_by_amount_keeps_cancelled_apart(scope):
    cases = [CollectionCaseFactory(debtor=DebtorFactory(client=scope.client)) for _ in range(6)]
    _promise(cases[0], "kept", "100.00", "100.00")
    _promise(cases[1], "partially_kept", "200.00", "50.00")
    _promise(cases[2], "broken", "100.00", "0.00")
    _promise(cases[3], "cancelled", "999.00")
    _promise(cases[4], "superseded", "999.00")
    _promise(cases[5], "kept", "100.00", "100.00", promised_date=dt.date(2026, 4, 1))  # April

    rates = promises.promise_kept(scope, MARCH)

    assert (rates["by_count"].numerator, rates["by_count"].denominator) == (1, 3)
    assert rates["by_count"].value == D("33.33")
    assert rates["by_amount"].numerator == D("150.00")  # 100 + min(50, 200) + 0
    assert rates["by_amount"].denominator == D("400.00")
    assert rates["by_count"].extra["cancelled"] == 1
    assert rates["by_count"].extra["superseded"] == 1


def test_no_judged_promise_gives_na(scope):
    case = CollectionCaseFactory(debtor=DebtorFactory(client=scope.client))
    _promise(case, "pending")

    rates = promises.promise_kept(scope, MARCH)

    assert rates["by_count"].value is None
    assert rates["by_count"].extra["pending"] == 1


def _contact(case, agent, at, **kwargs):
    return CollectionContactFactory(case=case, agent=agent, saved_at=at,
                                    opened_at=at - dt.timedelta(seconds=kwargs.pop("secs", 240)),
                                    handle_seconds=kwargs.pop("handle", 240), **kwargs)


def test_the_contact_funnel_names_its_denominators(scope):
    agent = UserFactory()
    case = CollectionCaseFactory(debtor=DebtorFactory(client=scope.client))
    _contact(case, agent, WHEN, attempt_result=Result.BUSY, party="", outcomes=[])
    _contact(case, agent, WHEN, attempt_result=Result.NO_ANSWER, party="", outcomes=[])
    _contact(case, agent, WHEN, attempt_result=Result.ANSWERED, party=Party.WRONG_PARTY,
             outcomes=[])
    _contact(case, agent, WHEN, attempt_result=Result.ANSWERED, outcomes=["promise_to_pay"])
    PromiseToPayFactory(case=case, created_at=WHEN, created_by=agent)
    other = UserFactory()
    _contact(case, other, WHEN, attempt_result=Result.ANSWERED)

    mine = contacts.contact_funnel(scope, MARCH, agent)
    everyone = contacts.contact_funnel(scope, MARCH)

    assert mine["attempts"].value == 4
    assert (mine["connect_rate"].numerator, mine["connect_rate"].denominator) == (3, 4)
    assert (mine["rpc_rate_attempts"].numerator, mine["rpc_rate_attempts"].denominator) == (1, 4)
    assert (mine["rpc_rate_live"].numerator, mine["rpc_rate_live"].denominator) == (1, 2)
    assert mine["rpc_rate_live"].value == D("50.00")
    assert mine["promises_per_rpc"].value == D("1.00")
    assert everyone["attempts"].value == 5
    assert everyone["rpcs"].value == 2


def test_first_contact_resolution_and_recontact_look_seven_days_ahead(scope):
    agent = UserFactory()
    debtor = DebtorFactory(client=scope.client)
    case = CollectionCaseFactory(debtor=debtor)
    calm = CollectionCaseFactory(debtor=DebtorFactory(client=scope.client))
    inbound = CollectionContact.Direction.INBOUND
    # Resolved, then the debtor calls back on day 3: not a first-contact resolution.
    _contact(case, agent, WHEN, outcomes=["promise_to_pay"])
    _contact(case, agent, WHEN + dt.timedelta(days=3), direction=inbound,
             outcomes=["info_only"])
    # Resolved, and the next inbound call is on day 8: resolved at first contact.
    _contact(calm, agent, WHEN, outcomes=["payment_taken"])
    _contact(calm, agent, WHEN + dt.timedelta(days=8), direction=inbound,
             outcomes=["info_only"])

    fcr = contacts.first_contact_resolution(scope, MARCH)
    recontact = contacts.recontact_rate(scope, MARCH)

    assert (fcr.numerator, fcr.denominator) == (1, 2)
    assert fcr.value == D("50.00")
    # Two inbound contacts, neither followed by another inbound one within 7 days.
    assert (recontact.numerator, recontact.denominator) == (0, 2)
    _contact(case, agent, WHEN + dt.timedelta(days=5), direction=inbound, outcomes=[])
    assert contacts.recontact_rate(scope, MARCH).numerator == 1


def test_average_handle_time_and_the_periods_time_zone(scope):
    agent = UserFactory()
    case = CollectionCaseFactory(debtor=DebtorFactory(client=scope.client))
    _contact(case, agent, WHEN, handle=200)
    _contact(case, agent, WHEN, handle=400)
    # 23:30 UTC on 31 March is 1 April in Rome: April's, not March's.
    _contact(case, agent, dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC), handle=9000)

    aht = contacts.average_handle_time(scope, MARCH)

    assert (aht.numerator, aht.denominator, aht.value) == (600, 2, D("300"))
    assert contacts.average_handle_time(scope, Period.month(2026, 4)).denominator == 1


def _callback(scope, agent, due_at, status="pending", done_after=None):
    case = CollectionCaseFactory(debtor=DebtorFactory(client=scope.client))
    return CallbackFactory(case=case, agent=agent, due_at=due_at, status=status,
                           done_at=None if done_after is None else due_at + done_after)


def test_callbacks_kept_on_time_is_the_outbound_service_level(scope):
    agent, other = UserFactory(), UserFactory()
    minutes = dt.timedelta(minutes=1)
    _callback(scope, agent, WHEN, "done", 5 * minutes)  # kept
    _callback(scope, agent, WHEN, "done", 15 * minutes)  # kept, at the edge of the grace
    _callback(scope, agent, WHEN, "done", 40 * minutes)  # late
    _callback(scope, agent, WHEN)  # never made: missed
    _callback(scope, agent, WHEN, "cancelled", 0 * minutes)  # case closed: left out
    _callback(scope, other, WHEN, "done", 2 * minutes)  # another agent's, kept
    _callback(scope, agent, dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC), "done", minutes)  # April
    # Another client's, kept:
    _callback(Scope.of(cast(Client, ClientFactory())), agent, WHEN, "done", minutes)

    desk = contacts.callbacks_on_time(scope, MARCH, now=WHEN + dt.timedelta(days=30))
    own = contacts.callbacks_on_time(scope, MARCH, agent, now=WHEN + dt.timedelta(days=30))

    assert (desk.numerator, desk.denominator, desk.value) == (3, 5, D("60.00"))
    assert (own.numerator, own.denominator) == (2, 4) and own.extra["missed"] == 1


def test_a_callback_not_yet_due_is_not_late(scope):
    agent = UserFactory()
    _callback(scope, agent, WHEN)  # due at 9:00
    _callback(scope, agent, WHEN + dt.timedelta(hours=3))  # due at noon

    at_ten = contacts.callbacks_on_time(scope, MARCH, now=WHEN + dt.timedelta(hours=1))

    assert (at_ten.numerator, at_ten.denominator, at_ten.extra["missed"]) == (0, 1, 1)


def test_cash_recovered_in_the_period_and_currency(scope):
    debtor = DebtorFactory(client=scope.client)
    PaymentFactory(debtor=debtor, amount=D("300.00"), value_date=dt.date(2026, 3, 1))
    PaymentFactory(debtor=debtor, amount=D("200.00"), value_date=dt.date(2026, 3, 31))
    PaymentFactory(debtor=debtor, amount=D("999.00"), value_date=dt.date(2026, 4, 1))
    swiss = DebtorFactory(client=ClientFactory(currency="CHF"))
    PaymentFactory(debtor=swiss, amount=D("777.00"), value_date=dt.date(2026, 3, 5))

    gross, net = cash.cash_recovered(scope, MARCH)

    assert gross.value == D("500.00")
    assert net.value == D("500.00")  # collected in-house: no fee
    assert cash.cash_recovered(Scope.of(scope.client, "CHF"), MARCH)[0].value == D("0.00")
    assert cash.cash_recovered(Scope.of(swiss.client), MARCH)[0].value == D("777.00")


def test_reversals_come_off_in_the_month_booked_and_fees_off_the_net(scope):
    debtor = cast(Debtor, DebtorFactory(client=scope.client))
    InvoiceFactory(debtor=debtor, amount=D("1000.00"), due_date=dt.date(2026, 2, 1))
    bounced, _ = portfolio_services.payment_record(
        client=scope.client, debtor=debtor, external_ref="SDD-FEB", amount=D("300.00"),
        value_date=dt.date(2026, 2, 20))
    portfolio_services.payment_record(client=scope.client, debtor=debtor, external_ref="BT-MAR",
                                      amount=D("500.00"), value_date=dt.date(2026, 3, 10))
    portfolio_services.payment_reverse(payment=bounced, booked_on=dt.date(2026, 3, 2),
                                       reason="bounced")
    Client.objects.filter(pk=scope.client.pk).update(fee_percent=D("12.50"))
    agency = Scope.of(Client.objects.get(pk=scope.client.pk))

    gross, net = cash.cash_recovered(agency, MARCH)
    february, march = cash.cash_by_month(agency, [Period.month(2026, 2), MARCH])

    assert (gross.extra["payments"], gross.extra["reversals"]) == (D("500.00"), D("300.00"))
    assert gross.value == D("200.00")
    assert (net.extra["fees"], net.value) == (D("25.00"), D("175.00"))
    assert (february, march) == (D("300.00"), D("200.00"))


def test_agent_cash_counts_payments_after_the_agents_contact(scope):
    agent = UserFactory()
    debtor = DebtorFactory(client=scope.client)
    case = CollectionCaseFactory(debtor=debtor)
    _contact(case, agent, WHEN)
    PaymentFactory(debtor=debtor, amount=D("120.00"), value_date=dt.date(2026, 3, 9))  # before
    PaymentFactory(debtor=debtor, amount=D("80.00"), value_date=dt.date(2026, 3, 12))

    assert cash.agent_cash(scope, MARCH, agent).value == D("80.00")
    assert cash.agent_cash(scope, MARCH, UserFactory()).value == D("0.00")


def test_recovery_rate_by_cohort_rebuilds_the_placed_balance(scope):
    debtor = DebtorFactory(client=scope.client)
    InvoiceFactory(debtor=debtor, amount=D("1000.00"), issue_date=dt.date(2026, 1, 1),
                   due_date=dt.date(2026, 1, 31))
    InvoiceFactory(debtor=debtor, amount=D("500.00"), issue_date=dt.date(2026, 2, 20),
                   due_date=dt.date(2026, 3, 20))  # not overdue when the case opened
    CollectionCaseFactory(debtor=debtor, opened_at=WHEN)
    PaymentFactory(debtor=debtor, amount=D("400.00"), value_date=dt.date(2026, 3, 15))
    PaymentFactory(debtor=debtor, amount=D("100.00"), value_date=dt.date(2026, 3, 1))  # before

    [cohort] = cash.recovery_by_cohort(scope, Period(dt.date(2026, 1, 1), dt.date(2026, 4, 1)))

    assert cohort.month == dt.date(2026, 3, 1)
    assert cohort.cases == 1
    assert cohort.placed == D("1000.00")
    assert cohort.recovered == D("400.00")
    assert cohort.kpi.value == D("40.00")


def test_customers_lost_counts_debtors_written_off(scope):
    debtor = DebtorFactory(client=scope.client)
    first = InvoiceFactory(debtor=debtor, amount=D("300.00"))
    second = InvoiceFactory(debtor=debtor, amount=D("200.00"))
    for n, invoice in enumerate((first, second)):
        CreditNote.objects.create(client=scope.client, invoice=invoice, number=f"WO-{n}",
                                  kind=CreditNote.Kind.WRITE_OFF, amount=invoice.amount,
                                  issue_date=dt.date(2026, 3, 10))
    CreditNote.objects.create(client=scope.client, invoice=first, number="CN-x",
                              amount=D("1.00"), issue_date=dt.date(2026, 3, 10))

    lost = cash.customers_lost(scope, MARCH)

    assert lost.value == 1
    assert lost.extra["value"] == D("500.00")


def _answers(client, kind, promoters, passives, detractors, agent=None):
    """Answers of one kind; every non-competitive answer comes from a survey sent for it."""
    scores = [10] * promoters + [8] * passives + [3] * detractors
    if kind == Kind.COMPETITIVE:
        Response.objects.bulk_create(
            Response(client=client, kind=kind, nps=score, answered_at=WHEN,
                     trigger=Trigger.MARKET_STUDY, source="Market study 2026",
                     source_ref=f"R{n}")
            for n, score in enumerate(scores))
        return
    programme, _new = Programme.objects.get_or_create(client=client, kind=kind)
    debtor = DebtorFactory(client=client)
    for score in scores:
        survey = Survey.objects.create(
            client=client, programme=programme, debtor=debtor, kind=kind,
            trigger=Trigger.COLLECTION_CONTACT, status=Survey.Status.ANSWERED, due_at=WHEN,
            agent=agent)
        Response.objects.create(client=client, kind=kind, survey=survey, debtor=debtor,
                                nps=score, answered_at=WHEN, agent=agent,
                                trigger=Trigger.COLLECTION_CONTACT)


def test_nps_by_kind_is_the_spec_vector_and_never_mixes_kinds(scope):
    _answers(scope.client, Kind.COMPETITIVE, 60, 25, 15)
    _answers(scope.client, Kind.RELATIONAL, 0, 0, 10)

    kpi = nps.nps(scope, MARCH, kind=Kind.COMPETITIVE)

    assert kpi.value == D("45.0")
    assert kpi.denominator == 100
    assert (kpi.extra["low"], kpi.extra["high"]) == (29.3, 58.0)
    assert nps.nps(scope, MARCH, kind=Kind.RELATIONAL).value == D("-100.0")
    with pytest.raises(KpiInputError, match="never combined"):
        nps.nps(scope, MARCH, kind="all")


def test_agent_nps_reads_a_rolling_window_and_flags_small_samples(scope):
    agent = UserFactory()
    _answers(scope.client, Kind.TRANSACTIONAL, 3, 0, 1, agent=agent)
    _answers(scope.client, Kind.TRANSACTIONAL, 0, 0, 5)

    kpi = nps.agent_nps(scope, agent, today=dt.date(2026, 5, 1))
    outside = nps.agent_nps(scope, agent, today=dt.date(2026, 7, 1))

    assert (kpi.value, kpi.denominator) == (D("50.0"), 4)
    assert "not_enough_answers" in kpi.flags
    assert outside.value is None


def test_a_promise_of_another_client_is_never_counted(scope):
    other = CollectionCaseFactory()
    _promise(other, "kept", "100.00", "100.00")

    assert promises.promise_kept(scope, MARCH)["by_count"].denominator == 0
    assert PromiseToPay.objects.count() == 1
