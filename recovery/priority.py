"""The explained priority of an open case: who is called first, and why (DOMAIN step 4).

    priority = P(late) x overdue amount            "expected loss" (the score ranks the money)
             + days overdue x DAY_POINTS           older debts first, capped at a year
             + STAGE_POINTS[stage]                 specialists' cases before first contacts
             + PROMISE_DUE_POINTS                  a pending promise falls due today or earlier
             + CALLBACK_DUE_POINTS                 an agreed callback is due
             + BROKEN_PROMISE_POINTS               the latest promise was broken: to the top

P(late) is the debtor's latest score with the preference of scoring.selectors (segment
champion, then all-debtor champion, then any model); a debtor no model has scored yet counts
as UNSCORED_PROBABILITY, neither first nor last. Every component that applies is stored in
`priority_reasons` as {"code", "label", "value"} so that the agent and the team leader see the
same explanation the queue used.

Recomputed in chunks by the beat task after the case opener, and for one case whenever a
contact, a promise evaluation or a stage change touches it. One read per chunk for each input
(cases, scores, promises, callbacks) and one bulk UPDATE of the rows whose priority moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from portfolio.sql import sql_literals
from recovery.models import Callback, CollectionCase, PromiseToPay
from scoring.selectors import (
    debtor_probability_latest_sql,
    debtor_scores_latest,
    probability_read,
)

UNSCORED_PROBABILITY = Decimal("0.5")
DAY_POINTS = Decimal("2")
MAX_DAYS = 365
STAGE_POINTS: dict[str, Decimal] = {
    CollectionCase.Stage.FIRST_LEVEL: Decimal("0"),
    CollectionCase.Stage.SECOND_LEVEL: Decimal("500"),
    CollectionCase.Stage.COMPLAINT: Decimal("1000"),
    CollectionCase.Stage.LEGAL: Decimal("0"),
}
PROMISE_DUE_POINTS = Decimal("50000")
CALLBACK_DUE_POINTS = Decimal("100000")
# Above any expected loss a portfolio holds: a broken promise is called back first (SPEC §2,
# issue text: "a broken promise puts the case back at the top").
BROKEN_PROMISE_POINTS = Decimal("1000000000")

# Labels are translated where they are shown (the reasons are stored in English, the codes
# are stable).
LABELS = {
    "expected_loss": gettext_noop("Probability of late payment times overdue amount"),
    "unscored": gettext_noop("Not scored yet: probability taken as 50%"),
    "days_overdue": gettext_noop("Days overdue"),
    "stage": gettext_noop("Stage"),
    "promise_due": gettext_noop("Promise to pay falling due"),
    "callback_due": gettext_noop("Callback due"),
    "broken_promise": gettext_noop("Broken promise"),
}
_Q4 = Decimal("0.0001")


def _reason(code: str, value: Decimal, **extra: object) -> dict[str, object]:
    return {"code": code, "label": LABELS[code], "value": str(value.quantize(_Q4)), **extra}


def priority_explain(*, overdue: Decimal, probability: Decimal | None, days_overdue: int,
                     stage: str, promise_due: bool, callback_due: bool,
                     broken_promise: bool) -> tuple[Decimal, list[dict[str, object]]]:
    """The priority and its reasons from the case's facts. Pure."""
    scored = probability is not None
    p = probability if probability is not None else UNSCORED_PROBABILITY
    reasons = [_reason("expected_loss", p * overdue, probability=str(p), amount=str(overdue))]
    if not scored:
        reasons.append({"code": "unscored", "label": LABELS["unscored"], "value": "0"})
    days = max(0, min(days_overdue, MAX_DAYS))
    if days:
        reasons.append(_reason("days_overdue", DAY_POINTS * days, days=days_overdue))
    if STAGE_POINTS.get(stage):
        reasons.append(_reason("stage", STAGE_POINTS[stage], stage=stage))
    if promise_due:
        reasons.append(_reason("promise_due", PROMISE_DUE_POINTS))
    if callback_due:
        reasons.append(_reason("callback_due", CALLBACK_DUE_POINTS))
    if broken_promise:
        reasons.append(_reason("broken_promise", BROKEN_PROMISE_POINTS))
    total = sum((Decimal(str(r["value"])) for r in reasons), Decimal("0")).quantize(_Q4)
    return total, reasons


def _chunk_facts(ids: list[int], today: dt.date,
                 now: dt.datetime) -> tuple[set[int], set[int], set[int]]:
    """Promise due, callback due and broken promise for a chunk of cases: one set-based read
    each."""
    promise_due = set(PromiseToPay.objects.filter(
        case_id__in=ids, status=PromiseToPay.Status.PENDING, promised_date__lte=today,
    ).values_list("case_id", flat=True))
    callback_due = set(Callback.objects.filter(
        case_id__in=ids, status=Callback.Status.PENDING, due_at__lte=now,
    ).values_list("case_id", flat=True))
    # Broken: the case's latest judged promise is broken and nothing newer is pending.
    judged = PromiseToPay.objects.filter(case_id__in=ids).filter(
        Q(status__in=PromiseToPay.EVALUATED) | Q(status=PromiseToPay.Status.PENDING))
    latest = dict(judged.values("case_id").annotate(last=Max("id")).values_list("case_id",
                                                                                "last"))
    broken = set(PromiseToPay.objects.filter(pk__in=list(latest.values()),
                                             status=PromiseToPay.Status.BROKEN)
                 .values_list("case_id", flat=True))
    return promise_due, callback_due, broken


