"""The experience report: NPS by kind, never combined, beside the cash of the same cohort.

Every figure is aggregated in SQL (`Count` with a filter per category) and read through
access.scoping. One kind per report: asking for "all" kinds, or none, is refused with a
DomainError that the page and the API turn into a 400 (SPEC §4: the three kinds are read
separately and never summed).

Breakdowns: per agent (rolling 30- and 90-day windows ending at the period's end, SPEC §5:
monthly per-agent NPS is mostly noise), per team, per client, per strategy and per month; each
with the cash recovered and the customers lost of the cases behind its answers
(experience.cohorts). CES (mean, share 5-7) and CSAT (mean, share 4-5) beside every NPS.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from access.errors import DomainError
from access.models import Team
from access.roles import Role
from access.scoping import AnyUser, access_for, scope_to_user
from experience import themes as theme_lexicon
from experience.cohorts import CohortFigures, cohort_by
from experience.models import Kind, Response, nps_counts
from experience.stats import NpsSummary, ScaleSummary
from portfolio.models import Client
from recovery.models import CollectionCase

# Who reads the reports: team leaders, credit managers, administrators, and client viewers
# (their own client only, through access.scoping). Agents coach from their leader's reading.
READER_ROLES = (Role.TEAM_LEADER, Role.CREDIT_MANAGER, Role.CLIENT_VIEWER, Role.ADMINISTRATOR)
DIMENSIONS = ("agent", "team", "client", "strategy", "month")
WINDOWS = (30, 90)
# The longest period one report reads: the per-month breakdown stays one screen.
MAX_PERIOD_DAYS = 3 * 366
SAMPLES_PER_THEME = 3


def may_read_reports(user: AnyUser) -> bool:
    return bool(user.is_authenticated) and access_for(user).has_role(*READER_ROLES)


def kind_check(value: str | None) -> str:
    """The one kind a report reads; "all", nothing or anything else is refused."""
    if value in Kind.values:
        return str(value)
    if not value or value == "all":
        raise DomainError(_("NPS kinds are never combined: ask for one kind (relational, "
                            "transactional or competitive)."), code="one_kind_only",
                          field="kind")
    raise DomainError(_("Unknown NPS kind \"%(kind)s\": use relational, transactional or "
                        "competitive.") % {"kind": value}, code="bad_choice", field="kind")


@dataclass(frozen=True)
class ReportFilter:
    """What a report reads: the clients in scope (one or all the user's), a half-open period
    [start, end) of days in the reporting time zone, and the kind where one is needed."""

    start: dt.date
    end: dt.date
    zone: zoneinfo.ZoneInfo
    client: Client | None = None
    kind: str | None = None

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=self.zone)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time.min, tzinfo=self.zone)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def report_filter_build(*, user: AnyUser, client_id: int | None = None,
                        start: dt.date | None = None, end: dt.date | None = None,
                        kind: str | None = None, kind_required: bool = False) -> ReportFilter:
    """Check a report's parameters; a bad one raises DomainError naming it.

    `end` is the last day included (as people write a period); the filter keeps the
    half-open [start, end + 1 day). Without dates: the last twelve months to today. A client
    the user may not see is refused like one that does not exist.
    """
    client = None
    if client_id is not None:
        client = scope_to_user(Client.objects.all(), user, client_field="pk").filter(
            pk=client_id).first()
        if client is None:
            raise DomainError(_("No such client among those you may see."), code="not_found",
                              field="client")
    zone = zoneinfo.ZoneInfo(client.reporting_timezone if client else settings.TIME_ZONE)
    today = timezone.localdate(timezone.now(), zone)
    last = end or today
    if start is None:
        month = last.month - 11
        start = dt.date(last.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    if start > last:
        raise DomainError(_("The period starts after it ends."), code="bad_period",
                          field="start")
    if (last - start).days > MAX_PERIOD_DAYS:
        raise DomainError(_("The period is longer than three years; choose a shorter one."),
                          code="bad_period", field="start")
    if kind_required or kind is not None:
        kind = kind_check(kind)
    return ReportFilter(start=start, end=last + dt.timedelta(days=1), zone=zone, client=client,
                        kind=kind)


def answers_in_scope(*, user: AnyUser, report: ReportFilter, kind: str | None = None,
                     since: dt.datetime | None = None) -> QuerySet[Response]:
    """The answers of one kind the user may see, answered in the period (or since `since`,
    up to the period's end)."""
    kind = kind_check(kind or report.kind)
    answers = scope_to_user(Response.objects.all(), user).filter(
        kind=kind, answered_at__gte=since or report.start_at, answered_at__lt=report.end_at)
    if report.client is not None:
        answers = answers.filter(client=report.client)
    return answers


_SCALES = {
    "ces_n": Count("ces"), "ces_sum": Sum("ces"), "ces_top": Count("pk", filter=Q(ces__gte=5)),
    "csat_n": Count("csat"), "csat_sum": Sum("csat"),
    "csat_top": Count("pk", filter=Q(csat__gte=4)),
}


def _nps(row: Mapping[str, Any], suffix: str = "") -> NpsSummary:
    return NpsSummary(promoters=row[f"promoters{suffix}"], passives=row[f"passives{suffix}"],
                      detractors=row[f"detractors{suffix}"])


def _scale(row: Mapping[str, Any], name: str) -> ScaleSummary:
    n = row[f"{name}_n"]
    if not n:
        return ScaleSummary(0, None, None)
    return ScaleSummary(n, row[f"{name}_sum"] / n, row[f"{name}_top"] / n)


@dataclass
class GroupRow:
    key: object
    label: str
    nps: NpsSummary
    ces: ScaleSummary
    csat: ScaleSummary
    cohort: list[CohortFigures] = field(default_factory=list)


@dataclass
class AgentRow:
    key: int
    label: str
    windows: dict[int, NpsSummary]
    cohort: list[CohortFigures] = field(default_factory=list)


def _key(dimension: str | None, zone: zoneinfo.ZoneInfo) -> Any:
    """The grouping expression of a breakdown; never NULL, so that the cohort's anti-join can
    compare keys (answers without an agent or team fall in group 0)."""
    if dimension is None:
        return Value(0, output_field=IntegerField())
    if dimension == "agent":
        return Coalesce(F("agent_id"), Value(0))
    if dimension == "team":
        return Coalesce(F("agent__team_memberships__team_id"), Value(0))
    if dimension == "client":
        return F("client_id")
    if dimension == "strategy":
        return F("strategy")
    if dimension == "month":
        return TruncMonth("answered_at", tzinfo=zone)
    raise DomainError(_("Unknown breakdown \"%(group)s\": use agent, team, client, strategy "
                        "or month.") % {"group": dimension}, code="bad_choice", field="group")


def _user_labels(ids: set[Any]) -> dict[Any, str]:
    users = get_user_model().objects.filter(pk__in=ids - {0})
    return {user.pk: user.get_full_name() or user.get_username() for user in users}


def _labels(dimension: str | None, keys: set[Any], zone: zoneinfo.ZoneInfo) -> dict[Any, str]:
    if dimension is None:
        return {0: _("All answers")}
    if dimension == "agent":
        return {0: _("No agent"), **_user_labels(keys)}
    if dimension == "team":
        return {0: _("No team"),
                **dict(Team.objects.filter(pk__in=keys - {0}).values_list("pk", "name"))}
    if dimension == "client":
        return dict(Client.objects.filter(pk__in=keys).values_list("pk", "name"))
    if dimension == "strategy":
        return {"": _("No strategy"),
                **{value: str(label) for value, label in CollectionCase.Strategy.choices}}
    return {key: formats.date_format(key.astimezone(zone) if timezone.is_aware(key) else key,
                                     "YEAR_MONTH_FORMAT") for key in keys}


def nps_breakdown(answers: QuerySet[Response], dimension: str | None, *,
                  zone: zoneinfo.ZoneInfo) -> list[GroupRow]:
    """NPS, CES and CSAT per group, with each group's cohort: two grouped queries plus one
    for the labels."""
    key = _key(dimension, zone)
    rows = list(answers.annotate(_g=key).order_by().values("_g")
                .annotate(**nps_counts(), **_SCALES))
    cohorts = cohort_by(answers, key)
    labels = _labels(dimension, {row["_g"] for row in rows}, zone)
    groups = [GroupRow(key=row["_g"], label=labels.get(row["_g"], str(row["_g"])),
                       nps=_nps(row), ces=_scale(row, "ces"), csat=_scale(row, "csat"),
                       cohort=cohorts.get(row["_g"], []))
              for row in rows]
    if dimension == "month":
        groups.sort(key=lambda group: group.key)  # type: ignore[arg-type, return-value]
    else:
        groups.sort(key=lambda group: (-group.nps.n, group.label))
    return groups


def nps_overall(answers: QuerySet[Response], *, zone: zoneinfo.ZoneInfo) -> GroupRow:
    rows = nps_breakdown(answers, None, zone=zone)
    if rows:
        return rows[0]
    empty = NpsSummary(0, 0, 0)
    return GroupRow(key=0, label=_("All answers"), nps=empty, ces=ScaleSummary(0, None, None),
                    csat=ScaleSummary(0, None, None))


def agent_windows(*, user: AnyUser, report: ReportFilter) -> list[AgentRow]:
    """Per agent: NPS over the 30 and 90 days ending at the period's end (one query with a
    filtered count per window), and the cohort of the 90-day answers."""
    longest = max(WINDOWS)
    since = report.end_at - dt.timedelta(days=longest)
    answers = answers_in_scope(user=user, report=report, since=since).filter(
        agent__isnull=False)
    counts: dict[str, Any] = {}
    for days in WINDOWS:
        counts |= nps_counts(Q(answered_at__gte=report.end_at - dt.timedelta(days=days)),
                          suffix=f"_{days}")
    rows = list(answers.order_by().values("agent_id").annotate(**counts))
    cohorts = cohort_by(answers, "agent_id")
    labels = _user_labels({row["agent_id"] for row in rows})
    agents = [AgentRow(key=row["agent_id"], label=labels.get(row["agent_id"], "?"),
                       windows={days: _nps(row, f"_{days}") for days in WINDOWS},
                       cohort=cohorts.get(row["agent_id"], []))
              for row in rows]
    agents.sort(key=lambda agent: (-agent.windows[longest].n, agent.label))
    return agents


@dataclass
class ThemeRow:
    key: str
    label: str
    count: int
    samples: list[str]


def comment_themes(answers: QuerySet[Response]) -> tuple[int, list[ThemeRow]]:
    """Answers with a comment, and per theme of the lexicon (experience.themes) how many
    comments touch it, with a few recent ones, those in the reader's language first. Themes
    were found when the answer was stored; here they are only counted (one query), and the
    samples read (one small query per theme)."""
    commented = answers.exclude(comment="")
    # The stored list is JSON text on SQLite and jsonb on PostgreSQL; a quoted key matches
    # one element exactly on both (no theme key is part of another).
    conditions = {theme.key: Q(themes__icontains=f'"{theme.key}"')
                  for theme in theme_lexicon.THEMES}
    conditions["other"] = Q(themes=[])
    totals = commented.aggregate(
        total=Count("pk"), **{key: Count("pk", filter=condition)
                              for key, condition in conditions.items()})
    language = (get_language() or "en").split("-")[0]
    first_in_language = Case(When(language=language, then=Value(0)), default=Value(1))
    rows: list[ThemeRow] = []
    for key, condition in conditions.items():
        if not totals[key]:
            continue
        samples = list(commented.filter(condition).order_by(first_in_language, "-answered_at",
                                                             "-pk")
                       .values_list("comment", flat=True)[:SAMPLES_PER_THEME])
        rows.append(ThemeRow(key=key, label=str(theme_lexicon.label(key)), count=totals[key],
                             samples=samples))
    rows.sort(key=lambda row: (row.key == "other", -row.count))
    return totals["total"], rows


@dataclass
class KindBlock:
    kind: str
    label: str
    overall: GroupRow


def kind_blocks(*, user: AnyUser, report: ReportFilter) -> list[KindBlock]:
    """The headline of each kind, each its own block: one query per kind, never a sum."""
    blocks = []
    for value, label in Kind.choices:
        answers = answers_in_scope(user=user, report=report, kind=value)
        blocks.append(KindBlock(kind=value, label=str(label),
                                overall=nps_overall(answers, zone=report.zone)))
    return blocks
