"""The desk's screens fit a 1280x800 laptop in English and Italian: the workspace shows its
essentials without scrolling the page, and no screen overflows sideways. Screenshots land in
var/test/screenshots/ for a person to look at."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from caring.models import CourtesyCall
from compliance.models import ContactDecision, ContactOverride
from tests.caring.conftest import rule_packs_restored_at_end  # noqa: F401 (a fixture)
from tests.caring.factories import CourtesyCallFactory
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory, PaymentFactory
from tests.recovery.desk import claimed_by, overdue_case
from tests.recovery.factories import (
    CallbackFactory,
    CollectionContactFactory,
    DisputedInvoiceFactory,
    InstalmentFactory,
    PaymentPlanFactory,
    PromiseToPayFactory,
)
from tests.scoring.factories import DebtorScoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("rule_packs_restored_at_end")]


def _busy_case(personas):
    client = personas.client_a
    debtor = DebtorFactory(client=client, name="Termoidraulica Esposito & Figli S.r.l.")
    ContactPointFactory(debtor=debtor, client=client, value="+390812345678", label="office")
    ContactPointFactory(debtor=debtor, client=client, value="+393471234567", label="mobile")
    case = claimed_by(overdue_case(debtor, amount="18450.75", days=73, priority="1840"),
                      personas.agent)
    today = timezone.localdate()
    for n in range(1, 8):
        InvoiceFactory(debtor=debtor, client=client, number=f"FT-2026-{n:04d}",
                       amount=Decimal("1234.56") * n, due_date=today - dt.timedelta(days=9 * n),
                       issue_date=today - dt.timedelta(days=9 * n + 30))
    reasons = [("cash_flow_timing", "worried", "calm"), ("forgot", "calm", "calm"),
               ("financial_difficulty", "upset", "worried")]
    for n in range(14):
        reason, start, end = reasons[n % 3]
        CollectionContactFactory(
            case=case, agent=personas.team_leader if n % 2 else personas.agent,
            reason_for_non_payment=reason, mood_start=start, mood_end=end,
            outcomes=["promise_to_pay", "callback_requested"] if n % 3 == 0 else ["info_only"],
            empathy_markers=["circumstances_noted", "options_offered"],
            notes="Il titolare dice che il pagamento del cliente principale arriva a fine mese.",
            opened_at=timezone.now() - dt.timedelta(days=n * 3, minutes=4),
            saved_at=timezone.now() - dt.timedelta(days=n * 3))
    CourtesyCallFactory(debtor=debtor, client=client, status=CourtesyCall.Status.DONE,
                        outcome=CourtesyCall.Outcome.NOT_RECEIVED, note="Sent a copy by PEC",
                        completed_at=timezone.now() - dt.timedelta(days=80))
    for n in range(3):
        PromiseToPayFactory(case=case, amount=Decimal("2500.00") + n,
                            status="broken" if n else "kept", evaluated_at=timezone.now(),
                            promised_date=today - dt.timedelta(days=10 * n + 5))
    plan = PaymentPlanFactory(case=case, total=Decimal("9000.00"), status="active")
    for n in range(1, 7):
        InstalmentFactory(plan=plan, number=n, amount=Decimal("1500.00"),
                          due_date=today + dt.timedelta(days=30 * n))
    DisputedInvoiceFactory(dispute__case=case, invoice__number="FT-2026-0999")
    for n in range(5):
        PaymentFactory(debtor=debtor, client=client, amount=Decimal("980.40") + n,
                       value_date=today - dt.timedelta(days=20 * n))
    DebtorScoreFactory(debtor=debtor, band="D", points=512, probability=Decimal("0.41"),
                       reasons=[{"code": "late", "text": "Pays most invoices late",
                                 "impact": -42},
                                {"code": "trend", "text": "Days beyond terms rising",
                                 "impact": -18}])
    CallbackFactory(case=overdue_case(DebtorFactory(client=client, name="Bar Centrale")),
                    agent=personas.agent, due_at=timezone.now() + dt.timedelta(hours=1))
    decision = ContactDecision.objects.create(
        client=client, debtor=debtor, channel="call", decided_at=timezone.now(), allowed=False,
        rule_ids=["attempts_per_day"], reason="Two attempts today already", overridable=True,
        pack_code="IT", pack_version=1)
    ContactOverride.objects.create(client=client, debtor=debtor, decision=decision,
                                   channel="call", reason="The debtor asked to be called now",
                                   requested_by=personas.agent, requested_at=timezone.now())
    return case


def _fits(page, name: str, *, whole: bool) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"collections-{name}.png"))
    width, height, inner_w, inner_h = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " window.innerWidth, window.innerHeight]")
    assert width <= inner_w, f"{name} overflows sideways ({width}px)"
    if whole:
        assert height <= inner_h, f"{name} needs scrolling ({height}px)"


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_desks_screens_fit_a_laptop(page, personas, language):
    case = _busy_case(personas)
    prefix = "/it" if language == "it" else ""
    log_in(page, "agent_a")

    page.goto(f"{prefix}/collections/")
    _fits(page, f"queue-{language}", whole=True)
    page.goto(f"{prefix}/collections/cases/{case.pk}/")
    page.locator("body").click()
    for key in ("1", "r", "c", "p"):
        page.keyboard.press(key)
    page.locator("body").click()
    _fits(page, f"workspace-{language}", whole=True)
    page.goto(f"{prefix}/portfolio/debtors/{case.debtor_id}/")
    page.get_by_test_id("collections-story").scroll_into_view_if_needed()
    _fits(page, f"debtor-{language}", whole=False)

    page.context.clear_cookies()
    log_in(page, "leader_a")
    page.goto(f"{prefix}/collections/control-room/")
    _fits(page, f"control-room-{language}", whole=True)
