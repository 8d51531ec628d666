"""Recording an answer: the cohort copied from the survey, the themes of the comment, the
survey answered once; every refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from access.errors import DomainError
from compliance.models import ContactRestriction
from experience.answers import response_record
from experience.links import LinkError, LinkProblem
from experience.models import COMMENT_MAX, FollowUp, Response, Survey
from experience.services import opt_out_of_surveys
from tests.experience.answering import sent_survey

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def sent(personas):
    return sent_survey(personas.client_a, agent=personas.agent, language="it",
                       ask_ces=True, ask_csat=True, sent_at=NOW - dt.timedelta(hours=2))


def _unchanged(survey: Survey) -> None:
    survey.refresh_from_db()
    assert survey.status == Survey.Status.SENT
    assert not Response.objects.exists()
    assert not FollowUp.objects.exists()


def test_the_answer_copies_the_surveys_cohort_and_reads_the_themes(sent):
    survey = sent.survey

    answer = response_record(signed_token=sent.token, nps=8, comment="  Gentile, rate chiare ",
                             ces=6, csat=4, now=NOW)

    assert answer.comment == "Gentile, rate chiare"
    assert (answer.client_id, answer.kind, answer.trigger, answer.case_id, answer.agent_id,
            answer.strategy, answer.debtor_id, answer.language) == (
        survey.client_id, "transactional", "collection_contact", survey.case_id,
        survey.agent_id, survey.strategy, survey.debtor_id, "it")
    assert answer.themes == ["empathy", "flexibility", "clarity"]
    assert (answer.nps, answer.ces, answer.csat, answer.answered_at) == (8, 6, 4, NOW)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.ANSWERED
    assert survey.answered_at == NOW


def test_a_second_answer_on_the_same_link_is_refused_as_used(sent):
    response_record(signed_token=sent.token, nps=9, now=NOW)

    with pytest.raises(LinkError) as refused:
        response_record(signed_token=sent.token, nps=2, comment="again", now=NOW)

    assert refused.value.problem is LinkProblem.USED
    assert Response.objects.get().nps == 9


def test_a_submit_that_lost_the_race_finds_the_survey_answered(sent):
    """Two tabs read the survey as sent; the first answer wins the conditional update."""
    Survey.objects.filter(pk=sent.survey.pk).update(status=Survey.Status.ANSWERED,
                                                    answered_at=NOW)

    with pytest.raises(LinkError) as refused:
        response_record(signed_token=sent.token, nps=2, now=NOW)

    assert refused.value.problem is LinkProblem.USED
    assert not Response.objects.exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"nps": 11}, "nps"), ({"nps": -1}, "nps"), ({"nps": True}, "nps"),
    ({"nps": 5, "ces": 0}, "ces"), ({"nps": 5, "ces": 8}, "ces"),
    ({"nps": 5, "csat": 6}, "csat"),
    ({"nps": 5, "comment": "x" * (COMMENT_MAX + 1)}, "comment"),
    ({"nps": 5, "comment": "null\x00byte"}, "comment"),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(sent, fields, field):
    with pytest.raises(DomainError) as refused:
        response_record(signed_token=sent.token, now=NOW, **fields)

    assert refused.value.field == field
    _unchanged(sent.survey)


def test_a_question_the_programme_does_not_ask_is_refused(personas):
    plain = sent_survey(personas.client_a, ask_ces=False, ask_csat=False,
                        sent_at=NOW - dt.timedelta(hours=1))

    with pytest.raises(DomainError) as refused:
        response_record(signed_token=plain.token, nps=7, ces=5, now=NOW)

    assert refused.value.code == "not_asked"
    _unchanged(plain.survey)


def test_an_expired_link_is_refused(sent):
    with pytest.raises(LinkError) as refused:
        response_record(signed_token=sent.token, nps=7, now=NOW + dt.timedelta(days=15))

    assert refused.value.problem is LinkProblem.EXPIRED
    _unchanged(sent.survey)


def test_a_detractor_with_a_comment_opens_a_follow_up_in_the_same_transaction(sent):
    answer = response_record(signed_token=sent.token, nps=4, comment="Troppe chiamate",
                             now=NOW)

    follow_up = FollowUp.objects.get(response=answer)
    assert follow_up.reason == "detractor"
    assert follow_up.debtor_id == sent.survey.debtor_id


def test_a_promoter_without_complaint_opens_nothing(sent):
    response_record(signed_token=sent.token, nps=10, comment="Perfetto", now=NOW)

    assert not FollowUp.objects.exists()


def test_opting_out_writes_one_survey_channel_opt_out(sent):
    debtor = sent.survey.debtor

    first = opt_out_of_surveys(debtor)
    second = opt_out_of_surveys(debtor)

    assert first.pk == second.pk
    assert ContactRestriction.objects.filter(debtor=debtor).count() == 1
    assert (first.kind, first.channel, first.client_id) == (
        "channel_opt_out", "survey", debtor.client_id)
