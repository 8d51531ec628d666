"""Surveys and answers in a debtor's data export, and their erasure (GDPR, SPEC §6): the
comment and the link to the person go, the counts for reports stay; a restricted debtor gets
no surveys."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.engine import can_contact
from experience import sampling
from experience.models import FollowUp, Programme, Response, Survey
from portfolio import privacy
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory
from tests.portfolio.test_privacy import TODAY, _paid_long_ago

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
ANSWERED_AT = WHEN + dt.timedelta(hours=2)


def _answered(debtor, *, comment: str = "Very kind operator, clear plan") -> Response:
    programme, _ = Programme.objects.get_or_create(client=debtor.client, kind="transactional")
    survey = Survey.objects.create(
        client=debtor.client, programme=programme, debtor=debtor, kind="transactional",
        trigger="collection_contact", status="answered", due_at=WHEN, medium="sms",
        destination="+393471234567", sent_at=WHEN, expires_at=WHEN + dt.timedelta(days=14),
        answered_at=ANSWERED_AT, token_hash=f"{debtor.pk:064d}",
        strategy="empathetic")
    answer = Response.objects.create(
        client=debtor.client, kind="transactional", survey=survey, debtor=debtor, nps=3,
        comment=comment, ces=2, themes=["empathy"], answered_at=ANSWERED_AT,
        trigger="collection_contact", strategy="empathetic")
    FollowUp.objects.create(client=debtor.client, response=answer, debtor=debtor,
                            reason="detractor", due_at=WHEN + dt.timedelta(days=2),
                            notes="Called back: she was upset about the reminders")
    return answer


def test_the_export_holds_the_debtors_surveys_answers_and_follow_ups(personas):
    debtor = DebtorFactory(client=personas.client_a)
    _answered(debtor)
    other = DebtorFactory(client=personas.client_a)
    _answered(other, comment="Someone else's words")

    exported = privacy.debtor_data_export(debtor=debtor, actor=personas.admin)

    section = exported["sections"]["experience"]
    assert [s["destination"] for s in section["surveys"]] == ["+393471234567"]
    assert [(a["nps"], a["comment"]) for a in section["answers"]] == [
        (3, "Very kind operator, clear plan")]
    assert [f["notes"] for f in section["follow_ups"]] == [
        "Called back: she was upset about the reminders"]


def test_an_erasure_drops_comment_and_person_but_keeps_the_scores(personas):
    debtor = DebtorFactory(client=personas.client_a)
    _paid_long_ago(debtor)
    answer = _answered(debtor)
    programme = Programme.objects.get(client=debtor.client, kind="transactional")
    waiting = Survey.objects.create(client=debtor.client, programme=programme, debtor=debtor,
                                    kind="transactional", trigger="case_closed",
                                    status="scheduled", due_at=WHEN + dt.timedelta(days=40))

    outcome = privacy.debtor_erase(debtor=debtor, actor=personas.admin, today=TODAY)

    assert outcome.erased
    answer.refresh_from_db()
    assert (answer.comment, answer.debtor_id) == ("", None)
    assert (answer.nps, answer.ces, answer.kind, answer.strategy, answer.themes) == (
        3, 2, "transactional", "empathetic", ["empathy"])
    survey = answer.survey
    assert survey is not None
    survey.refresh_from_db()
    assert (survey.destination, survey.token_hash) == ("", None)
    waiting.refresh_from_db()
    assert waiting.status == "suppressed" and "erasure" in waiting.suppressed_reason
    assert FollowUp.objects.get(response=answer).notes == ""
    # Reports still count the answer, in its kind.
    assert Response.objects.filter(client=personas.client_a, kind="transactional").count() == 1


def test_a_refused_erasure_keeps_the_answers_and_stops_every_survey(personas):
    debtor = DebtorFactory(client=personas.client_a)
    phone = ContactPointFactory(debtor=debtor)
    InvoiceFactory(debtor=debtor, issue_date=dt.date(2026, 9, 1), due_date=dt.date(2026, 10, 1))
    answer = _answered(debtor)
    Programme.objects.create(client=debtor.client, kind="relational", active=True)

    outcome = privacy.debtor_erase(debtor=debtor, actor=personas.admin, today=TODAY)

    assert not outcome.erased and outcome.restricted
    answer.refresh_from_db()
    assert answer.comment == "Very kind operator, clear plan"
    # Restricted: no relational sample draws the debtor, and the engine refuses a survey.
    assert not sampling.relational_eligible(client_id=debtor.client_id,
                                            now=WHEN).filter(pk=debtor.pk).exists()
    debtor.refresh_from_db()
    decision = can_contact(debtor, "survey", phone.value, WHEN, record=False)
    assert not decision.allowed
    assert "hold.restricted" in decision.rule_ids
