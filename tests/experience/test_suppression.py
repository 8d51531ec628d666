"""Who is not surveyed (SPEC §5): holds, the agent's do-not-survey, the debtor's opt-out of
surveys, and the frequency rules; and the opt-out service the public page calls."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from access.errors import DomainError
from compliance.models import ContactHold, ContactRestriction
from experience import suppression, triggers
from experience.models import Kind, Survey
from experience.services import opt_out_of_surveys
from experience.suppression import Candidate
from portfolio.models import Invoice
from tests.experience.outbound import WORK_TIME, due_survey, mobile_debtor, programme
from tests.factories import ClientFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

NOW = WORK_TIME
DAY = dt.timedelta(days=1)


def _reason(debtor, kind=Kind.TRANSACTIONAL, at=NOW, **fields) -> str:
    facts = suppression.facts_load([debtor.pk], at=at)
    return suppression.reason_for(Candidate(debtor_id=debtor.pk, kind=kind, at=at, **fields),
                                  facts)


def _past(debtor, prog, days: float, kind=Kind.TRANSACTIONAL,
          status=Survey.Status.SENT) -> Survey:
    at = NOW - dt.timedelta(days=days)
    fields = {"sent_at": at} if status != Survey.Status.SCHEDULED else {}
    return due_survey(debtor, prog, due_at=at, kind=kind, status=status, **fields)


def test_a_debtor_with_nothing_against_them_is_surveyed() -> None:
    assert _reason(mobile_debtor(ClientFactory())) == ""


@pytest.mark.parametrize("kind", ["cease_communication", "lawyer", "complaint",
                                  "vulnerability", "insolvency"])
def test_any_account_hold_in_force_suppresses(kind) -> None:
    debtor = mobile_debtor(ClientFactory())
    ContactHold.objects.create(client=debtor.client, debtor=debtor, kind=kind,
                               starts_at=NOW - DAY)

    assert _reason(debtor) == f"hold: An account hold applies ({kind})."


def test_a_released_or_ended_hold_no_longer_suppresses() -> None:
    debtor = mobile_debtor(ClientFactory())
    ContactHold.objects.create(client=debtor.client, debtor=debtor, kind="lawyer",
                               starts_at=NOW - 3 * DAY, released_at=NOW - DAY)
    ContactHold.objects.create(client=debtor.client, debtor=debtor, kind="complaint",
                               starts_at=NOW - 3 * DAY, ends_at=NOW - DAY)

    assert _reason(debtor) == ""


def test_a_disputed_invoice_and_the_deceased_flag_are_holds() -> None:
    client = ClientFactory()
    disputed = mobile_debtor(client)
    InvoiceFactory(debtor=disputed, client=client, status=Invoice.Status.DISPUTED)
    deceased = mobile_debtor(client, number="+393331234500", deceased=True,
                             deceased_set_at=NOW - DAY)

    assert _reason(disputed) == "hold: An account hold applies (dispute)."
    assert _reason(deceased) == "hold: An account hold applies (deceased)."


def test_an_opt_out_of_surveys_suppresses_but_an_opt_out_of_calls_does_not() -> None:
    client = ClientFactory()
    surveys_off = mobile_debtor(client)
    calls_off = mobile_debtor(client, number="+393331234501")
    for debtor, channel in ((surveys_off, "survey"), (calls_off, "call")):
        ContactRestriction.objects.create(client=client, debtor=debtor, kind="channel_opt_out",
                                          channel=channel, created_at=NOW - DAY)

    assert _reason(surveys_off) == "debtor.survey_opt_out: The debtor opted out of surveys."
    assert _reason(calls_off) == ""


def test_one_transactional_survey_per_30_days_and_per_90_days_in_italy() -> None:
    # Given an Italian and a French debtor each surveyed 45 days ago
    client = ClientFactory()
    prog = programme(client)
    italian = mobile_debtor(client)
    french = mobile_debtor(client, number="+33612345678", country="FR",
                           timezone="Europe/Paris")
    for debtor in (italian, french):
        _past(debtor, prog, 45)
    recent = mobile_debtor(client, number="+33612345679", country="FR",
                           timezone="Europe/Paris")
    _past(recent, prog, 29)

    # Then the Italian waits 90 days, the French 30
    assert _reason(italian).startswith("frequency.transactional_90_days_italy:")
    assert _reason(french) == ""
    assert _reason(recent).startswith("frequency.transactional_30_days:")


def test_suppressed_and_undelivered_surveys_do_not_count() -> None:
    client = ClientFactory()
    prog = programme(client)
    debtor = mobile_debtor(client)
    due_survey(debtor, prog, due_at=NOW - 5 * DAY, status=Survey.Status.SUPPRESSED,
               suppressed_reason="hold: An account hold applies (lawyer).")
    due_survey(debtor, prog, due_at=NOW - 4 * DAY, status=Survey.Status.FAILED,
               suppressed_reason="send.failed: SmsError: refused")

    assert _reason(debtor) == ""


def test_no_transactional_survey_within_14_days_of_a_relational_one() -> None:
    client = ClientFactory()
    prog = programme(client, kind=Kind.RELATIONAL)
    near, far = mobile_debtor(client), mobile_debtor(client, number="+393331234502")
    _past(near, prog, 10, kind=Kind.RELATIONAL)
    _past(far, prog, 20, kind=Kind.RELATIONAL)

    assert _reason(near).startswith("frequency.relational_14_days:")
    assert _reason(far) == ""


def test_a_relational_survey_at_most_every_6_months() -> None:
    client = ClientFactory()
    prog = programme(client, kind=Kind.RELATIONAL)
    five_months, seven_months = mobile_debtor(client), mobile_debtor(client, number="+3933399")
    _past(five_months, prog, 150, kind=Kind.RELATIONAL)
    _past(seven_months, prog, 210, kind=Kind.RELATIONAL)

    assert _reason(five_months, kind=Kind.RELATIONAL).startswith(
        "frequency.relational_6_months:")
    assert _reason(seven_months, kind=Kind.RELATIONAL) == ""


def test_a_survey_is_not_held_back_by_itself_or_by_a_later_scheduled_one() -> None:
    client = ClientFactory()
    prog = programme(client)
    debtor = mobile_debtor(client)
    first = _past(debtor, prog, 0, status=Survey.Status.SCHEDULED)
    later = due_survey(debtor, prog, due_at=NOW + DAY)

    assert _reason(debtor, survey_id=first.pk) == ""
    assert _reason(debtor, at=NOW + DAY, survey_id=later.pk).startswith("frequency.")


def test_a_stored_reason_reads_in_italian() -> None:
    stored = "hold: An account hold applies (lawyer)."

    with translation.override("it"):
        shown = suppression.reason_display(stored)
        engine = suppression.reason_display("debtor.channel_opt_out: Not now: opted out.")

    assert shown == "È in vigore un blocco sulla posizione (lawyer)."
    assert engine == "debtor.channel_opt_out: Not now: opted out."


def test_opting_out_is_recorded_once_and_suppresses_the_surveys_waiting() -> None:
    # Given a debtor with a survey waiting and one already sent
    client = ClientFactory()
    prog = programme(client)
    debtor = mobile_debtor(client)
    waiting = due_survey(debtor, prog, due_at=NOW + DAY)
    sent = _past(debtor, prog, 1)

    # When they opt out twice (a double click)
    first = opt_out_of_surveys(debtor, ContactRestriction.Source.WRITTEN, at=NOW)
    second = opt_out_of_surveys(debtor, ContactRestriction.Source.WRITTEN, at=NOW)

    # Then one survey opt-out is in force, the waiting survey is suppressed, the sent one kept
    assert first == second
    restriction = ContactRestriction.objects.get(debtor=debtor)
    assert (restriction.kind, restriction.channel) == ("channel_opt_out", "survey")
    waiting.refresh_from_db()
    sent.refresh_from_db()
    assert waiting.status == Survey.Status.SUPPRESSED
    assert waiting.suppressed_reason == "debtor.survey_opt_out: The debtor opted out of surveys."
    assert sent.status == Survey.Status.SENT
    # ... and the next event of theirs is suppressed at once
    assert _reason(debtor, at=NOW + dt.timedelta(minutes=1)).startswith(
        "debtor.survey_opt_out:")


def test_an_opt_out_from_an_unknown_source_is_refused_and_writes_nothing() -> None:
    client = ClientFactory()
    debtor = mobile_debtor(client)
    waiting = due_survey(debtor, programme(client), due_at=NOW + DAY)

    with pytest.raises(DomainError) as refused:
        opt_out_of_surveys(debtor, "carrier pigeon", at=NOW)

    assert refused.value.code == "bad_source"
    assert "carrier pigeon" in refused.value.message
    assert not ContactRestriction.objects.exists()
    waiting.refresh_from_db()
    assert waiting.status == Survey.Status.SCHEDULED


def test_the_trigger_suppresses_a_debtor_who_opted_out() -> None:
    from tests.experience.test_triggers import _contact

    client = ClientFactory()
    programme(client)
    contact = _contact(client)
    opt_out_of_surveys(contact.debtor, at=NOW - DAY)

    triggers.surveys_schedule(now=NOW)

    assert Survey.objects.get().suppressed_reason.startswith("debtor.survey_opt_out:")
