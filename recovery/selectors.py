"""Read queries of the collections desk, every one scoped through access.scoping: case lists
and the case itself, a debtor's whole story, the queue's state and each agent's day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from access.scoping import AnyUser, object_get_for_user, scope_to_user
from portfolio.models import Debtor
from recovery.models import (
    Callback,
    CaseStageChange,
    CollectionCase,
    CollectionContact,
    Dispute,
    PaymentPlan,
    PromiseToPay,
)

_CASE_RELATED = ("debtor", "client", "claimed_by", "assigned_agent")


def case_list(*, user: AnyUser, status: str | None = None, stage: str | None = None,
              debtor: Debtor | None = None) -> QuerySet[CollectionCase]:
    """The cases of the user's clients, best first (the queue's order)."""
    cases = scope_to_user(CollectionCase.objects.select_related(*_CASE_RELATED), user)
    if status:
        cases = cases.filter(status=status)
    if stage:
        cases = cases.filter(stage=stage)
    if debtor is not None:
        cases = cases.filter(debtor=debtor)
    return cases.order_by("-priority", "id")


def case_get_for_user(*, user: AnyUser, pk: object) -> CollectionCase:
    return object_get_for_user(CollectionCase.objects.select_related(*_CASE_RELATED), user,
                               pk=pk)


def contact_list(*, user: AnyUser, case: CollectionCase | None = None,
                 debtor: Debtor | None = None) -> QuerySet[CollectionContact]:
    contacts = scope_to_user(CollectionContact.objects.select_related("agent", "case"), user)
    if case is not None:
        contacts = contacts.filter(case=case)
    if debtor is not None:
        contacts = contacts.filter(debtor=debtor)
    return contacts.order_by("-saved_at", "-id")


def promise_list(*, user: AnyUser, case: CollectionCase | None = None,
                 debtor: Debtor | None = None,
                 status: str | None = None) -> QuerySet[PromiseToPay]:
    promises = scope_to_user(PromiseToPay.objects.select_related("created_by", "debtor"), user)
    if case is not None:
        promises = promises.filter(case=case)
    if debtor is not None:
        promises = promises.filter(debtor=debtor)
    if status:
        promises = promises.filter(status=status)
    return promises.order_by("-created_at", "-id")


def callback_list(*, user: AnyUser, agent: Any = None,
                  due_before: dt.datetime | None = None) -> QuerySet[Callback]:
    """Pending callbacks of the user's clients, soonest first (recovery_callback_due)."""
    callbacks = scope_to_user(
        Callback.objects.select_related("case__debtor", "agent"), user,
    ).filter(status=Callback.Status.PENDING)
    if agent is not None:
        callbacks = callbacks.filter(agent=agent)
    if due_before is not None:
        callbacks = callbacks.filter(due_at__lt=due_before)
    return callbacks.order_by("due_at", "id")


def dispute_list(*, user: AnyUser, status: str | None = None,
                 debtor: Debtor | None = None) -> QuerySet[Dispute]:
    disputes = scope_to_user(
        Dispute.objects.select_related("debtor", "opened_by", "resolved_by")
        .prefetch_related("invoices"), user)
    if status:
        disputes = disputes.filter(status=status)
    if debtor is not None:
        disputes = disputes.filter(debtor=debtor)
    return disputes.order_by("-opened_at", "-id")


def plan_list(*, user: AnyUser, debtor: Debtor | None = None,
              status: str | None = None) -> QuerySet[PaymentPlan]:
    plans = scope_to_user(
        PaymentPlan.objects.select_related("created_by", "approved_by")
        .prefetch_related("instalments"), user)
    if debtor is not None:
        plans = plans.filter(debtor=debtor)
    if status:
        plans = plans.filter(status=status)
    return plans.order_by("-created_at", "-id")


