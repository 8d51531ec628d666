"""The closed loop (SPEC §5): a detractor with a comment, or any answer flagged as a complaint,
opens a follow-up for a team leader of the agent's team, never the agent who handled the
contact, due within 2 business days.

Business days are counted on the client's country calendar (weekends and public holidays from
the `holidays` package, through caring.windows); the clock runs in the debtor's time zone, so
an answer given on Thursday 30 April 2026 at 10:00 in Rome (1 May is a holiday, then a
weekend) is due on Tuesday 5 May at 10:00 in Rome.

Who gets it, in order: a leader of a team the agent belongs to who works on the client, then
any team leader who works on the client, fewest open follow-ups first. Nobody found leaves it
unassigned: every team leader and credit manager of the client still sees it in the list and
the control room.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import DomainError
from access.models import TeamMembership
from access.roles import Role
from access.scoping import (
    AnyUser,
    access_for,
    client_staff,
    object_get_for_user,
    scope_to_user,
)
from caring.windows import business_days_add, is_business_day
from compliance import windows
from experience.models import COMMENT_MAX, FollowUp, Response

FOLLOW_UP_BUSINESS_DAYS = 2  # SPEC §5


def needs_follow_up(response: Response) -> list[str]:
    """Why an answer opens a follow-up: "detractor" (0-6 with a comment), "complaint", both,
    or nothing."""
    reasons = []
    if response.category == "detractor" and response.comment.strip():
        reasons.append("detractor")
    if response.complaint:
        reasons.append("complaint")
    return reasons


def follow_up_due(*, answered_at: dt.datetime, client_country: str,
                  debtor_zone: str) -> dt.datetime:
    """The answer's local clock time, `FOLLOW_UP_BUSINESS_DAYS` business days later. An answer
    given on a weekend or holiday starts counting from the next business morning's clock: the
    day itself is never counted, so the deadline is always two full business days away."""
    tz = windows.zone(debtor_zone)
    local = answered_at.astimezone(tz)
    day = local.date()
    if not is_business_day(day, client_country):
        # Saturday 10:00 counts from Monday: step back to the last business day before it so
        # that Monday is business day 1.
        while not is_business_day(day, client_country):
            day -= dt.timedelta(days=1)
    due_day = business_days_add(day, FOLLOW_UP_BUSINESS_DAYS, client_country)
    return dt.datetime.combine(due_day, local.time().replace(tzinfo=None), tzinfo=tz)


def follow_up_assignee(*, client_id: int, agent_id: int | None) -> Any | None:
    """The team leader who takes the follow-up (never the agent), or None."""
    leaders = client_staff(client_id, roles=[Role.TEAM_LEADER])
    if agent_id is not None:
        leaders = leaders.exclude(pk=agent_id)
        teams = TeamMembership.objects.filter(user_id=agent_id).values("team_id")
        team_leaders = TeamMembership.objects.filter(team_id__in=teams, is_leader=True)
        own_team = _least_loaded(leaders.filter(pk__in=team_leaders.values("user_id")),
                                 client_id)
        if own_team is not None:
            return own_team
    return _least_loaded(leaders, client_id)


def _least_loaded(users: QuerySet, client_id: int) -> Any | None:
    candidates = list(users.distinct().order_by("pk"))
    if not candidates:
        return None
    loads = dict(FollowUp.objects.filter(
        client_id=client_id, status=FollowUp.Status.OPEN,
        assigned_to_id__in=[user.pk for user in candidates])
        .values_list("assigned_to_id").annotate(open=Count("id")).order_by())
    return min(candidates, key=lambda user: (loads.get(user.pk, 0), user.pk))


def follow_up_open(*, response: Response) -> FollowUp | None:
    """Open the answer's follow-up when it needs one (idempotent: an answer has at most one).
    Called by experience.answers inside the answer's transaction."""
    reasons = needs_follow_up(response)
    if not reasons or response.debtor is None:
        return None
    existing = FollowUp.objects.filter(response=response).first()
    if existing is not None:
        return existing
    debtor = response.debtor
    client = debtor.client
    zone = windows.display_zone(debtor.timezone, debtor.country, debtor.region)
    return FollowUp.objects.create(
        client_id=response.client_id, response=response, debtor=debtor,
        assigned_to=follow_up_assignee(client_id=response.client_id,
                                       agent_id=response.agent_id),
        reason=",".join(reasons),
        due_at=follow_up_due(answered_at=response.answered_at, client_country=client.country,
                             debtor_zone=zone))


def follow_up_close(*, follow_up: FollowUp, resolution: str, notes: str, actor: Any,
                    now: dt.datetime | None = None) -> FollowUp:
    """Close an open follow-up with its resolution. A second close (two leaders at once, a
    double click) is refused and changes nothing."""
    if resolution not in FollowUp.Resolution.values:
        raise DomainError(_("Choose how the follow-up ended."), code="bad_resolution",
                          field="resolution")
    notes = notes.strip()
    if len(notes) > COMMENT_MAX:
        raise DomainError(_("The notes are longer than %(max)d characters.")
                          % {"max": COMMENT_MAX}, code="too_long", field="notes")
    now = now or timezone.now()
    with transaction.atomic():
        closed = FollowUp.objects.filter(pk=follow_up.pk, status=FollowUp.Status.OPEN).update(
            status=FollowUp.Status.CLOSED, resolution=resolution, notes=notes, closed_at=now,
            closed_by=actor if getattr(actor, "is_authenticated", False) else None)
    if closed != 1:
        raise DomainError(_("This follow-up is already closed."), code="already_closed")
    follow_up.refresh_from_db()
    return follow_up


# --- Reads: the follow-up screens and the control-room panel ------------------------------------

def may_follow_up(user: AnyUser) -> bool:
    """Team leaders act on follow-ups; credit managers (who own the strategy) and
    administrators read and close them too. Agents never: the loop goes past the agent."""
    return access_for(user).has_role(Role.TEAM_LEADER, Role.CREDIT_MANAGER, Role.ADMINISTRATOR)


_RELATED = ("debtor", "assigned_to", "response", "client")


def follow_up_list(*, user: AnyUser, status: str = "", mine: bool = False
                   ) -> QuerySet[FollowUp]:
    """The follow-ups of the user's clients: open first, the soonest due first."""
    follow_ups = scope_to_user(FollowUp.objects.select_related(*_RELATED), user)
    if status in FollowUp.Status.values:
        follow_ups = follow_ups.filter(status=status)
    if mine:
        follow_ups = follow_ups.filter(assigned_to_id=user.pk)
    open_first = Case(When(status=FollowUp.Status.OPEN, then=0), default=1)
    return follow_ups.order_by(open_first, "due_at", "id")


def follow_up_get_for_user(*, user: AnyUser, pk: object) -> FollowUp:
    return object_get_for_user(
        FollowUp.objects.select_related(*_RELATED, "closed_by", "response__agent",
                                        "response__survey"), user, pk=pk)


def follow_ups_overdue(*, user: AnyUser, now: dt.datetime, limit: int = 30) -> list[FollowUp]:
    """Open follow-ups past their due time (served by the index experience_followup_due)."""
    return list(scope_to_user(FollowUp.objects.filter(status=FollowUp.Status.OPEN,
                                                      due_at__lt=now), user)
                .select_related("debtor", "assigned_to").order_by("due_at", "id")[:limit])
