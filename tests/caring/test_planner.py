"""The planner: window, grouping, idempotency, catch-up, skips, cancellation, control group."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from caring import planning
from caring.models import CaringAssignment, CourtesyCall, CourtesyCallInvoice
from caring.windows import window_end, window_opens
from portfolio import services as portfolio_services
from portfolio.models import Invoice
from tests.caring.factories import CallableDebtorFactory as DebtorFactory
from tests.caring.factories import CaringPolicyFactory
from tests.factories import ClientFactory, InvoiceFactory
from tests.scoring.factories import DebtorScoreFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)  # an ordinary week in Italy


def _plan(day: dt.date = MONDAY) -> planning.PlanResult:
    return planning.plan_run(run_date=day, now=dt.datetime.combine(
        day, dt.time(7, 0), tzinfo=dt.UTC))


def _invoice(debtor, due: dt.date, amount: str = "100.00", **kwargs) -> Invoice:
    return InvoiceFactory(debtor=debtor, due_date=due, issue_date=due - dt.timedelta(days=30),
                          amount=Decimal(amount), **kwargs)


def test_the_window_counts_business_days_and_skips_holidays() -> None:
    # Friday 24 April 2026 + 2 business days: Saturday 25 April (Liberation Day) and Sunday
    # do not count, so Monday 27 and Tuesday 28 April do.
    assert window_end(dt.date(2026, 4, 24), 2, "IT") == dt.date(2026, 4, 28)
    # Without the holiday on a Saturday the count is the same; Easter Monday 6 April is one.
    assert window_end(dt.date(2026, 4, 3), 1, "IT") == dt.date(2026, 4, 7)
    assert window_opens(dt.date(2026, 4, 7), 1, "IT") == dt.date(2026, 4, 3)
    # A UK client keeps Easter Monday too but not Liberation Day.
    assert window_end(dt.date(2026, 4, 24), 2, "GB") == dt.date(2026, 4, 28)
    assert window_end(dt.date(2026, 4, 30), 1, "IT") == dt.date(2026, 5, 4)  # 1 May off


def test_it_plans_only_invoices_inside_the_window() -> None:
    policy = CaringPolicyFactory(days_before_due=3)
    debtor = DebtorFactory(client=policy.client)
    inside = _invoice(debtor, MONDAY + dt.timedelta(days=3))  # Thursday: 3 business days
    other = DebtorFactory(client=policy.client)
    _invoice(other, MONDAY + dt.timedelta(days=4))  # Friday: not yet
    _plan()
    call = CourtesyCall.objects.get()
    assert list(call.invoices.all()) == [inside]
    assert call.debtor == debtor


def test_several_invoices_falling_due_together_make_one_call() -> None:
    policy = CaringPolicyFactory()
    debtor = DebtorFactory(client=policy.client)
    first = _invoice(debtor, MONDAY + dt.timedelta(days=2), "100.00")
    second = _invoice(debtor, MONDAY + dt.timedelta(days=3), "250.00")
    _plan()
    call = CourtesyCall.objects.get()
    assert set(call.invoices.all()) == {first, second}
    assert call.amount == Decimal("350.00")
    assert call.first_due_date == first.due_date
    assert call.priority == Decimal("175.0000")  # unscored debtor: probability 0.5
    assert call.scheduled_at is not None


def test_running_the_planner_twice_plans_nothing_twice() -> None:
    policy = CaringPolicyFactory(control_share=Decimal("0.2"))
    for _ in range(20):
        _invoice(DebtorFactory(client=policy.client), MONDAY + dt.timedelta(days=2))
    first = _plan()
    snapshot = (CourtesyCall.objects.count(), CourtesyCallInvoice.objects.count(),
                list(CaringAssignment.objects.order_by("invoice_id")
                     .values_list("invoice_id", "in_control")))
    second = _plan()
    assert first.calls > 0 and second.calls == 0 and second.assigned == 0
    assert snapshot == (CourtesyCall.objects.count(), CourtesyCallInvoice.objects.count(),
                        list(CaringAssignment.objects.order_by("invoice_id")
                             .values_list("invoice_id", "in_control")))


def test_it_catches_up_invoices_whose_window_opened_while_it_was_not_running() -> None:
    policy = CaringPolicyFactory(days_before_due=5)
    debtor = DebtorFactory(client=policy.client)
    # Window opened the previous Monday; the planner did not run since. Due Wednesday: still time.
    late = _invoice(debtor, MONDAY + dt.timedelta(days=2))
    gone = _invoice(DebtorFactory(client=policy.client), MONDAY)  # due today: too late
    _plan()
    linked = set(CourtesyCallInvoice.objects.values_list("invoice_id", flat=True))
    assert late.pk in linked and gone.pk not in linked


def test_a_new_invoice_joins_the_debtors_planned_call_next_day() -> None:
    policy = CaringPolicyFactory(days_before_due=2)
    debtor = DebtorFactory(client=policy.client)
    _invoice(debtor, MONDAY + dt.timedelta(days=2))
    _plan()
    later = _invoice(debtor, MONDAY + dt.timedelta(days=3))
    _plan(MONDAY + dt.timedelta(days=1))
    call = CourtesyCall.objects.get()
    assert later in call.invoices.all()
    assert call.amount == Decimal("200.00")


def test_it_skips_paid_disputed_and_do_not_call() -> None:
    policy = CaringPolicyFactory()
    due = MONDAY + dt.timedelta(days=2)
    paid = _invoice(DebtorFactory(client=policy.client), due, status=Invoice.Status.PAID,
                    open_balance=Decimal("0"))
    disputed = _invoice(DebtorFactory(client=policy.client), due,
                        status=Invoice.Status.DISPUTED)
    dnc = DebtorFactory(client=policy.client, do_not_call=True,
                        do_not_call_set_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    _invoice(dnc, due)
    dead = DebtorFactory(client=policy.client, deceased=True,
                         deceased_set_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    _invoice(dead, due)
    small = CaringPolicyFactory(min_amount=Decimal("500"))  # another client, min amount
    _invoice(DebtorFactory(client=small.client), due, "499.99")
    _plan()
    assert not CourtesyCall.objects.exists()
    assert not CaringAssignment.objects.filter(invoice__in=[paid, disputed]).exists()


def test_a_paused_policy_plans_nothing() -> None:
    policy = CaringPolicyFactory(active=False)
    _invoice(DebtorFactory(client=policy.client), MONDAY + dt.timedelta(days=2))
    _plan()
    assert not CourtesyCall.objects.exists()


def test_it_calls_only_the_bands_the_policy_names() -> None:
    policy = CaringPolicyFactory(bands="DE")
    risky = DebtorFactory(client=policy.client)
    safe = DebtorFactory(client=policy.client)
    DebtorScoreFactory(debtor=risky, band="E", probability=Decimal("0.40000"))
    DebtorScoreFactory(debtor=safe, band="A", probability=Decimal("0.01000"))
    _invoice(risky, MONDAY + dt.timedelta(days=2), "1000.00")
    _invoice(safe, MONDAY + dt.timedelta(days=2))
    _plan()
    call = CourtesyCall.objects.get()
    assert call.debtor == risky
    assert call.priority == Decimal("400.0000")  # 1000 x 0.40


def test_a_segment_policy_replaces_the_general_one_for_its_debtors() -> None:
    general = CaringPolicyFactory(days_before_due=1)
    consumer_policy = CaringPolicyFactory(client=general.client, segment="consumer",
                                          days_before_due=5)
    business = DebtorFactory(client=general.client, kind="business")
    consumer = DebtorFactory(client=general.client, kind="consumer")
    _invoice(business, MONDAY + dt.timedelta(days=4))  # outside the general 1-day window
    _invoice(consumer, MONDAY + dt.timedelta(days=4))
    _plan()
    call = CourtesyCall.objects.get()
    assert (call.debtor, call.policy) == (consumer, consumer_policy)


def test_a_planned_call_is_cancelled_when_its_invoices_are_paid_or_disputed() -> None:
    policy = CaringPolicyFactory()
    paid_debtor = DebtorFactory(client=policy.client)
    disputed_debtor = DebtorFactory(client=policy.client)
    kept_debtor = DebtorFactory(client=policy.client)
    to_pay = _invoice(paid_debtor, MONDAY + dt.timedelta(days=2))
    to_dispute = _invoice(disputed_debtor, MONDAY + dt.timedelta(days=2))
    _invoice(kept_debtor, MONDAY + dt.timedelta(days=2))
    _plan()
    portfolio_services.payment_record(
        client=policy.client, debtor=paid_debtor, external_ref="P-1", amount=Decimal("100.00"),
        value_date=MONDAY, invoice_reference=to_pay.number)
    portfolio_services.invoice_dispute_open(invoice=to_dispute)
    assert planning.calls_cancel_settled() == 2
    assert planning.calls_cancel_settled() == 0
    statuses = dict(CourtesyCall.objects.values_list("debtor_id", "status"))
    assert statuses == {paid_debtor.pk: "cancelled", disputed_debtor.pk: "cancelled",
                        kept_debtor.pk: "planned"}


def test_the_control_group_is_stable_and_near_its_share() -> None:
    policy = CaringPolicyFactory(control_share=Decimal("0.10"))
    client = policy.client
    debtors = DebtorFactory.create_batch(50, client=client)
    Invoice.objects.bulk_create([
        Invoice(client=client, debtor=debtors[n % 50], number=f"CG-{n}", currency="EUR",
                issue_date=MONDAY - dt.timedelta(days=30), due_date=MONDAY + dt.timedelta(days=2),
                amount=Decimal("10.00"), open_balance=Decimal("10.00"))
        for n in range(2000)
    ])
    _plan()
    groups = dict(CaringAssignment.objects.values_list("invoice_id", "in_control"))
    share = sum(groups.values()) / len(groups)
    assert len(groups) == 2000
    assert 0.08 <= share <= 0.12
    # Control invoices are never on a call; called ones all are.
    linked = set(CourtesyCallInvoice.objects.values_list("invoice_id", flat=True))
    assert linked == {pk for pk, control in groups.items() if not control}
    # Re-planning, even after the share is edited, moves nobody.
    policy.control_share = Decimal("0.30")
    policy.save()
    _plan()
    assert dict(CaringAssignment.objects.values_list("invoice_id", "in_control")) == groups


def test_another_clients_invoices_are_planned_under_their_own_policy_only() -> None:
    policy = CaringPolicyFactory()
    other_client = ClientFactory()
    _invoice(DebtorFactory(client=other_client), MONDAY + dt.timedelta(days=2))
    _plan()
    assert not CourtesyCall.objects.exists()
    assert policy.pk


def test_debtors_under_an_account_hold_are_neither_called_nor_in_the_control_group() -> None:
    from compliance.services import hold_place

    policy = CaringPolicyFactory()
    held = DebtorFactory(client=policy.client)
    hold_place(debtor=held, kind="lawyer", starts_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    _invoice(held, MONDAY + dt.timedelta(days=2))
    _plan()
    assert not CaringAssignment.objects.exists()
    assert not CourtesyCall.objects.exists()


def test_a_planned_call_is_cancelled_when_the_debtor_is_put_on_hold() -> None:
    from compliance.services import hold_place

    policy = CaringPolicyFactory()
    debtor = DebtorFactory(client=policy.client)
    _invoice(debtor, MONDAY + dt.timedelta(days=2))
    _plan()
    hold_place(debtor=debtor, kind="cease_communication",
               starts_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert planning.calls_cancel_settled(client_id=policy.client_id) == 1


def test_each_slot_is_one_the_contact_engine_permits() -> None:
    from compliance.services import restriction_add

    policy = CaringPolicyFactory()
    debtor = DebtorFactory(client=policy.client)
    # "No calls before 14:00": the 09:00 slot is not permitted and moves to 14:00.
    restriction_add(debtor=debtor, kind="inconvenient_time", not_before=dt.time(14, 0),
                    at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    free = DebtorFactory(client=policy.client)
    _invoice(debtor, MONDAY + dt.timedelta(days=3), "900.00")
    _invoice(free, MONDAY + dt.timedelta(days=3))
    _plan()
    rome = zoneinfo.ZoneInfo("Europe/Rome")
    moved = CourtesyCall.objects.get(debtor=debtor)
    kept = CourtesyCall.objects.get(debtor=free)
    assert kept.scheduled_at is not None and moved.scheduled_at is not None
    assert kept.scheduled_at.astimezone(rome).time() < dt.time(14, 0)
    assert moved.scheduled_at.astimezone(rome).time() >= dt.time(14, 0), moved.schedule_reason
    assert moved.schedule_reason
    assert moved.destination


def test_a_debtor_without_a_number_gets_no_call_but_a_reason() -> None:
    policy = CaringPolicyFactory()
    silent = DebtorFactory(client=policy.client, phone=None)
    _invoice(silent, MONDAY + dt.timedelta(days=2))
    _plan()
    call = CourtesyCall.objects.get()
    assert call.status == "cancelled"
    assert "contact.no_destination" in call.cancel_reason


def test_a_weekend_run_plans_slots_on_the_next_business_day() -> None:
    policy = CaringPolicyFactory()
    _invoice(DebtorFactory(client=policy.client), MONDAY + dt.timedelta(days=2))
    _plan(MONDAY - dt.timedelta(days=2))  # Saturday
    call = CourtesyCall.objects.get()
    assert call.scheduled_at is not None
    assert call.scheduled_at.astimezone(zoneinfo.ZoneInfo("Europe/Rome")).date() == MONDAY



def test_small_chunks_plan_every_invoice_once_and_price_whole_calls(settings) -> None:
    settings.CARING_PLAN_CHUNK_INVOICES = 2
    policy = CaringPolicyFactory(control_share=Decimal("0.2"), seed=7)
    debtors = [DebtorFactory(client=policy.client) for _ in range(7)]
    for n in range(17):  # up to three invoices a debtor, spread over the window
        _invoice(debtors[n % 7], MONDAY + dt.timedelta(days=1 + n % 3), f"{100 + n}.00")

    result = _plan()

    assert result.chunks >= 3
    assert CaringAssignment.objects.count() == 17
    called = CaringAssignment.objects.filter(in_control=False)
    links = CourtesyCallInvoice.objects.select_related("invoice")
    assert sorted(link.invoice_id for link in links) == sorted(
        called.values_list("invoice_id", flat=True))
    calls = CourtesyCall.objects.all()
    assert sorted(call.debtor_id for call in calls) == sorted(
        set(called.values_list("debtor_id", flat=True)))
    for call in calls:  # a debtor's invoices never straddle two chunks
        mine = [link.invoice for link in links if link.call_id == call.pk]
        assert call.amount == sum(invoice.amount for invoice in mine)
        assert call.first_due_date == min(invoice.due_date for invoice in mine)
