"""Recording a contact: the SPEC §2 taxonomy validated, handle time measured, and each
outcome's side effect applied in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from access.errors import DomainError
from compliance.models import ContactAttempt, ContactHold, ContactRestriction
from portfolio.models import Invoice
from recovery import services
from recovery.models import (
    Callback,
    CaseStageChange,
    CollectionCase,
    CollectionContact,
    Dispute,
    PromiseToPay,
)
from recovery.services import ContactData
from tests.caring.factories import CallableDebtorFactory
from tests.factories import InvoiceFactory
from tests.recovery.conftest import WORK_TIME
from tests.recovery.factories import CollectionCaseFactory

pytestmark = pytest.mark.django_db

OPENED = WORK_TIME - dt.timedelta(minutes=4)


@pytest.fixture
def case(personas) -> CollectionCase:
    debtor = CallableDebtorFactory(client=personas.client_a)
    InvoiceFactory(debtor=debtor, client=personas.client_a, amount=Decimal("300.00"))
    InvoiceFactory(debtor=debtor, client=personas.client_a, amount=Decimal("200.00"))
    case = CollectionCaseFactory(debtor=debtor, client=personas.client_a,
                                 overdue_amount=Decimal("500.00"))
    return services.case_claim(case=case, agent=personas.agent, now=OPENED)


def _talk(**kwargs) -> ContactData:
    values: dict[str, Any] = {"attempt_result": "answered", "party": "right_party_verified",
              "mood_start": "worried", "mood_end": "calm",
              "empathy_markers": ["circumstances_noted", "options_offered"]}
    values.update(kwargs)
    return ContactData(**values)


def _record(case, agent, data) -> CollectionContact:
    return services.contact_outcome_record(case=case, agent=agent, data=data, now=WORK_TIME)


def test_an_unanswered_call_is_logged_timed_and_the_claim_released(case, personas) -> None:
    contact = _record(case, personas.agent, ContactData(attempt_result="no_answer"))

    assert (contact.handle_seconds, contact.opened_at, contact.saved_at) == (240, OPENED,
                                                                             WORK_TIME)
    assert contact.destination == case.debtor.contact_points.get().value
    assert contact.decision is None or contact.decision.allowed
    attempt = ContactAttempt.objects.get(debtor=case.debtor)
    assert (attempt.result, contact.attempt) == ("no_answer", attempt)
    case.refresh_from_db()
    assert (case.claimed_by, case.last_contact_at) == (None, WORK_TIME)
    assert case.next_action_at == WORK_TIME + services.RETRY_AFTER_NO_CONTACT


def test_it_refuses_to_talk_about_the_debt_before_the_right_party_is_verified(
        case, personas) -> None:
    with pytest.raises(DomainError) as refused:
        _record(case, personas.agent, _talk(party="wrong_party", outcomes=["promise_to_pay"],
                                            promise_amount=Decimal("50"),
                                            promise_date=WORK_TIME.date()))
    assert refused.value.code == "not_right_party"
    assert not CollectionContact.objects.exists()
    assert not PromiseToPay.objects.exists()
    case.refresh_from_db()
    assert case.claimed_by == personas.agent  # nothing half-written


@pytest.mark.parametrize(("data", "field"), [
    (ContactData(attempt_result="shouted"), "attempt_result"),
    (ContactData(attempt_result="no_answer", outcomes=["info_only"]), "outcomes"),
    (ContactData(attempt_result="answered"), "party"),
    (ContactData(attempt_result="answered", party="right_party_verified",
                 outcomes=["bribed"]), "outcomes"),
    (ContactData(attempt_result="answered", party="right_party_verified",
                 do_not_survey=True), "do_not_survey_reason"),
    (ContactData(attempt_result="answered", party="right_party_verified",
                 notes="x" * 2001), "notes"),
    (ContactData(attempt_result="answered", party="right_party_verified",
                 outcomes=["promise_to_pay"], promise_amount=Decimal("-5"),
                 promise_date=dt.date(2026, 3, 20)), "promise_amount"),
    (ContactData(attempt_result="answered", party="right_party_verified",
                 outcomes=["callback_requested"],
                 callback_at=WORK_TIME + dt.timedelta(hours=1)), "callback_consent"),
    (ContactData(attempt_result="answered", party="right_party_verified",
                 outcomes=["dispute_logged"], dispute_reason="not_received"),
     "dispute_invoice_ids"),
])
def test_bad_input_is_refused_naming_the_field(case, personas, data, field) -> None:
    with pytest.raises(DomainError) as refused:
        _record(case, personas.agent, data)
    assert refused.value.field == field
    assert not CollectionContact.objects.exists()


def test_an_outbound_call_needs_the_agents_claim(case, personas) -> None:
    services.case_release(case=case, agent=personas.agent)
    with pytest.raises(DomainError) as refused:
        _record(case, personas.agent, ContactData(attempt_result="no_answer"))
    assert refused.value.code == "not_claimed"


def test_an_inbound_call_is_logged_without_a_claim(case, personas) -> None:
    services.case_release(case=case, agent=personas.agent)
    contact = _record(case, personas.agent, _talk(direction="inbound", outcomes=["info_only"],
                                                  opened_at=OPENED))
    assert contact.direction == "inbound"
    assert not ContactAttempt.objects.exists()  # the engine counts outbound attempts only


def test_a_promise_creates_a_promise_to_pay_and_replaces_the_pending_one(case,
                                                                         personas) -> None:
    old = PromiseToPay.objects.create(client=case.client, debtor=case.debtor, case=case,
                                      amount=Decimal("10"), currency="EUR",
                                      promised_date=dt.date(2026, 3, 12), created_at=OPENED)
    contact = _record(case, personas.agent, _talk(
        outcomes=["promise_to_pay"], reason_for_non_payment="cash_flow_timing",
        promise_amount=Decimal("500.00"), promise_date=dt.date(2026, 3, 20),
        next_step="await_payment"))

    promise = PromiseToPay.objects.get(status="pending")
    assert (promise.amount, promise.promised_date, promise.contact) == (
        Decimal("500.00"), dt.date(2026, 3, 20), contact)
    assert (promise.created_by, promise.grace_days, promise.threshold) == (
        personas.agent, 3, Decimal("1.000"))
    old.refresh_from_db()
    assert old.status == "superseded"
    case.refresh_from_db()
    # Not chased while the promise runs: back the morning after the grace days.
    assert case.next_action_at.date() == dt.date(2026, 3, 24)


def test_a_callback_with_consent_is_kept_for_the_same_agent(case, personas) -> None:
    when = WORK_TIME + dt.timedelta(days=1)
    _record(case, personas.agent, _talk(outcomes=["callback_requested"], callback_at=when,
                                        callback_consent=True, next_step="callback"))
    callback = Callback.objects.get()
    assert (callback.agent, callback.due_at, callback.status) == (personas.agent, when,
                                                                  "pending")
    case.refresh_from_db()
    assert (case.assigned_agent, case.next_action_at) == (personas.agent, when)
    attempt = ContactAttempt.objects.get()
    assert (attempt.consent_given_at, attempt.follow_up_at) == (WORK_TIME, when)


def test_a_dispute_holds_the_named_invoices(case, personas) -> None:
    first, _second = case.debtor.invoices.order_by("pk")
    _record(case, personas.agent, _talk(outcomes=["dispute_logged"],
                                        reason_for_non_payment="invoice_disputed",
                                        dispute_invoice_ids=[first.pk],
                                        dispute_reason="price_or_quantity",
                                        dispute_detail="Charged for 12 crates, got 10"))
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.reason, list(dispute.invoices.all())) == (
        "open", "price_or_quantity", [first])
    first.refresh_from_db()
    assert first.status == Invoice.Status.DISPUTED
    hold = ContactHold.objects.get(kind="dispute")
    assert (hold.invoice_ids, dispute.hold) == ([first.pk], hold)
    case.refresh_from_db()
    assert (case.on_hold, case.overdue_amount) == (False, Decimal("200.00"))


def test_disputing_every_overdue_invoice_puts_the_case_on_hold(case, personas) -> None:
    ids = list(case.debtor.invoices.values_list("pk", flat=True))
    _record(case, personas.agent, _talk(outcomes=["dispute_logged"], dispute_invoice_ids=ids,
                                        dispute_reason="not_received"))
    case.refresh_from_db()
    assert case.on_hold and case.status == "open"


def test_it_refuses_to_dispute_another_debtors_invoice(case, personas) -> None:
    other = CallableDebtorFactory(client=personas.client_a)
    stranger = InvoiceFactory(debtor=other, client=personas.client_a)
    with pytest.raises(DomainError):
        _record(case, personas.agent, _talk(outcomes=["dispute_logged"],
                                            dispute_invoice_ids=[stranger.pk],
                                            dispute_reason="other"))
    assert not Dispute.objects.exists()


def test_vulnerability_sets_the_debtors_hold(case, personas) -> None:
    _record(case, personas.agent, _talk(outcomes=["vulnerability_disclosed"],
                                        do_not_survey=True,
                                        do_not_survey_reason="Bereavement"))
    case.debtor.refresh_from_db()
    assert case.debtor.vulnerable and case.debtor.vulnerable_set_by == personas.agent
    assert CollectionContact.objects.get().do_not_survey


def test_restrictions_and_holds_the_debtor_asks_for_are_recorded(case, personas) -> None:
    _record(case, personas.agent, _talk(
        outcomes=["channel_opt_out", "inconvenient_time_set", "cease_requested"],
        opt_out_channel="sms", inconvenient_weekdays=["mon"],
        inconvenient_from=dt.time(9), inconvenient_to=dt.time(12)))
    kinds = set(ContactRestriction.objects.filter(debtor=case.debtor)
                .values_list("kind", "channel"))
    assert kinds == {("channel_opt_out", "sms"), ("inconvenient_time", "")}
    assert ContactHold.objects.filter(debtor=case.debtor, kind="cease_communication").exists()


def test_a_complaint_moves_the_case_to_the_complaint_stage(case, personas) -> None:
    _record(case, personas.agent, _talk(outcomes=["complaint_logged"], mood_end="angry"))
    case.refresh_from_db()
    assert case.stage == "complaint"
    change = CaseStageChange.objects.get()
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        "first_level", "complaint", personas.agent)


def test_a_pending_callback_is_done_once_the_debtor_is_reached(case, personas) -> None:
    Callback.objects.create(client=case.client, case=case, agent=personas.agent,
                            due_at=OPENED, consent_given_at=OPENED - dt.timedelta(days=1))
    contact = _record(case, personas.agent, _talk(outcomes=["info_only"]))
    callback = Callback.objects.get()
    assert (callback.status, callback.contact) == ("done", contact)


def test_a_wrong_party_flags_the_number(case, personas) -> None:
    _record(case, personas.agent, _talk(party="wrong_party", outcomes=[],
                                        mood_start="", mood_end="", empathy_markers=[]))
    assert case.debtor.contact_points.get().wrong_number_at == WORK_TIME


def test_an_inbound_call_leaves_another_agents_claim_alone(case, personas) -> None:
    from access.roles import Role
    from tests.factories import user_with_role

    other = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_two")
    _record(case, other, _talk(direction="inbound", outcomes=["info_only"], opened_at=OPENED))
    case.refresh_from_db()
    assert case.claimed_by == personas.agent
