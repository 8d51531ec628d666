"""Payment plans: instalments to the cent, approval above the client's threshold, judgement
of instalments like promises, breach, completion and renegotiation that keeps history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from access.errors import DomainError
from access.roles import Role
from recovery import plan_tasks, plans
from recovery.models import CollectionCase, Instalment, PaymentPlan
from recovery.plan_models import DEFAULT_APPROVAL_THRESHOLD, PlanPolicy
from recovery.plans import PlanTerms
from tests.factories import ClientFactory, DebtorFactory, PaymentFactory, user_with_role
from tests.recovery.factories import CollectionCaseFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 31)
MADE = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def case() -> CollectionCase:
    client = ClientFactory()
    return CollectionCaseFactory(debtor=DebtorFactory(client=client),
                                 overdue_amount=Decimal("1000.00"))


def _agent(case: CollectionCase, role: str = Role.AGENT):
    return user_with_role(role, clients=(case.client,))


def _plan(case, total="900.00", count=3, **kwargs) -> PaymentPlan:
    terms = PlanTerms(total=Decimal(total), start_date=START, instalment_count=count, **kwargs)
    return plans.payment_plan_create(case=case, by=_agent(case), terms=terms, now=MADE)


def _pay(case, amount: str, day: dt.date) -> None:
    PaymentFactory(debtor=case.debtor, client=case.client, amount=Decimal(amount),
                   value_date=day)


def _made_on(plan: PaymentPlan, when: dt.datetime = MADE) -> None:
    PaymentPlan.objects.filter(pk=plan.pk).update(created_at=when)


def test_equal_instalments_share_the_cents_first_come_first_served() -> None:
    schedule = plans.instalments_schedule(PlanTerms(total=Decimal("100.00"), start_date=START,
                                                    instalment_count=3))
    assert [a for _, _, a in schedule] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    # Monthly from the start date, the month's last day when it is shorter.
    assert [d for _, d, _ in schedule] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28),
                                           dt.date(2026, 3, 31)]


def test_a_down_payment_is_instalment_zero_and_the_rest_starts_a_month_later() -> None:
    schedule = plans.instalments_schedule(PlanTerms(
        total=Decimal("1000.01"), start_date=START, instalment_count=4,
        down_payment=Decimal("200.00")))
    assert schedule[0] == (0, START, Decimal("200.00"))
    assert [a for _, _, a in schedule[1:]] == [Decimal("200.01"), Decimal("200.00"),
                                               Decimal("200.00"), Decimal("200.00")]
    assert schedule[1][1] == dt.date(2026, 2, 28)
    assert sum(a for _, _, a in schedule) == Decimal("1000.01")


def test_it_refuses_custom_instalments_that_do_not_add_up() -> None:
    with pytest.raises(DomainError) as error:
        plans.instalments_schedule(PlanTerms(total=Decimal("300.00"), start_date=START,
                                             amounts=[Decimal("100.00"), Decimal("150.00")]))
    assert error.value.field == "amounts"


def test_it_refuses_a_total_above_the_overdue_without_a_reason(case) -> None:
    with pytest.raises(DomainError) as error:
        _plan(case, total="1200.00")
    assert error.value.code == "reason_required"
    assert not PaymentPlan.objects.exists()
    plan = _plan(case, total="1200.00", note="Late interest agreed")
    assert plan.total == Decimal("1200.00")


def test_a_plan_at_or_below_the_threshold_is_active_at_once(case) -> None:
    case.overdue_amount = DEFAULT_APPROVAL_THRESHOLD
    case.save()
    plan = _plan(case, total=str(DEFAULT_APPROVAL_THRESHOLD))
    assert plan.status == PaymentPlan.Status.ACTIVE
    assert list(plan.instalments.values_list("number", flat=True)) == [1, 2, 3]
    case.refresh_from_db()
    assert case.next_action_at is not None  # the case waits for the first instalment


def test_a_plan_above_the_clients_threshold_waits_for_a_team_leader(case) -> None:
    PlanPolicy.objects.create(client=case.client, approval_threshold=Decimal("500.00"))
    plan = _plan(case, total="900.00")
    assert plan.status == PaymentPlan.Status.PENDING_APPROVAL
    with pytest.raises(DomainError):
        plans.payment_plan_approve(plan=plan, by=_agent(case))  # an agent may not
    with pytest.raises(DomainError) as error:
        plans.payment_plan_approve(plan=plan, by=plan.created_by)
    assert error.value.code in {"forbidden", "four_eyes"}
    leader = _agent(case, Role.TEAM_LEADER)
    plan = plans.payment_plan_approve(plan=plan, by=leader)
    assert (plan.status, plan.approved_by) == (PaymentPlan.Status.ACTIVE, leader)


def test_it_refuses_a_second_plan_on_a_case(case) -> None:
    _plan(case)
    with pytest.raises(DomainError) as error:
        _plan(case)
    assert error.value.code == "plan_exists"


def test_instalments_are_judged_like_promises_from_payments_after_the_plan(case) -> None:
    plan = _plan(case, total="300.00", count=3)  # 100 on 31 Jan, 28 Feb, 31 Mar
    _made_on(plan)
    _pay(case, "500.00", dt.date(2026, 1, 10))  # before the plan: does not count
    _pay(case, "100.00", dt.date(2026, 2, 2))  # inside the first grace days
    _pay(case, "40.00", dt.date(2026, 3, 1))

    counts = plans.instalments_evaluate(as_of=dt.date(2026, 3, 5))

    rows = list(plan.instalments.order_by("number").values_list("status", "paid_amount"))
    assert rows == [("kept", Decimal("100.00")), ("partially_kept", Decimal("40.00")),
                    ("pending", Decimal("0"))]
    assert counts["instalment_kept"] == 1
    # Running again judges nothing twice.
    assert plans.instalments_evaluate(as_of=dt.date(2026, 3, 5)).get("instalment_kept", 0) == 0


def test_two_missed_instalments_breach_the_plan_and_put_the_case_at_the_top(case) -> None:
    plan = _plan(case, total="300.00", count=3)
    _made_on(plan)
    other = CollectionCaseFactory(client=case.client, debtor=DebtorFactory(client=case.client),
                                  overdue_amount=Decimal("999999.00"))
    plans.instalments_evaluate(as_of=dt.date(2026, 2, 10))
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.ACTIVE  # one missed: not yet

    plans.instalments_evaluate(as_of=dt.date(2026, 3, 5))

    plan.refresh_from_db()
    case.refresh_from_db()
    assert plan.status == PaymentPlan.Status.BREACHED and plan.closed_at is not None
    assert case.next_action_at is None
    assert "plan_breached" in [r["code"] for r in case.priority_reasons]
    assert list(CollectionCase.objects.filter(pk__in=[case.pk, other.pk])
                .order_by("-priority").values_list("pk", flat=True)) == [case.pk, other.pk]


def test_one_instalment_unpaid_long_after_its_date_breaches_the_plan(case) -> None:
    PlanPolicy.objects.create(client=case.client, breach_missed_instalments=5,
                              breach_days_late=10)
    plan = _plan(case, total="300.00", count=3)
    _made_on(plan)
    plans.instalments_evaluate(as_of=dt.date(2026, 2, 6))
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.ACTIVE
    plans.instalments_evaluate(as_of=dt.date(2026, 2, 12))  # 12 days after 31 Jan
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.BREACHED


def test_a_plan_whose_instalments_were_all_kept_is_completed(case) -> None:
    plan = _plan(case, total="200.00", count=2)
    _made_on(plan)
    _pay(case, "200.00", dt.date(2026, 1, 30))
    plan_tasks.instalments_evaluate_task(run_date="2026-03-10")
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.COMPLETED
    assert set(plan.instalments.values_list("status", flat=True)) == {"kept"}


def test_renegotiation_keeps_the_old_plan_and_its_judged_instalments(case) -> None:
    plan = _plan(case, total="300.00", count=3)
    _made_on(plan)
    plans.instalments_evaluate(as_of=dt.date(2026, 2, 10))
    agent = _agent(case)

    new = plans.payment_plan_renegotiate(
        plan=plan, by=agent, terms=PlanTerms(total=Decimal("300.00"),
                                             start_date=dt.date(2026, 3, 1),
                                             instalment_count=6))

    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.RENEGOTIATED
    assert new.supersedes == plan and new.status == PaymentPlan.Status.ACTIVE
    assert plan.instalments.get(number=1).status == Instalment.Status.BROKEN
    assert new.instalments.count() == 6
    with pytest.raises(DomainError):
        plans.payment_plan_renegotiate(plan=plan, by=agent, terms=PlanTerms(
            total=Decimal("300.00"), start_date=START, instalment_count=2))


def test_a_cancelled_plan_needs_a_reason_and_frees_the_case(case) -> None:
    plan = _plan(case)
    agent = _agent(case)
    with pytest.raises(DomainError):
        plans.payment_plan_cancel(plan=plan, by=agent, reason=" ")
    plan = plans.payment_plan_cancel(plan=plan, by=agent, reason="Debtor paid in full")
    assert plan.status == PaymentPlan.Status.CANCELLED
    assert _plan(case).status == PaymentPlan.Status.ACTIVE


def test_an_outsider_cannot_plan_on_another_clients_case(case) -> None:
    outsider = user_with_role(Role.TEAM_LEADER, clients=(ClientFactory(),))
    with pytest.raises(DomainError) as error:
        plans.payment_plan_create(case=case, by=outsider, terms=PlanTerms(
            total=Decimal("100.00"), start_date=START, instalment_count=1),
            now=timezone.now())
    assert error.value.code == "forbidden"