class _Facts(NamedTuple):
    """What a priority needs besides the case's own columns."""

    probability: dict[int, Decimal]  # by debtor: the latest champion score's
    promise_due: set[int]  # the sets are of case ids
    callback_due: set[int]
    broken: set[int]


def _chunk_probabilities(debtor_ids: set[int]) -> dict[int, Decimal]:
    return {debtor_id: Decimal(str(score.probability))
            for debtor_id, score in debtor_scores_latest(debtor_ids=debtor_ids).items()}


# A contact re-prioritises its one case: compiling the ORM form of this read (four correlated
# subqueries) cost more CPU than running it, on the collections desk's hottest path
# (bench/README.md, "Collections"). Plain SQL both databases run; the case ids are the
# parameters after the day and the time.
_PENDING = sql_literals(PromiseToPay.Status.PENDING)
_JUDGED_OR_PENDING = sql_literals(*PromiseToPay.EVALUATED, PromiseToPay.Status.PENDING)
_NAMED_CASES_FACTS_SQL = (
    "SELECT c.id, c.debtor_id,"  # noqa: S608 (table and column names, choices)
    " EXISTS (SELECT 1 FROM recovery_promisetopay p WHERE p.case_id = c.id"
    f" AND p.status = {_PENDING} AND p.promised_date <= %s),"
    " EXISTS (SELECT 1 FROM recovery_callback b WHERE b.case_id = c.id"
    f" AND b.status = {sql_literals(Callback.Status.PENDING)} AND b.due_at <= %s),"
    " (SELECT p.status FROM recovery_promisetopay p WHERE p.case_id = c.id"
    f" AND p.status IN ({_JUDGED_OR_PENDING})"
    " ORDER BY p.id DESC LIMIT 1), "
    + debtor_probability_latest_sql(debtor_id="c.debtor_id", kind="d.kind")
    + " FROM recovery_collectioncase c JOIN portfolio_debtor d ON d.id = c.debtor_id"
    " WHERE c.id IN ({ids})"
)


def _named_cases_facts(ids: list[int], today: dt.date, now: dt.datetime) -> _Facts:
    """The same facts for a few named cases (after a contact, a promise evaluation, a stage
    change) in one query: an index probe per case and per input instead of four reads."""
    sql = _NAMED_CASES_FACTS_SQL.format(ids=", ".join(["%s"] * len(ids)))
    params = [connection.ops.adapt_datefield_value(today),
              connection.ops.adapt_datetimefield_value(now), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    facts = _Facts({}, set(), set(), set())
    for pk, debtor_id, promise, callback, latest_status, probability in rows:
        if probability is not None:
            facts.probability[debtor_id] = probability_read(probability)
        if promise:
            facts.promise_due.add(pk)
        if callback:
            facts.callback_due.add(pk)
        if latest_status == PromiseToPay.Status.BROKEN:
            facts.broken.add(pk)
    return facts


def cases_prioritise(*, cases: Iterable[CollectionCase] | None = None,
                     client_id: int | None = None, lo: int = 0, hi: int = 2**63 - 1,
                     now: dt.datetime | None = None) -> int:
    """Recompute the priority of open cases: the given ones, or a client's with debtor ids in
    [lo, hi). Writes only the cases whose priority or reasons moved; returns their number."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if cases is None:
        if client_id is None:
            raise ValueError("Give the cases to prioritise or the client whose cases these are.")
        rows = list(CollectionCase.objects.filter(
            client_id=client_id, status=CollectionCase.Status.OPEN, debtor_id__gte=lo,
            debtor_id__lt=hi).only("id", "debtor_id", "overdue_amount", "oldest_due_date",
                                   "stage", "priority", "priority_reasons"))
    else:
        rows = [case for case in cases if case.status == CollectionCase.Status.OPEN]
    if not rows:
        return 0
    ids = [case.pk for case in rows]
    if cases is None:
        facts = _Facts(_chunk_probabilities({case.debtor_id for case in rows}),
                       *_chunk_facts(ids, today, now))
    else:
        facts = _named_cases_facts(ids, today, now)
    changed = []
    for case in rows:
        days = (today - case.oldest_due_date).days if case.oldest_due_date else 0
        priority, reasons = priority_explain(
            overdue=case.overdue_amount, probability=facts.probability.get(case.debtor_id),
            days_overdue=days, stage=case.stage, promise_due=case.pk in facts.promise_due,
            callback_due=case.pk in facts.callback_due, broken_promise=case.pk in facts.broken)
        if priority != case.priority or reasons != case.priority_reasons:
            case.priority, case.priority_reasons = priority, reasons
            changed.append(case)
    CollectionCase.objects.bulk_update(changed, ["priority", "priority_reasons"],
                                       batch_size=1000)
    return len(changed)
