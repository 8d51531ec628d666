"""A debtor answers the survey on a phone: opens the personal link, answers, lands on the
thank-you page; opening the link again says it is already answered. Nothing overflows the
phone's width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from experience.models import Response
from tests.caring.conftest import rule_packs_restored_at_end, rule_packs_seeded  # noqa: F401
from tests.e2e.conftest import SCREENSHOTS
from tests.experience.answering import sent_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("rule_packs_restored_at_end")]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def _no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_debtor_answers_on_a_phone_and_cannot_answer_twice(phone, personas, language):
    sent = sent_survey(personas.client_a, language=language, ask_ces=True, ask_csat=True)

    phone.goto(sent.url)
    expect(phone.get_by_test_id("question-nps")).to_be_visible()
    expect(phone.get_by_test_id("question-ces")).to_be_visible()
    expect(phone.get_by_test_id("question-csat")).to_be_visible()
    _no_horizontal_overflow(phone)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / f"survey-phone-{language}.png"), full_page=True)

    phone.get_by_test_id("question-nps").get_by_text("9", exact=True).click()
    phone.locator("textarea[name=comment]").fill("Gentili e chiari")
    phone.get_by_test_id("question-ces").get_by_text("6", exact=True).click()
    phone.get_by_test_id("question-csat").get_by_text("4", exact=True).click()
    phone.get_by_role("button").click()

    expect(phone.get_by_test_id("thanks")).to_be_visible()
    expect(phone.get_by_test_id("thanks")).to_have_text("Thank you" if language == "en"
                                                         else "Grazie")
    answer = Response.objects.get(survey=sent.survey)
    assert (answer.nps, answer.ces, answer.csat) == (9, 6, 4)

    phone.goto(sent.url)
    problem = phone.get_by_test_id("link-problem")
    expect(problem).to_have_attribute("data-problem", "used")
    expect(problem.locator("h1")).to_have_text("Already answered" if language == "en"
                                               else "Hai già risposto")
    _no_horizontal_overflow(phone)
    assert Response.objects.filter(survey=sent.survey).count() == 1


def test_a_score_left_out_is_asked_for_again_and_nothing_is_stored(phone, personas):
    sent = sent_survey(personas.client_a, language="en", ask_ces=False)

    phone.goto(sent.url)
    phone.locator("textarea[name=comment]").fill("No score given")
    phone.get_by_role("button").click()

    expect(phone.get_by_test_id("nps-errors")).to_contain_text("Choose a score from 0 to 10.")
    expect(phone.locator("textarea[name=comment]")).to_have_value("No score given")
    assert not Response.objects.exists()


def test_the_team_leaders_follow_up_fits_a_laptop_and_closes(page, personas):
    from experience.answers import response_record
    from experience.models import FollowUp
    from tests.e2e.conftest import log_in

    rule_packs_seeded()  # an earlier transactional test's flush removed them
    sent = sent_survey(personas.client_a, agent=personas.agent, language="it")
    response_record(signed_token=sent.token, nps=2, complaint=True,
                    comment="L'operatore è stato scortese e ha insistito troppo. " * 8)
    follow_up = FollowUp.objects.get()
    log_in(page, "leader_a")

    page.goto(f"/experience/follow-ups/{follow_up.pk}/")
    expect(page.get_by_test_id("call-verdict")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "survey-follow-up.png"))
    page.get_by_label("How did it end?").select_option("called_back")
    page.get_by_role("button", name="Close the follow-up").click()

    expect(page.get_by_test_id("closed")).to_be_visible()
    follow_up.refresh_from_db()
    assert follow_up.status == "closed"
