"""The trigger run: transactional surveys after contacts, courtesy calls, plans and closed
cases (SPEC §5), set-based, idempotent and catching up after an outage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from caring.models import CourtesyCall
from compliance.models import ContactAttempt
from experience import triggers
from experience.models import Kind, Survey, Trigger
from recovery.models import CollectionCase, CollectionContact, PaymentPlan
from tests.caring.factories import CourtesyCallFactory
from tests.experience.outbound import WORK_TIME, mobile_debtor, programme
from tests.factories import ClientFactory, UserFactory
from tests.recovery.factories import (
    CollectionCaseFactory,
    CollectionContactFactory,
    PaymentPlanFactory,
)

pytestmark = pytest.mark.django_db

NOW = WORK_TIME
SPOKE_AT = NOW - dt.timedelta(hours=1)


def _contact(client, **fields) -> CollectionContact:
    debtor = fields.pop("debtor", None) or mobile_debtor(client)
    case = CollectionCaseFactory(debtor=debtor, client=client,
                                 strategy=CollectionCase.Strategy.STANDARD)
    saved_at = fields.pop("saved_at", SPOKE_AT)
    return CollectionContactFactory(case=case, saved_at=saved_at,
                                    opened_at=saved_at - dt.timedelta(minutes=4), **fields)


def test_a_right_party_contact_with_an_outcome_schedules_a_survey_with_its_cohort() -> None:
    # Given a client surveying after contacts, 90 minutes after, and an English-speaking debtor
    client = ClientFactory()
    prog = programme(client, delay_minutes=90)
    contact = _contact(client, debtor=mobile_debtor(client, language="en"),
                       outcomes=["promise_to_pay"])

    # When the trigger runs
    result = triggers.surveys_schedule(now=NOW)

    # Then one survey waits, due 90 minutes after the contact, with the contact's cohort
    survey = Survey.objects.get()
    assert result.scheduled == 1
    assert survey.status == Survey.Status.SCHEDULED
    assert survey.programme == prog
    assert survey.kind == Kind.TRANSACTIONAL
    assert survey.trigger == Trigger.COLLECTION_CONTACT
    assert survey.due_at == SPOKE_AT + dt.timedelta(minutes=90)
    assert (survey.contact, survey.case, survey.agent_id) == (
        contact, contact.case, contact.agent_id)
    assert survey.strategy == CollectionCase.Strategy.STANDARD
    assert survey.language == "en"
    assert survey.debtor == contact.debtor


@pytest.mark.parametrize("fields", [
    {"party": "wrong_party"},
    {"party": "authorised_third_party"},
    {"attempt_result": "dropped"},
    {"attempt_result": "no_answer", "party": ""},
    {"attempt_result": "voicemail_left", "party": ""},
    {"outcomes": []},
], ids=["wrong-party", "third-party", "dropped", "no-answer", "voicemail", "no-outcome"])
def test_it_never_surveys_after_a_contact_that_did_not_reach_the_debtor(fields) -> None:
    client = ClientFactory()
    programme(client)
    _contact(client, **fields)

    triggers.surveys_schedule(now=NOW)

    assert not Survey.objects.exists()


def test_the_agents_do_not_survey_keeps_the_survey_from_going_and_says_why() -> None:
    client = ClientFactory()
    programme(client)
    _contact(client, do_not_survey=True, do_not_survey_reason="Debtor in mourning")

    result = triggers.surveys_schedule(now=NOW)

    survey = Survey.objects.get()
    assert result.suppressed == 1
    assert survey.status == Survey.Status.SUPPRESSED
    assert survey.suppressed_reason == (
        "agent.do_not_survey: The agent asked for no survey: Debtor in mourning")


def test_a_second_run_creates_nothing_twice() -> None:
    client = ClientFactory()
    programme(client)
    for _n in range(3):
        _contact(client)

    first = triggers.surveys_schedule(now=NOW)
    second = triggers.surveys_schedule(now=NOW + dt.timedelta(minutes=15))

    assert first.scheduled == 3
    assert (second.scheduled, second.suppressed) == (0, 0)
    assert Survey.objects.count() == 3


def test_clients_without_an_active_programme_or_with_the_event_off_get_no_survey() -> None:
    none, inactive, flag_off, relational_only = (ClientFactory() for _n in range(4))
    programme(inactive, active=False)
    programme(flag_off, after_collection_contact=False)
    programme(relational_only, kind=Kind.RELATIONAL)
    for client in (none, inactive, flag_off, relational_only):
        _contact(client)

    triggers.surveys_schedule(now=NOW)

    assert not Survey.objects.exists()


def test_a_run_after_an_outage_catches_up_within_the_look_back_window(settings) -> None:
    # Given contacts 60 hours ago and 80 hours ago, with a 72-hour look-back
    settings.EXPERIENCE_TRIGGER_LOOKBACK_HOURS = 72
    client = ClientFactory()
    programme(client)
    recent = _contact(client, saved_at=NOW - dt.timedelta(hours=60))
    _contact(client, saved_at=NOW - dt.timedelta(hours=80))

    triggers.surveys_schedule(now=NOW)

    # Then the one inside the window gets its survey, already due (the dispatcher sends it)
    survey = Survey.objects.get()
    assert survey.contact == recent
    assert survey.due_at < NOW


def test_the_sample_share_is_a_random_draw_that_a_re_run_repeats() -> None:
    client = ClientFactory()
    programme(client, sample_share=Decimal("0.5"))
    for _n in range(120):
        _contact(client)

    first = triggers.surveys_schedule(now=NOW)
    chosen = set(Survey.objects.values_list("contact_id", flat=True))
    second = triggers.surveys_schedule(now=NOW)

    assert 30 <= first.scheduled <= 90
    assert first.scheduled + first.not_drawn == 120
    assert second.scheduled == 0
    assert second.not_drawn == 120 - first.scheduled
    assert set(Survey.objects.values_list("contact_id", flat=True)) == chosen


def test_two_events_of_one_debtor_in_one_run_give_one_survey() -> None:
    # Given a contact in which a plan was agreed, both events surveyed
    client = ClientFactory()
    programme(client)
    contact = _contact(client)
    PaymentPlanFactory(case=contact.case, status=PaymentPlan.Status.ACTIVE,
                       created_by=contact.agent)
    PaymentPlan.objects.update(created_at=SPOKE_AT)

    triggers.surveys_schedule(now=NOW)

    # Then the debtor gets one survey; the other event is kept as suppressed, saying why
    statuses = sorted(Survey.objects.values_list("trigger", "status"))
    assert statuses == [(Trigger.COLLECTION_CONTACT, Survey.Status.SCHEDULED),
                        (Trigger.PLAN_AGREED, Survey.Status.SUPPRESSED)]
    suppressed = Survey.objects.get(status=Survey.Status.SUPPRESSED)
    assert suppressed.suppressed_reason.startswith("frequency.transactional_90_days_italy:")


def test_a_courtesy_call_with_an_outcome_from_the_debtor_is_surveyed() -> None:
    client = ClientFactory()
    programme(client, after_collection_contact=False)
    agent = UserFactory()
    debtor = mobile_debtor(client)
    call = CourtesyCallFactory(debtor=debtor, client=client, status=CourtesyCall.Status.DONE,
                               outcome=CourtesyCall.Outcome.RECEIVED_OK, completed_at=SPOKE_AT)
    ContactAttempt.objects.create(
        client=client, debtor=debtor, channel="call", destination="+393331234567",
        started_at=SPOKE_AT, result="answered", party="right_party_verified", connected=True,
        conversation=True, agent=agent)
    CourtesyCallFactory(debtor=mobile_debtor(client, number="+393331234568"), client=client,
                        policy=call.policy, status=CourtesyCall.Status.FAILED,
                        outcome=CourtesyCall.Outcome.UNREACHABLE, completed_at=SPOKE_AT)

    triggers.surveys_schedule(now=NOW)

    survey = Survey.objects.get()
    assert survey.trigger == Trigger.COURTESY_CALL
    assert survey.courtesy_call == call
    assert survey.agent == agent
    assert survey.case is None


def test_a_plan_agreed_is_surveyed_once_and_a_plan_waiting_for_approval_is_not() -> None:
    client = ClientFactory()
    programme(client, after_collection_contact=False)
    agreed = PaymentPlanFactory(case=CollectionCaseFactory(debtor=mobile_debtor(client)),
                                status=PaymentPlan.Status.ACTIVE, created_by=UserFactory())
    PaymentPlanFactory(case=CollectionCaseFactory(
        debtor=mobile_debtor(client, number="+393331234569")),
        status=PaymentPlan.Status.PENDING_APPROVAL)
    PaymentPlan.objects.update(created_at=SPOKE_AT)

    triggers.surveys_schedule(now=NOW)
    triggers.surveys_schedule(now=NOW)

    survey = Survey.objects.get()
    assert survey.trigger == Trigger.PLAN_AGREED
    assert survey.case_id == agreed.case_id
    assert survey.agent_id == agreed.created_by_id


def test_a_case_closed_as_paid_is_surveyed_with_the_agent_who_last_spoke_with_the_debtor(
        ) -> None:
    client = ClientFactory()
    programme(client, after_collection_contact=False)
    contact = _contact(client, saved_at=NOW - dt.timedelta(days=20))
    CollectionCase.objects.filter(pk=contact.case_id).update(
        status=CollectionCase.Status.CLOSED, close_reason=CollectionCase.CloseReason.PAID,
        closed_at=SPOKE_AT)
    written_off = CollectionCaseFactory(debtor=mobile_debtor(client, number="+393331234570"))
    CollectionCase.objects.filter(pk=written_off.pk).update(
        status=CollectionCase.Status.CLOSED,
        close_reason=CollectionCase.CloseReason.WRITTEN_OFF, closed_at=SPOKE_AT)

    triggers.surveys_schedule(now=NOW)

    survey = Survey.objects.get()
    assert survey.trigger == Trigger.CASE_CLOSED
    assert survey.case_id == contact.case_id
    assert survey.agent_id == contact.agent_id


def test_the_database_refuses_a_second_survey_for_a_closed_case() -> None:
    client = ClientFactory()
    prog = programme(client)
    case = CollectionCaseFactory(debtor=mobile_debtor(client))
    fields = {"client": client, "programme": prog, "debtor": case.debtor, "case": case,
              "kind": Kind.TRANSACTIONAL, "trigger": Trigger.CASE_CLOSED, "due_at": NOW}
    Survey.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.create(**fields)


def test_beat_runs_the_trigger_the_dispatcher_and_the_expiry(settings) -> None:
    from config.celery import app
    from experience import tasks

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    names = {"experience.surveys_schedule_task", "experience.surveys_dispatch_task",
             "experience.surveys_expire_task"}

    assert names <= scheduled
    assert names <= set(app.tasks)
    assert tasks.surveys_schedule_task(now=NOW.isoformat()) == {
        "scheduled": 0, "suppressed": 0, "not_drawn": 0}
