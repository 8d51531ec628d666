"""The courtesy-call screen on a laptop: the debtor's story beside an outcome form that is in
view without scrolling, nothing wider than the screen, and "next call" straight into the next
call after an outcome is recorded."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from caring.models import CourtesyCall, CourtesyCallInvoice
from tests.caring.conftest import rule_packs_seeded
from tests.caring.factories import CallableDebtorFactory, CaringPolicyFactory, CourtesyCallFactory
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import ContactPointFactory, InvoiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _due_call(client, policy, name: str, minutes_ago: int) -> CourtesyCall:
    """A call due now about one invoice, for a debtor with a long history and a long e-mail."""
    debtor = CallableDebtorFactory(client=client, name=name)
    ContactPointFactory(debtor=debtor, channel="email",
                        value="amministrazione.contabilita.fornitori@" + "x" * 30 + ".example")
    today = timezone.localdate()
    for month in range(1, 16):
        InvoiceFactory(debtor=debtor, number=f"BL2026-{debtor.pk:06d}-{month:03d}-LONGREF",
                       due_date=today - dt.timedelta(days=30 * month),
                       issue_date=today - dt.timedelta(days=30 * month + 30))
    call = CourtesyCallFactory(debtor=debtor, policy=policy, window_date=today,
                               first_due_date=today + dt.timedelta(days=5),
                               scheduled_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    invoice = InvoiceFactory(debtor=debtor, due_date=today + dt.timedelta(days=5),
                             amount=Decimal("40000.00"))
    CourtesyCallInvoice.objects.create(client=client, call=call, invoice=invoice,
                                       linked_on=today)
    return call


def _fits_the_screen(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    box = page.locator("#outcome button[type=submit]").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800, box


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_call_screen_fits_a_laptop_and_next_call_opens_the_next_one(page, personas,
                                                                        language):
    rule_packs_seeded()
    policy = CaringPolicyFactory(client=personas.client_a)
    first = _due_call(personas.client_a, policy, "Idraulica Rossi S.r.l.", 10)
    second = _due_call(personas.client_a, policy, "Ferramenta Bianchi S.p.A.", 5)
    log_in(page, "agent_a")
    prefix = "/it" if language == "it" else ""

    page.goto(f"{prefix}/caring/queue/")
    page.get_by_test_id("queue-row").first.get_by_role("button").click()
    expect(page).to_have_url(re.compile(rf"{prefix}/caring/calls/{first.pk}/$"))
    _fits_the_screen(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"caring_workspace_{language}.png"))

    page.keyboard.press("1")
    page.locator("#outcome button[type=submit]").click()
    next_call = page.get_by_test_id("next-call")
    expect(next_call).to_be_visible()
    next_call.click()

    expect(page).to_have_url(re.compile(rf"{prefix}/caring/calls/{second.pk}/$"))
    expect(page.locator("h1")).to_contain_text("Ferramenta Bianchi")
    second.refresh_from_db()
    assert (second.status, second.claimed_by) == ("in_progress", personas.agent)

    page.keyboard.press("1")
    page.locator("#outcome button[type=submit]").click()
    page.get_by_test_id("next-call").click()
    expect(page).to_have_url(re.compile(rf"{prefix}/caring/queue/$"))
    expect(page.locator(".messages")).to_be_visible()
