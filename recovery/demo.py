"""The collections desk's demo history, so every screen has something real on first start.

Opens the cases of every demo client (the same case opener the beat task runs), then writes a
few weeks of desk work on a handful of each client's cases through the real services: calls
that reached nobody, conversations with their moods and empathy markers, kept and broken
promises (judged by the promise evaluator against real payments), a payment plan, an open
dispute, a second-level case, callbacks kept and missed, a bounced direct debit, and a callback
due today for the demo `agent`. Seeded: the same portfolio gives the same history. Runs once (a
portfolio with contacts is left alone).
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portfolio import services as portfolio_services
from portfolio.models import Client, Payment, PaymentReversal
from recovery import services
from recovery.models import (
    CollectionCase,
    CollectionContact,
    Instalment,
    PaymentPlan,
)
from recovery.priority import cases_prioritise
from recovery.services import ContactData

CASES_PER_CLIENT = 12
CALL_HOUR = 10


def _at(client: Client, day: dt.date, hour: int = CALL_HOUR, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute),
                               tzinfo=zoneinfo.ZoneInfo(client.reporting_timezone))


def _talk(**kwargs: Any) -> ContactData:
    values: dict[str, Any] = {"attempt_result": "answered", "party": "right_party_verified",
                              "mood_start": "worried", "mood_end": "calm",
                              "empathy_markers": ["circumstances_noted", "options_offered"]}
    values.update(kwargs)
    return ContactData(**values)


def _log(case: CollectionCase, agent: Any, at: dt.datetime, data: ContactData,
         minutes: int = 4) -> CollectionContact:
    services.case_claim(case=case, agent=agent, now=at)
    data.opened_at = at
    return services.contact_outcome_record(case=case, agent=agent, data=data,
                                           now=at + dt.timedelta(minutes=minutes, seconds=17))


def _history(client: Client, cases: list[CollectionCase], users: dict[str, Any],
             today: dt.date, rng: random.Random) -> None:
    agent, leader = users["agent"], users["leader"]

    def ago(days: int, hour: int = CALL_HOUR) -> dt.datetime:
        return _at(client, today - dt.timedelta(days=days), hour, rng.randrange(0, 50))

    def half(case: CollectionCase) -> Decimal:
        return max(Decimal("1.00"), (case.overdue_amount / 2).quantize(Decimal("0.01")))

    it = iter(cases)
    # 1. Reached nobody twice, then a conversation about a cash-flow gap.
    case = next(it)
    _log(case, agent, ago(9), ContactData(attempt_result="no_answer"), minutes=1)
    _log(case, agent, ago(7, 15), ContactData(attempt_result="voicemail_no_message"), 1)
    _log(case, agent, ago(5), _talk(outcomes=["info_only"],
                                    reason_for_non_payment="cash_flow_timing",
                                    next_step="try_again",
                                    notes="Waiting for a large customer to pay them."))
    # 2. A promise kept: made 12 days ago for 6 days ago, paid 5 days ago.
    case = next(it)
    amount = half(case)
    promise_day = today - dt.timedelta(days=6)
    _log(case, agent, ago(12), _talk(outcomes=["promise_to_pay"], reason_for_non_payment="forgot",
                                     promise_amount=amount, promise_date=promise_day,
                                     next_step="await_payment",
                                     empathy_markers=["next_step_agreed"], mood_start="calm"))
    portfolio_services.payment_record(client=client, debtor=case.debtor,
                                      external_ref=f"DEMO-PTP-{case.pk}", amount=amount,
                                      value_date=today - dt.timedelta(days=5))
    # 3. A promise broken: made 14 days ago for 8 days ago, nothing came.
    case = next(it)
    _log(case, agent, ago(14), _talk(outcomes=["promise_to_pay", "hardship_disclosed"],
                                     reason_for_non_payment="financial_difficulty",
                                     promise_amount=half(case),
                                     promise_date=today - dt.timedelta(days=8),
                                     empathy_markers=["circumstances_noted",
                                                      "affordability_checked",
                                                      "next_step_agreed"],
                                     next_step="await_payment",
                                     notes="Lost a contract; will pay half first."))
    # 4. A payment plan agreed after a hardship conversation.
    case = next(it)
    contact = _log(case, agent, ago(10), _talk(
        outcomes=["payment_plan_agreed", "hardship_disclosed"],
        reason_for_non_payment="financial_difficulty", mood_start="upset", mood_end="calm",
        empathy_markers=["circumstances_noted", "affordability_checked", "options_offered",
                         "next_step_agreed"], next_step="await_payment",
        notes="Four monthly instalments, first one already due."))
    _plan(case, contact, leader, today)
    # 5. An open dispute on the oldest overdue invoice.
    case = next(it)
    invoice = case.debtor.invoices.filter(status__in=["open", "partially_paid"],
                                          due_date__lt=today).order_by("due_date").first()
    if invoice is not None:
        _log(case, agent, ago(3), _talk(outcomes=["dispute_logged"],
                                        reason_for_non_payment="invoice_disputed",
                                        dispute_invoice_ids=[invoice.pk],
                                        dispute_reason="price_or_quantity",
                                        dispute_detail="Billed for 12 units, received 10.",
                                        mood_start="angry", mood_end="calm",
                                        next_step="correct_invoice"))
    # 6. A callback the debtor asked for, due today at 11:00, kept for the demo agent.
    case = next(it)
    _log(case, agent, ago(1, 17), _talk(outcomes=["callback_requested"],
                                        callback_at=_at(client, today, 11),
                                        callback_consent=True, next_step="callback",
                                        notes="Driving; asked to be called tomorrow at 11."))
    # 7. Asked to be called back when the invoices were at hand; called back two minutes after
    #    the agreed time (a callback kept): the invoice was never received, a copy goes out.
    case = next(it)
    agreed = _at(client, today - dt.timedelta(days=4), CALL_HOUR)
    _log(case, agent, ago(6, 16), _talk(outcomes=["callback_requested"], callback_at=agreed,
                                        callback_consent=True, next_step="callback",
                                        notes="Needs the invoices in front of them."))
    _log(case, agent, agreed + dt.timedelta(minutes=2), _talk(
        outcomes=["invoice_not_received"], reason_for_non_payment="invoice_not_received",
        next_step="send_invoice_copy", mood_start="calm"))
    # 8. A callback made an hour late (missed by the desk's measure); the debtor then refused
    #    to pay and was handed to a second-level specialist by the team leader.
    case = next(it)
    agreed = _at(client, today - dt.timedelta(days=6), CALL_HOUR - 1)
    _log(case, agent, ago(8, 16), _talk(outcomes=["callback_requested"], callback_at=agreed,
                                        callback_consent=True, next_step="callback",
                                        mood_start="upset", mood_end="upset"))
    _log(case, agent, agreed + dt.timedelta(hours=1), _talk(
        outcomes=["refused_to_pay"], mood_start="angry", mood_end="upset",
        empathy_markers=["options_offered"], next_step="second_level"))
    services.case_escalate(case=case, to_stage="second_level", by=leader,
                           reason="Refuses every option; needs a specialist.",
                           now=ago(6, 16))
    # 9. Someone else answered: nothing said about the debt.
    case = next(it)
    _log(case, agent, ago(2), ContactData(attempt_result="answered", party="wrong_party",
                                          next_step="try_again"), minutes=1)
    # 10. The debtor asked not to be called on Monday mornings.
    case = next(it)
    _log(case, leader, ago(8), _talk(outcomes=["inconvenient_time_set", "info_only"],
                                     inconvenient_weekdays=["mon"],
                                     inconvenient_from=dt.time(8, 30),
                                     inconvenient_to=dt.time(12, 0), mood_start="calm"))
    # 11. A direct debit that bounced: paid nine days ago, returned by the bank three days
    #     later, so the invoices it paid are open again and the cash figures take it off.
    case = next(it)
    bounced, _created = portfolio_services.payment_record(
        client=client, debtor=case.debtor, external_ref=f"DEMO-SDD-{case.pk}",
        amount=half(case), value_date=today - dt.timedelta(days=9),
        method=Payment.Method.DIRECT_DEBIT)
    portfolio_services.payment_reverse(payment=bounced, booked_on=today - dt.timedelta(days=6),
                                       reason=PaymentReversal.Reason.BOUNCED,
                                       note="R01: insufficient funds")


def _plan(case: CollectionCase, contact: CollectionContact, approver: Any,
          today: dt.date) -> None:
    """Four equal monthly instalments, the first due a week ago (kept)."""
    total = case.overdue_amount
    plan = PaymentPlan.objects.create(
        client_id=case.client_id, debtor_id=case.debtor_id, case=case,
        status=PaymentPlan.Status.ACTIVE, total=total, currency=case.currency,
        instalment_kind=PaymentPlan.InstalmentKind.EQUAL, created_by=contact.agent,
        approved_by=approver, approved_at=contact.saved_at, contact=contact,
        note="Agreed after a hardship conversation.")
    share = (total / 4).quantize(Decimal("0.01"))
    amounts = [share, share, share, total - 3 * share]
    for number, amount in enumerate(amounts, start=1):
        due = today + dt.timedelta(days=30 * (number - 1) - 7)
        kept = number == 1
        Instalment.objects.create(
            client_id=case.client_id, plan=plan, number=number, due_date=due, amount=amount,
            status="kept" if kept else "pending", paid_amount=amount if kept else 0,
            evaluated_at=timezone.now() if kept else None)
    portfolio_services.payment_record(client=case.client, debtor=case.debtor,
                                      external_ref=f"DEMO-PLAN-{plan.pk}-1", amount=amounts[0],
                                      value_date=today - dt.timedelta(days=7))


def recovery_demo_create(*, today: dt.date | None = None, seed: int = 2026) -> dict[str, int]:
    """Open every client's cases and write the demo history once; returns counts."""
    today = today or timezone.localdate()
    opened = 0
    for client_id in Client.objects.order_by("pk").values_list("pk", flat=True):
        opened += services.client_cases_run(client_id=client_id, as_of=today)["opened"]
    if CollectionContact.objects.exists():
        return {"opened": opened, "contacts": 0}
    users = {user.username: user for user in get_user_model().objects.filter(
        username__in=["agent", "leader"])}
    if len(users) < 2:
        return {"opened": opened, "contacts": 0}
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    for client in Client.objects.order_by("pk"):
        cases = list(CollectionCase.objects.filter(
            client=client, status=CollectionCase.Status.OPEN, on_hold=False,
            stage=CollectionCase.Stage.FIRST_LEVEL, debtor__deceased=False,
            debtor__vulnerable=False, debtor__do_not_call=False,
            debtor__contact_points__channel="phone",
        ).distinct().order_by("-overdue_amount", "pk")[:CASES_PER_CLIENT * 3])
        if len(cases) < CASES_PER_CLIENT:
            continue
        chosen = sorted(rng.sample(cases, CASES_PER_CLIENT), key=lambda case: case.pk)
        with transaction.atomic():
            _history(client, chosen, users, today, rng)
    services.promises_evaluate(as_of=today)
    for client_id in Client.objects.order_by("pk").values_list("pk", flat=True):
        services.client_cases_run(client_id=client_id, as_of=today)
        cases_prioritise(client_id=client_id)
    return {"opened": opened, "contacts": CollectionContact.objects.count()}