def debtor_story(*, user: AnyUser, debtor: Debtor, limit: int = 50) -> dict[str, list[Any]]:
    """The debtor's whole collection story for the workspace and the debtor page, in a fixed
    number of queries: cases with their stage changes, every contact (collection contacts of
    every agent, courtesy calls included), promises, plans with instalments, disputes with
    their invoices, and callbacks. Empty lists for a debtor the user may not see."""
    from caring.models import CourtesyCall

    if not scope_to_user(Debtor.objects.filter(pk=debtor.pk), user).exists():
        return {key: [] for key in ("cases", "stage_changes", "contacts", "courtesy_calls",
                                    "promises", "plans", "disputes", "callbacks")}
    return {
        "cases": list(case_list(user=user, debtor=debtor).order_by("-opened_at")),
        "stage_changes": list(scope_to_user(CaseStageChange.objects.select_related(
            "changed_by", "approved_by"), user).filter(case__debtor=debtor)
            .order_by("-created_at")),
        "contacts": list(contact_list(user=user, debtor=debtor)[:limit]),
        "courtesy_calls": list(scope_to_user(CourtesyCall.objects.select_related(
            "assigned_to"), user).filter(debtor=debtor).exclude(status=CourtesyCall.Status
                                                                .PLANNED)
            .order_by("-window_date", "-id")[:limit]),
        "promises": list(promise_list(user=user, debtor=debtor)[:limit]),
        "plans": list(plan_list(user=user, debtor=debtor)),
        "disputes": list(dispute_list(user=user, debtor=debtor)),
        "callbacks": list(callback_list(user=user).filter(case__debtor=debtor)),
    }


@dataclass(frozen=True)
class QueueState:
    waiting: int  # open, unheld cases workable now and not claimed
    in_progress: int  # claimed with a live lease
    on_hold: int
    callbacks_due: int
    promises_due: int  # pending promises whose date has come


def queue_state(*, user: AnyUser, now: dt.datetime | None = None) -> QueueState:
    """The control room's live counts for the user's clients (two queries)."""
    now = now or timezone.now()
    open_cases = scope_to_user(CollectionCase.objects.all(), user).filter(
        status=CollectionCase.Status.OPEN)
    live = Q(claimed_by__isnull=False, claim_expires_at__gt=now)
    due = Q(next_action_at__isnull=True) | Q(next_action_at__lte=now)
    counts = open_cases.aggregate(
        waiting=Count("id", filter=Q(on_hold=False) & due & ~live & ~Q(stage="legal")),
        in_progress=Count("id", filter=live),
        on_hold=Count("id", filter=Q(on_hold=True)),
    )
    return QueueState(
        waiting=counts["waiting"], in_progress=counts["in_progress"],
        on_hold=counts["on_hold"],
        callbacks_due=callback_list(user=user, due_before=now).count(),
        promises_due=promise_list(user=user, status=PromiseToPay.Status.PENDING)
        .filter(promised_date__lte=timezone.localdate(now)).count(),
    )


def agent_day(*, user: AnyUser, day: dt.date | None = None) -> list[Mapping[str, Any]]:
    """Each agent's contacts on `day` (the user's clients): count, right-party contacts,
    promises taken, average handle time in seconds (one query; recovery_contact_agent_day)."""
    day = day or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    contacts = scope_to_user(CollectionContact.objects.all(), user).filter(
        saved_at__gte=start, saved_at__lt=start + dt.timedelta(days=1), agent__isnull=False)
    # django-stubs' plugin takes the count named promises for the model's reverse relation;
    # after values() it is a plain annotation, as Django has it.
    return list(
        contacts.values("agent_id", "agent__username", "agent__first_name",  # type: ignore[no-redef]
                        "agent__last_name")
        .annotate(contacts=Count("id", distinct=True),
                  right_party=Count("id", filter=Q(party="right_party_verified"),
                                    distinct=True),
                  promises=Count("promises", distinct=True),
                  handle_seconds_avg=Avg("handle_seconds"),
                  handle_seconds_total=Sum("handle_seconds"))
        .order_by("agent__username")
    )
