"""Working the calls: claim before you act, and each outcome's side effect."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from access.errors import DomainError
from access.roles import Role
from caring import services
from caring.models import CaringPolicy, CaringTask, CourtesyCall, CourtesyCallInvoice
from portfolio.models import ContactPoint, Invoice
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory, user_with_role

pytestmark = pytest.mark.django_db


def _call_with_invoices(client, count: int = 2, **kwargs) -> CourtesyCall:
    policy = (CaringPolicy.objects.filter(client=client).first()
              or CaringPolicyFactory(client=client, max_attempts=2))
    debtor = DebtorFactory(client=client)
    call = CourtesyCallFactory(debtor=debtor, policy=policy,
                               scheduled_at=timezone.now() - dt.timedelta(minutes=5), **kwargs)
    for _ in range(count):
        invoice = InvoiceFactory(debtor=debtor, due_date=dt.date(2026, 3, 9))
        CourtesyCallInvoice.objects.create(client=client, call=call, invoice=invoice,
                                           linked_on=call.window_date)
    return call


def test_two_agents_claim_the_same_call_and_only_one_wins(personas) -> None:
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    call = _call_with_invoices(personas.client_a)
    services.call_claim(call=call, user=personas.agent)
    with pytest.raises(DomainError) as refused:
        services.call_claim(call=call, user=other)
    assert refused.value.code == "already_claimed"
    call.refresh_from_db()
    assert (call.status, call.claimed_by) == (CourtesyCall.Status.IN_PROGRESS, personas.agent)


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_from_two_threads_have_one_winner(
        postgres_only, rule_packs_restored_at_end) -> None:
    from access.models import Membership  # noqa: F401 (imported for the factories' side)
    from tests.factories import ClientFactory

    client = ClientFactory()
    agents = [user_with_role(Role.AGENT, clients=(client,), username=f"racer{n}")
              for n in range(2)]
    call = _call_with_invoices(client)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(user) -> None:
        barrier.wait()
        try:
            services.call_claim(call=CourtesyCall.objects.get(pk=call.pk), user=user)
            results.append("won")
        except DomainError:
            results.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["lost", "won"]


def test_an_abandoned_claim_can_be_taken_over(personas) -> None:
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    call = _call_with_invoices(personas.client_a)
    services.call_claim(call=call, user=personas.agent,
                        now=timezone.now() - dt.timedelta(hours=1))
    services.call_claim(call=call, user=other)
    call.refresh_from_db()
    assert call.claimed_by == other


def _work(call, user, outcome, **kwargs) -> CourtesyCall:
    services.call_claim(call=call, user=user)
    return services.call_outcome_record(call=call, user=user, outcome=outcome, **kwargs)


def test_an_outcome_needs_the_call_claimed_by_the_agent(personas) -> None:
    call = _call_with_invoices(personas.client_a)
    with pytest.raises(DomainError):
        services.call_outcome_record(call=call, user=personas.agent, outcome="received_ok")


def test_received_and_correct_closes_the_call(personas) -> None:
    call = _work(_call_with_invoices(personas.client_a), personas.agent, "received_ok")
    assert (call.status, call.outcome, call.attempts) == ("done", "received_ok", 1)
    assert call.claimed_by is None and call.completed_at is not None


@pytest.mark.parametrize(("outcome", "kind"), [("not_received", "resend"),
                                               ("data_wrong", "correct")])
def test_not_received_and_data_wrong_open_a_task_per_invoice(personas, outcome, kind) -> None:
    call = _work(_call_with_invoices(personas.client_a), personas.agent, outcome)
    tasks = CaringTask.objects.filter(call=call)
    assert tasks.count() == 2
    assert {task.kind for task in tasks} == {kind}


def test_a_dispute_puts_the_invoices_on_hold(personas) -> None:
    call = _work(_call_with_invoices(personas.client_a), personas.agent, "dispute")
    assert set(call.invoices.values_list("status", flat=True)) == {Invoice.Status.DISPUTED}
    assert call.status == "done"


def test_a_confirmed_payment_date_is_kept(personas) -> None:
    call = _work(_call_with_invoices(personas.client_a), personas.agent, "payment_date",
                 payment_date=dt.date(2026, 3, 8))
    assert call.payment_date == dt.date(2026, 3, 8)
    with pytest.raises(DomainError) as refused:
        _work(_call_with_invoices(personas.client_a), personas.agent, "payment_date")
    assert refused.value.field == "payment_date"


def test_a_callback_is_scheduled_for_the_same_agent(personas) -> None:
    when = timezone.now() + dt.timedelta(days=1)
    call = _work(_call_with_invoices(personas.client_a), personas.agent, "callback",
                 callback_at=when)
    assert (call.status, call.scheduled_at, call.assigned_to) == ("planned", when,
                                                                  personas.agent)
    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    with pytest.raises(DomainError):
        services.call_claim(call=call, user=other)


def test_unreachable_is_retried_until_the_maximum_attempts(personas) -> None:
    call = _call_with_invoices(personas.client_a)  # policy allows 2 attempts
    before = timezone.now()
    call = _work(call, personas.agent, "unreachable")
    assert (call.status, call.attempts) == ("planned", 1)
    assert call.scheduled_at is not None
    assert call.scheduled_at >= before + dt.timedelta(hours=3)
    call.scheduled_at = timezone.now()
    call.save()
    call = _work(call, personas.agent, "unreachable")
    assert (call.status, call.attempts) == ("failed", 2)


def test_every_outcome_is_logged_as_an_attempt_in_the_contact_engine(personas) -> None:
    from compliance.models import ContactAttempt

    call = _call_with_invoices(personas.client_a)
    _work(call, personas.agent, "unreachable")
    attempt = ContactAttempt.objects.get(debtor=call.debtor)
    assert (attempt.channel, attempt.result, attempt.agent) == ("call", "no_answer",
                                                                personas.agent)
    assert sorted(attempt.invoice_ids) == sorted(call.links.values_list("invoice_id", flat=True))


def test_a_wrong_number_closes_the_call(personas) -> None:
    call = _work(_call_with_invoices(personas.client_a), personas.agent, "wrong_number")
    assert (call.status, call.outcome) == ("done", "wrong_number")


def _phones(call: CourtesyCall, *numbers: str) -> list[ContactPoint]:
    return [ContactPointFactory(debtor=call.debtor, value=number) for number in numbers]


def test_a_wrong_number_is_flagged_and_the_call_closes_when_no_other_number_is_left(
        personas) -> None:
    call = _call_with_invoices(personas.client_a)
    (only,) = _phones(call, "+390212345678")

    call = _work(call, personas.agent, "wrong_number")

    only.refresh_from_db()
    assert only.wrong_number_at is not None and only.wrong_number_by == personas.agent
    assert (call.status, call.destination) == ("done", "")


def test_after_a_wrong_number_the_debtors_other_number_is_tried(personas) -> None:
    call = _call_with_invoices(personas.client_a)  # policy allows 2 attempts
    wrong, other = _phones(call, "+390212345678", "+393331234567")

    call = _work(call, personas.agent, "wrong_number")

    wrong.refresh_from_db()
    other.refresh_from_db()
    assert wrong.wrong_number_at is not None and other.wrong_number_at is None
    assert (call.status, call.attempts, call.destination) == ("planned", 1, other.value)
    assert call.scheduled_at is not None


def test_a_policy_with_a_looser_share_than_allowed_is_refused() -> None:
    policy = CaringPolicyFactory()
    data = services.PolicyData(control_share=Decimal("0.9"))
    with pytest.raises(DomainError) as refused:
        services.policy_update(policy=policy, data=data)
    assert refused.value.field == "control_share"
