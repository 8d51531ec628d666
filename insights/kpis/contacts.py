"""Desk KPIs from the collections contacts (SPEC §3): the contact funnel, first-contact
resolution, recontact rate and average handle time. Optionally for one agent.

Outcomes are a JSON list on the contact; "has outcome X" is a text match on the list's JSON
(`"promise_to_pay"` with its quotes), which reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    TextField,
)
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.rules import CONNECTED_RESULTS
from insights.kpis.base import Kpi, Period, Scope, ratio
from recovery.models import Callback, CollectionContact, PromiseToPay

Outcome = CollectionContact.Outcome
# A contact resolves the debtor's matter when money moved or a way to pay or to settle the
# question was agreed on it (SPEC §3 "resolution outcome").
RESOLUTION_OUTCOMES = (Outcome.PAID_IN_FULL, Outcome.PAYMENT_TAKEN, Outcome.PROMISE_TO_PAY,
                       Outcome.PAYMENT_PLAN_AGREED, Outcome.PLAN_RENEGOTIATED,
                       Outcome.DISPUTE_LOGGED)
LIVE_RESULTS = (CollectionContact.AttemptResult.ANSWERED, CollectionContact.AttemptResult.DROPPED)
RPC = CollectionContact.Party.RIGHT_PARTY_VERIFIED
INBOUND = CollectionContact.Direction.INBOUND
# SPEC §3: first-contact resolution and recontact look N days ahead, 7 by default.
DEFAULT_WINDOW_DAYS = 7
CENT = Decimal("0.01")


def _rate(numerator: int, denominator: int) -> Decimal | None:
    return ratio(numerator, denominator, scale=100, places=CENT)


def has_outcome(*outcomes: str) -> Q:
    condition = Q()
    for outcome in outcomes:
        condition |= Q(outcomes_text__contains=f'"{outcome}"')
    return condition


def contacts(scope: Scope, period: Period, agent: Any = None) -> QuerySet[CollectionContact]:
    start, end = scope.bounds(period)
    queryset = CollectionContact.objects.filter(client=scope.client, saved_at__gte=start,
                                                saved_at__lt=end)
    if agent is not None:
        queryset = queryset.filter(agent=agent)
    return queryset.annotate(outcomes_text=Cast("outcomes", TextField()))


def contact_funnel(scope: Scope, period: Period, agent: Any = None) -> dict[str, Kpi]:
    """Outbound call attempts, connects, live answers, right-party contacts, promises."""
    calls = Q(channel=CollectionContact.Channel.CALL,
              direction=CollectionContact.Direction.OUTBOUND)
    row = contacts(scope, period, agent).aggregate(
        attempts=Count("id", filter=calls),
        connects=Count("id", filter=calls & Q(attempt_result__in=CONNECTED_RESULTS)),
        live=Count("id", filter=calls & Q(attempt_result__in=LIVE_RESULTS)),
        rpc_calls=Count("id", filter=calls & Q(party=RPC)),
        rpc=Count("id", filter=Q(party=RPC)),
        handled=Count("id"),
    )
    start, end = scope.bounds(period)
    promises = PromiseToPay.objects.filter(client=scope.client, created_at__gte=start,
                                           created_at__lt=end, currency=scope.currency)
    if agent is not None:
        promises = promises.filter(created_by=agent)
    promise_count = promises.count()
    attempts, connects, live = row["attempts"], row["connects"], row["live"]
    return {
        "attempts": Kpi(code="attempts", name=_("Call attempts"), variant=_("outbound calls"),
                        formula=_("Outbound calls dialled in the period"), unit="count",
                        value=attempts, numerator=attempts),
        "connect_rate": Kpi(
            code="connect_rate", name=_("Connect rate"), variant=_("per attempt"),
            formula=_("Connected calls (answered, rang unanswered, voicemail, dropped) ÷ "
                      "outbound call attempts x 100"),
            unit="percent", value=_rate(connects, attempts), numerator=connects,
            denominator=attempts),
        "rpc_rate_attempts": Kpi(
            code="rpc_rate", name=_("Right-party contact rate"), variant=_("per attempt"),
            formula=_("Calls reaching the verified right party ÷ outbound call attempts x 100"),
            unit="percent", value=_rate(row["rpc_calls"], attempts),
            numerator=row["rpc_calls"], denominator=attempts),
        "rpc_rate_live": Kpi(
            code="rpc_rate", name=_("Right-party contact rate"), variant=_("per live answer"),
            formula=_("Calls reaching the verified right party ÷ calls answered by a person "
                      "x 100"),
            unit="percent", value=_rate(row["rpc_calls"], live),
            numerator=row["rpc_calls"], denominator=live),
        "rpcs": Kpi(code="rpcs", name=_("Right-party contacts"), variant=_("all channels"),
                    formula=_("Contacts with the verified right party, any channel or "
                              "direction"), unit="count", value=row["rpc"],
                    numerator=row["rpc"]),
        "promises_per_rpc": Kpi(
            code="promises_per_rpc", name=_("Promises per RPC"), variant=_("all channels"),
            formula=_("Promises to pay taken ÷ right-party contacts"), unit="ratio",
            value=ratio(promise_count, row["rpc"], places=Decimal("0.01")),
            numerator=promise_count, denominator=row["rpc"]),
    }


def _window_end(days: int) -> ExpressionWrapper:
    return ExpressionWrapper(F("saved_at") + dt.timedelta(days=days),
                             output_field=DateTimeField())


def _count_with_later(queryset: QuerySet[CollectionContact],
                      later: QuerySet[CollectionContact], name: str) -> dict[str, int]:
    """All rows, and those followed by a `later` contact. Two COUNTs: Django 5.2 drops an
    Exists annotation from the inner query when a conditional aggregate filters on it."""
    return {name: queryset.count(), "again": queryset.filter(Exists(later)).count()}


def first_contact_resolution(scope: Scope, period: Period, agent: Any = None, *,
                             days: int = DEFAULT_WINDOW_DAYS) -> Kpi:
    later_inbound = CollectionContact.objects.filter(
        debtor=OuterRef("debtor"), case=OuterRef("case"), direction=INBOUND,
        saved_at__gt=OuterRef("saved_at"), saved_at__lte=OuterRef("window_end"))
    resolved = (contacts(scope, period, agent).filter(has_outcome(*RESOLUTION_OUTCOMES))
                .annotate(window_end=_window_end(days)))
    row = _count_with_later(resolved, later_inbound, "resolved")
    kept = row["resolved"] - row["again"]
    return Kpi(code="fcr", name=_("First-contact resolution"),
               variant=_("N = %(days)s days") % {"days": days},
               formula=_("Contacts with a resolution outcome and no further inbound contact "
                         "from the same debtor on the same case within N days ÷ contacts with "
                         "a resolution outcome x 100"),
               unit="percent", value=_rate(kept, row["resolved"]), numerator=kept,
               denominator=row["resolved"], extra={"days": days})


def recontact_rate(scope: Scope, period: Period, agent: Any = None, *,
                   days: int = DEFAULT_WINDOW_DAYS) -> Kpi:
    later_inbound = CollectionContact.objects.filter(
        debtor=OuterRef("debtor"), direction=INBOUND, saved_at__gt=OuterRef("saved_at"),
        saved_at__lte=OuterRef("window_end"))
    inbound = (contacts(scope, period, agent).filter(direction=INBOUND)
               .annotate(window_end=_window_end(days)))
    row = _count_with_later(inbound, later_inbound, "inbound")
    return Kpi(code="recontact_rate", name=_("Recontact rate"),
               variant=_("N = %(days)s days") % {"days": days},
               formula=_("Inbound contacts followed by another inbound contact from the same "
                         "debtor within N days ÷ inbound contacts x 100"),
               unit="percent", value=_rate(row["again"], row["inbound"]),
               numerator=row["again"], denominator=row["inbound"], extra={"days": days})


def average_handle_time(scope: Scope, period: Period, agent: Any = None) -> Kpi:
    row = contacts(scope, period, agent).aggregate(seconds=Sum("handle_seconds"),
                                                   handled=Count("id"))
    seconds = row["seconds"] or 0
    return Kpi(code="aht", name=_("Average handle time"),
               variant=_("case opened to outcome saved"),
               formula=_("(Talk + hold + after-call work) ÷ handled contacts; measured from "
                         "opening the case to saving the outcome"),
               unit="seconds", value=ratio(seconds, row["handled"], places=Decimal("1")),
               numerator=seconds, denominator=row["handled"])


# A callback is kept when the agent calls within this many minutes of the agreed time.
CALLBACK_GRACE_MINUTES = 15


def callbacks_on_time(scope: Scope, period: Period, agent: Any = None, *,
                      now: dt.datetime | None = None,
                      grace_minutes: int = CALLBACK_GRACE_MINUTES) -> Kpi:
    """The outbound desk's service level: callbacks promised to debtors and made on time.

    Callbacks falling due in the period, up to now (a later one cannot be late yet), except
    those cancelled (the case closed or the debtor withdrew consent): a callback still pending
    after its grace counts as missed."""
    start, end = scope.bounds(period)
    now = now or timezone.now()
    due = Callback.objects.filter(client=scope.client, due_at__gte=start,
                                  due_at__lt=min(end, now)).exclude(
        status=Callback.Status.CANCELLED)
    if agent is not None:
        due = due.filter(agent=agent)
    grace = dt.timedelta(minutes=grace_minutes)
    row = due.aggregate(
        due=Count("id"),
        kept=Count("id", filter=Q(status=Callback.Status.DONE,
                                  done_at__lte=ExpressionWrapper(
                                      F("due_at") + grace, output_field=DateTimeField()))),
        missed=Count("id", filter=Q(status=Callback.Status.PENDING,
                                    due_at__lt=now - grace)))
    return Kpi(code="callbacks_on_time", name=_("Callbacks kept on time"),
               variant=_("within %(minutes)s minutes") % {"minutes": grace_minutes},
               formula=_("Callbacks made within the grace minutes of the time agreed with the "
                         "debtor ÷ callbacks falling due (cancelled ones left out) x 100"),
               unit="percent", value=_rate(row["kept"], row["due"]), numerator=row["kept"],
               denominator=row["due"], extra={"minutes": grace_minutes,
                                              "missed": row["missed"]})


def daily_activity(scope: Scope, period: Period, agent: Any = None) -> dict[Any, dict[str, int]]:
    """Per day of the period (client's time zone): contacts, right-party contacts and handle
    seconds, one grouped query."""
    rows = (contacts(scope, period, agent)
            .annotate(day=TruncDate("saved_at", tzinfo=scope.tz)).values("day")
            .annotate(handled=Count("id"), rpc=Count("id", filter=Q(party=RPC)),
                      seconds=Sum("handle_seconds"))
            .order_by("day"))
    return {row["day"]: {"handled": row["handled"], "rpc": row["rpc"],
                         "seconds": row["seconds"] or 0} for row in rows}
