"""The debtor's survey page: answered from a personal link without login, in the survey's
language, revealing nothing about a debt; every bad link and bad answer gets its own plain
page and writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client as HttpClient

from compliance.models import ContactRestriction
from experience.links import SALT
from experience.models import COMMENT_MAX, FollowUp, Response, Survey
from experience.public_views import POSTS_PER_WINDOW
from tests.experience.answering import sent_survey
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(personas):
    return sent_survey(personas.client_a, language="en")


def _nothing_written(survey: Survey) -> None:
    survey.refresh_from_db()
    assert survey.status == Survey.Status.SENT
    assert survey.answered_at is None
    assert not Response.objects.filter(survey=survey).exists()
    assert not FollowUp.objects.exists()


def test_the_page_opens_without_login_and_asks_the_questions_of_the_programme(client, sent):
    response = client.get(sent.url)

    body = response.content.decode()
    assert response.status_code == 200
    assert "how likely are you to recommend" in body
    assert "What is the main reason for your score?" in body
    assert 'data-testid="question-ces"' in body  # the programme asks CES
    assert 'data-testid="question-csat"' not in body  # but not CSAT
    assert "This is a complaint" in body
    assert 'data-testid="stop-link"' in body
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]


def test_the_page_speaks_the_surveys_language_whatever_the_browser_says(personas):
    italian = sent_survey(personas.client_a, language="it")
    browser = HttpClient(headers={"accept-language": "en"})

    response = browser.get(italian.url)

    body = response.content.decode()
    assert "Qual è il motivo principale del tuo voto?" in body
    assert '<html lang="it">' in body
    assert response["Content-Language"] == "it"


def test_the_page_reveals_nothing_about_a_debt(client, personas):
    sent = sent_survey(personas.client_a, language="en")
    InvoiceFactory(debtor=sent.survey.debtor, number="INV-SECRET-77",
                   amount=Decimal("12345.67"), open_balance=Decimal("12345.67"))

    body = client.get(sent.url).content.decode().lower()

    for word in ("debt", "invoice", "overdue", "owe", "collection", "payment", "12345",
                 "12,345", "inv-secret", sent.survey.debtor.name.lower()):
        assert word not in body, word


def test_an_answer_is_recorded_and_the_browser_lands_on_the_thank_you_page(client, sent):
    response = client.post(sent.url, {"nps": "9", "comment": "Very kind and clear",
                                      "ces": "6"})

    assert response.status_code == 302
    assert response["Location"].endswith("?thanks")
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert 'data-testid="thanks"' in thanks.content.decode()
    answer = Response.objects.get(survey=sent.survey)
    assert (answer.nps, answer.ces, answer.csat, answer.complaint) == (9, 6, None, False)
    assert answer.themes == ["empathy", "clarity"]


def test_a_reused_link_says_already_answered_and_writes_nothing_twice(client, sent):
    client.post(sent.url, {"nps": "3", "comment": "Too many calls"})

    again = client.post(sent.url, {"nps": "10", "comment": "Changed my mind"})
    page = client.get(sent.url)

    assert again.status_code == 409
    assert "Already answered" in again.content.decode()
    assert page.status_code == 409
    assert 'data-problem="used"' in page.content.decode()
    assert Response.objects.filter(survey=sent.survey).count() == 1
    assert Response.objects.get(survey=sent.survey).nps == 3
    assert FollowUp.objects.count() == 1


def test_a_tampered_link_is_not_found_and_says_so_plainly(client, sent):
    tampered = sent.token[:-3] + ("abc" if not sent.token.endswith("abc") else "xyz")

    response = client.get(f"/s/{tampered}/")
    post = client.post(f"/s/{tampered}/", {"nps": "5"})

    assert response.status_code == 404
    assert 'data-problem="tampered"' in response.content.decode()
    assert "This link is not valid" in response.content.decode()
    assert post.status_code == 404
    _nothing_written(sent.survey)


def test_a_well_signed_but_unknown_link_is_not_found(client, sent):
    unknown = signing.Signer(salt=SALT).sign("no-such-token")

    response = client.post(f"/s/{unknown}/", {"nps": "5"})

    assert response.status_code == 404
    assert 'data-problem="unknown"' in response.content.decode()
    _nothing_written(sent.survey)


def test_an_expired_link_is_gone(client, personas):
    old = sent_survey(personas.client_a, sent_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                      valid_days=14)

    response = client.post(old.url, {"nps": "8"})

    assert response.status_code == 410
    assert 'data-problem="expired"' in response.content.decode()
    _nothing_written(old.survey)


@pytest.mark.parametrize("score", ["11", "-1", "7.5", "ten", ""])
def test_a_score_outside_0_to_10_is_refused_with_the_form_again(client, sent, score):
    response = client.post(sent.url, {"nps": score, "comment": "ok"})

    assert response.status_code == 400
    assert "Choose a score from 0 to 10." in response.content.decode()
    _nothing_written(sent.survey)


def test_a_ces_outside_1_to_7_is_refused(client, sent):
    response = client.post(sent.url, {"nps": "8", "ces": "9"})

    assert response.status_code == 400
    assert "Choose a score from 1 to 7." in response.content.decode()
    _nothing_written(sent.survey)


def test_an_oversized_comment_is_refused(client, sent):
    response = client.post(sent.url, {"nps": "4", "comment": "x" * (COMMENT_MAX + 1)})

    assert response.status_code == 400
    assert f"at most {COMMENT_MAX} characters" in response.content.decode()
    _nothing_written(sent.survey)


def test_a_flood_from_one_address_is_refused_with_429(client, sent):
    for _ in range(POSTS_PER_WINDOW):
        assert client.post(sent.url, {"nps": "99"}).status_code == 400

    flooded = client.post(sent.url, {"nps": "9"})
    elsewhere = HttpClient(REMOTE_ADDR="10.9.8.7").post(sent.url, {"nps": "9"})

    assert flooded.status_code == 429
    assert "Too many attempts" in flooded.content.decode()
    assert elsewhere.status_code == 302  # another address is not punished


def test_csrf_stays_on(sent):
    browser = HttpClient(enforce_csrf_checks=True)

    response = browser.post(sent.url, {"nps": "9"})

    assert response.status_code == 403
    _nothing_written(sent.survey)


def test_stop_receiving_surveys_asks_first_then_records_the_opt_out_once(client, sent):
    confirm = client.get(f"{sent.url}?stop")
    assert confirm.status_code == 200
    assert not ContactRestriction.objects.exists()  # a GET changes nothing

    client.post(sent.url, {"stop": "yes"})
    done = client.post(sent.url, {"stop": "yes"})

    assert done.status_code == 200
    assert 'data-testid="stopped"' in done.content.decode()
    restriction = ContactRestriction.objects.get()
    assert (restriction.debtor_id, restriction.kind, restriction.channel) == (
        sent.survey.debtor_id, "channel_opt_out", "survey")
    assert not Response.objects.exists()


def test_an_answered_link_can_still_stop_the_surveys(client, sent):
    client.post(sent.url, {"nps": "9"})

    client.post(sent.url, {"stop": "yes"})

    assert ContactRestriction.objects.filter(debtor=sent.survey.debtor,
                                             channel="survey").count() == 1
