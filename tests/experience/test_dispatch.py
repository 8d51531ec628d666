"""Sending due surveys through the contact engine (SPEC §5): the medium, the personal link,
messages that say nothing about a debt, rescheduling, suppression, failures, and no survey
sent twice."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection

from compliance.models import ContactAttempt, ContactDecision, ContactHold, ContactRestriction
from experience import dispatch, links, sms
from experience.models import Survey
from experience.tasks import surveys_dispatch_task, surveys_expire_task
from tests.caring.conftest import rule_packs_restored_at_end  # noqa: F401 - a fixture
from tests.experience.outbound import (
    DEBT_WORDS,
    ROME,
    WORK_TIME,
    due_survey,
    email_debtor,
    mobile_debtor,
    programme,
)
from tests.factories import ClientFactory, InvoiceFactory

NOW = WORK_TIME
MONEY = re.compile(r"[€$£]|\bEUR\b|\d+[.,]\d{2}\b")


class BrokenGateway(sms.BaseBackend):
    def send(self, message: sms.Message) -> None:
        raise sms.SmsError("gateway refused the number")


@pytest.fixture(autouse=True)
def _texts_in_memory(settings):
    settings.EXPERIENCE_SMS_BACKEND = "experience.sms.LocmemBackend"
    settings.FIDO_PUBLIC_URL = "https://surveys.example.com"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _token(body: str) -> str:
    match = re.search(r"https://surveys\.example\.com/s/([^/\s]+)/", body)
    assert match, body
    return match.group(1)


@pytest.mark.django_db
def test_a_due_survey_goes_by_text_to_the_mobile_number_with_a_personal_link() -> None:
    # Given a debtor with a mobile number and a survey due now
    client = ClientFactory(name="Acqua Alfa S.p.A.")
    prog = programme(client, link_valid_days=10)
    debtor = mobile_debtor(client)
    survey = due_survey(debtor, prog)

    # When the dispatcher runs
    result = dispatch.surveys_dispatch(now=NOW)

    # Then one text went to the mobile with a link that opens this survey
    assert result.sent == 1
    assert [message.to for message in sms.outbox] == ["+393331234567"]
    survey.refresh_from_db()
    assert survey.status == Survey.Status.SENT
    assert (survey.medium, survey.destination) == (Survey.Medium.SMS, "+393331234567")
    assert survey.sent_at == NOW
    assert survey.expires_at == NOW + dt.timedelta(days=10)
    assert survey.due_at == NOW
    assert links.survey_for_token(_token(sms.outbox[0].body), NOW) == survey
    # ... with the engine's decision kept as evidence and the send counted as an attempt
    decision = ContactDecision.objects.get()
    assert survey.decision == decision
    assert (decision.channel, decision.allowed, decision.purpose) == ("survey", True, "survey")
    attempt = ContactAttempt.objects.get()
    assert (attempt.channel, attempt.destination, attempt.started_at) == (
        "survey", "+393331234567", NOW)
    assert mail.outbox == []


@pytest.mark.django_db
def test_without_a_mobile_number_it_goes_by_e_mail_in_the_debtors_language() -> None:
    client = ClientFactory(name="Acqua Alfa S.p.A.")
    debtor = email_debtor(client, language="it")
    # A landline cannot take a text
    debtor.contact_points.create(client=client, channel="phone", value="+390212345678",
                                 timezones=["Europe/Rome"])
    survey = due_survey(debtor, programme(client))

    dispatch.surveys_dispatch(now=NOW)

    survey.refresh_from_db()
    assert (survey.status, survey.medium, survey.destination) == (
        Survey.Status.SENT, Survey.Medium.EMAIL, "anna@example.com")
    [message] = mail.outbox
    assert message.to == ["anna@example.com"]
    assert "Acqua Alfa S.p.A." in message.subject
    assert "Due domande" in message.subject
    assert isinstance(message, EmailMultiAlternatives)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert links.survey_for_token(_token(str(message.body)), NOW) == survey
    assert _token(str(message.body)) == _token(str(html))
    assert sms.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "it"])
def test_no_message_says_anything_about_a_debt(language) -> None:
    # Given debtors with an overdue invoice, one reached by text and one by e-mail
    client = ClientFactory(name="Acqua Alfa S.p.A.")
    prog = programme(client)
    for debtor in (mobile_debtor(client, language=language, name="Anna Rossi"),
                   email_debtor(client, language=language, name="Marco Bianchi")):
        InvoiceFactory(debtor=debtor, client=client, number=f"INV-7741-{debtor.pk}")
        due_survey(debtor, prog)

    dispatch.surveys_dispatch(now=NOW)

    # Then neither message names a debt, an invoice or a sum of money
    [text] = sms.outbox
    [email] = mail.outbox
    assert isinstance(email, EmailMultiAlternatives)
    html = email.alternatives[0][0]
    for body in (text.body, email.subject, email.body, html):
        visible = re.sub(r"https://\S+|<[^>]+>", " ", str(body)).lower()
        assert [word for word in DEBT_WORDS if word in visible] == []
        assert MONEY.findall(visible) == []
        assert "inv-7741" not in visible


@pytest.mark.django_db
def test_outside_the_window_the_survey_moves_to_the_engines_next_permitted_time() -> None:
    # Given a survey due on a Sunday in Rome (no contact on Sundays in the Italian pack)
    client = ClientFactory()
    sunday = dt.datetime(2026, 3, 15, 11, 0, tzinfo=ROME)
    survey = due_survey(mobile_debtor(client), programme(client), due_at=sunday)

    result = dispatch.surveys_dispatch(now=sunday)

    # Then nothing is sent and the survey waits for Monday's window
    survey.refresh_from_db()
    assert result.rescheduled == 1
    assert sms.outbox == []
    assert survey.status == Survey.Status.SCHEDULED
    assert survey.due_at == dt.datetime(2026, 3, 16, 8, 30, tzinfo=ROME)
    assert survey.decision is not None
    assert survey.decision.allowed is False
    # ... and the next run on Monday sends it
    assert dispatch.surveys_dispatch(now=survey.due_at).sent == 1


@pytest.mark.django_db
def test_a_denial_that_does_not_lift_by_itself_suppresses_with_the_rules_reason() -> None:
    # Given a debtor who opted out of texts and has nowhere else to receive a survey
    client = ClientFactory()
    debtor = mobile_debtor(client)
    ContactRestriction.objects.create(client=client, debtor=debtor, kind="channel_opt_out",
                                      channel="sms", created_at=NOW - dt.timedelta(days=1))
    survey = due_survey(debtor, programme(client))

    dispatch.surveys_dispatch(now=NOW)

    survey.refresh_from_db()
    assert survey.status == Survey.Status.SUPPRESSED
    assert survey.suppressed_reason.startswith("debtor.channel_opt_out:")
    assert sms.outbox == []


@pytest.mark.django_db
def test_a_hold_placed_after_scheduling_suppresses_the_survey_at_send_time() -> None:
    client = ClientFactory()
    debtor = mobile_debtor(client)
    survey = due_survey(debtor, programme(client))
    ContactHold.objects.create(client=client, debtor=debtor, kind="complaint",
                               starts_at=NOW - dt.timedelta(hours=1))

    dispatch.surveys_dispatch(now=NOW)

    survey.refresh_from_db()
    assert survey.status == Survey.Status.SUPPRESSED
    assert survey.suppressed_reason == "hold: An account hold applies (complaint)."
    assert sms.outbox == []
    assert not ContactAttempt.objects.exists()


@pytest.mark.django_db
def test_a_debtor_with_no_mobile_and_no_e_mail_is_not_surveyed() -> None:
    client = ClientFactory()
    debtor = email_debtor(client)
    debtor.contact_points.all().delete()
    survey = due_survey(debtor, programme(client))

    dispatch.surveys_dispatch(now=NOW)

    survey.refresh_from_db()
    assert survey.status == Survey.Status.SUPPRESSED
    assert survey.suppressed_reason.startswith("contact.no_destination:")


@pytest.mark.django_db
def test_a_gateway_failure_marks_the_survey_not_delivered_with_the_reason(settings) -> None:
    settings.EXPERIENCE_SMS_BACKEND = "tests.experience.test_dispatch.BrokenGateway"
    client = ClientFactory()
    survey = due_survey(mobile_debtor(client), programme(client))

    result = dispatch.surveys_dispatch(now=NOW)

    survey.refresh_from_db()
    assert result.failed == 1
    assert survey.status == Survey.Status.FAILED
    assert survey.suppressed_reason == "send.failed: SmsError: gateway refused the number"
    assert (survey.token_hash, survey.expires_at, survey.sent_at) == (None, None, None)
    assert not ContactAttempt.objects.exists()


@pytest.mark.django_db
def test_running_the_dispatcher_twice_sends_nothing_twice() -> None:
    client = ClientFactory()
    prog = programme(client)
    for n in range(3):
        due_survey(mobile_debtor(client, number=f"+39333123450{n}"), prog)

    first = surveys_dispatch_task(now=NOW.isoformat())
    second = surveys_dispatch_task(now=(NOW + dt.timedelta(minutes=5)).isoformat())

    assert first["sent"] == 3
    assert second == {"sent": 0, "rescheduled": 0, "suppressed": 0, "failed": 0}
    assert len(sms.outbox) == 3


@pytest.mark.django_db
def test_a_survey_claimed_by_one_dispatcher_is_not_seen_by_another() -> None:
    client = ClientFactory()
    survey = due_survey(mobile_debtor(client), programme(client))

    claimed = dispatch._claim(NOW, 10)
    second = dispatch.surveys_dispatch(now=NOW + dt.timedelta(minutes=1))

    assert claimed == {survey.pk: NOW}
    assert second.sent == 0
    assert sms.outbox == []


@pytest.mark.django_db
def test_a_second_survey_to_the_same_debtor_in_one_chunk_is_suppressed() -> None:
    # Given two transactional surveys of one debtor, both due (two trigger runs at once)
    client = ClientFactory()
    prog = programme(client)
    debtor = mobile_debtor(client)
    first = due_survey(debtor, prog, due_at=NOW - dt.timedelta(minutes=5))
    second = due_survey(debtor, prog)

    dispatch.surveys_dispatch(now=NOW)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Survey.Status.SENT
    assert second.status == Survey.Status.SUPPRESSED
    assert second.suppressed_reason.startswith("frequency.transactional_90_days_italy:")
    assert len(sms.outbox) == 1


@pytest.mark.django_db
def test_sent_surveys_past_their_link_expiry_expire() -> None:
    client = ClientFactory()
    prog = programme(client)
    old = due_survey(mobile_debtor(client), prog, status=Survey.Status.SENT,
                     sent_at=NOW - dt.timedelta(days=20), expires_at=NOW - dt.timedelta(days=6))
    fresh = due_survey(mobile_debtor(client, number="+393331234599"), prog,
                       status=Survey.Status.SENT, sent_at=NOW,
                       expires_at=NOW + dt.timedelta(days=14))

    assert surveys_expire_task(now=NOW.isoformat()) == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (Survey.Status.EXPIRED, Survey.Status.SENT)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only", "rule_packs_restored_at_end")
def test_dispatchers_running_at_once_send_every_survey_exactly_once() -> None:
    from tests.caring.conftest import rule_packs_seeded

    rule_packs_seeded()
    client = ClientFactory()
    prog = programme(client)
    surveys = [due_survey(mobile_debtor(client, number=f"+3933312345{n:02d}"), prog)
               for n in range(30)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            dispatch.surveys_dispatch(now=NOW, chunk=5)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    destinations = [message.to for message in sms.outbox]
    assert len(destinations) == len(set(destinations)) == len(surveys)
    assert Survey.objects.filter(status=Survey.Status.SENT).count() == len(surveys)
    assert ContactAttempt.objects.filter(channel="survey").count() == len(surveys)
