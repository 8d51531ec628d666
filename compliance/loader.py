"""Load the facts the engine decides on, for a batch of debtors, in a fixed number of queries.

Per chunk of debtors: holds, restrictions, recent attempts, contact points, disputed invoices
and approved overrides in one statement (and, only for debtors with a dispute, whether
anything undisputed is left, in a second one), whatever the chunk size. The packs and the
clients' contract rules come from the process's snapshot (compliance/rulecache.py: one small
check query per call). Each debtor list is one chunk (2,000 ids by default) so PostgreSQL
plans it as an index scan on the debtor-leading indexes named in compliance/models.py.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime, parse_time

from compliance.engine import (
    AttemptFact,
    DebtorFacts,
    HoldFact,
    OverrideFact,
    PointFact,
    RestrictionFact,
)
from compliance.models import ContactOverride, PackRule
from compliance.rulecache import PackRow, RuleRow, RulesSnapshot, VersionRow, rules_snapshot
from compliance.rules import WEEKDAYS, Param, RuleSet, RuleValue
from portfolio.models import Debtor, Invoice
from portfolio.sql import INVOICE_DISPUTED, sql_literals

DEBTOR_FIELDS = ("id", "client_id", "country", "region", "timezone", "deceased", "vulnerable",
                 "do_not_call", "processing_restricted")


class DebtorRow(NamedTuple):
    """The debtor fields a decision needs, read as tuples: building 100,000 model instances
    costs more than deciding for them."""

    pk: int
    client_id: int
    country: str
    region: str
    timezone: str
    deceased: bool
    vulnerable: bool
    do_not_call: bool
    processing_restricted: bool = False


def debtor_chunks(debtors: Sequence[Any] | QuerySet[Debtor], size: int) -> Iterator[list[Any]]:
    """Debtors in chunks; a queryset is read as DebtorRow tuples in primary-key order."""
    if isinstance(debtors, QuerySet):
        if not debtors.query.is_sliced:
            debtors = debtors.order_by("pk")
        iterator: Iterator[Any] = (DebtorRow(*row) for row in debtors.values_list(
            *DEBTOR_FIELDS).iterator(chunk_size=size))
    else:
        iterator = iter(debtors)
    while chunk := list(islice(iterator, size)):
        yield chunk


class PackIndex:
    """The rule packs and the version of each in force at one time (built from the process's
    rules snapshot, compliance/rulecache.py)."""

    def __init__(self, at: dt.datetime, snapshot: RulesSnapshot | None = None) -> None:
        snapshot = snapshot or rules_snapshot()
        self.snapshot = snapshot
        versions: dict[int, VersionRow] = {}
        for version in snapshot.versions:
            if version.effective_from <= at:
                versions.setdefault(version.pack_id, version)
        self.key = tuple(sorted(v.pk for v in versions.values()))
        packs = snapshot.packs
        self.by_place: dict[tuple[str, str], PackRow] = {(p.country, p.region): p for p in packs}
        self.default = next((p for p in packs if p.is_default), None)
        self.versions = versions
        self.rules: dict[int, list[RuleRow]] = {v.pk: snapshot.rules.get(v.pk, [])
                                                for v in versions.values()}
        self._cache: dict[tuple[str, str], RuleSet] = {}
        self._lock = threading.Lock()
        self.max_lookback_days = 8 + max(
            [int(r.value) for rs in self.rules.values() for r in rs
             if r.parameter in (Param.QUIET_DAYS_AFTER_CONVERSATION,
                                Param.CONSENT_EXCLUSION_DAYS)] or [0]) * 2

    def _rows(self, pack: PackRow) -> list[tuple[str, Any, str, bool]]:
        version = self.versions.get(pack.pk)
        if version is None:
            return []
        return [(r.parameter, r.value, f"{pack.code}.{r.parameter}", r.kind == PackRule.Kind.FLOOR)
                for r in self.rules[version.pk]]

    def ruleset(self, country: str, region: str) -> RuleSet:
        region = region.upper().removeprefix(f"{country}-")
        key = (country, region)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        pack = self.by_place.get((country, "")) or self.default
        if pack is None or pack.pk not in self.versions:
            raise LookupError(f"No rule pack in force for {country}.")
        version = self.versions[pack.pk]
        ruleset = RuleSet(pack.code, version.version, {
            parameter: RuleValue(value, rule_id, floor)
            for parameter, value, rule_id, floor in self._rows(pack)})
        overlay = self.by_place.get((country, region)) if region else None
        if overlay is not None and overlay.base_id == pack.pk and overlay.pk in self.versions:
            ruleset = ruleset.tightened(self._rows(overlay))
            ruleset.pack_code = overlay.code
            ruleset.pack_version = self.versions[overlay.pk].version
        with self._lock:
            return self._cache.setdefault(key, ruleset)


def pack_index(at: dt.datetime) -> PackIndex:
    """The pack index in force at `at`, shared by every request of the process while the
    same versions are in force and the rules have not changed."""
    snapshot = rules_snapshot()
    index = PackIndex(at, snapshot)
    with snapshot.lock:
        return snapshot.pack_indexes.setdefault(index.key, index)


def _client_tightened(snapshot: RulesSnapshot, packs: PackIndex, pack_rules: RuleSet,
                      debtor: Any) -> RuleSet:
    """The pack's rules tightened by the client's contract rules for the debtor's country,
    built once per snapshot."""
    key = (packs.key, debtor.client_id, debtor.country, debtor.region)
    cached = snapshot.tightened.get(key)
    if cached is None:
        own = [(r.parameter, r.value, "client." + r.parameter, False)
               for r in snapshot.client_rules.get(debtor.client_id, ())
               if r.country in ("", debtor.country)]
        cached = pack_rules.tightened(own) if own else pack_rules
        with snapshot.lock:
            cached = snapshot.tightened.setdefault(key, cached)
    return cached


# --- The facts of a batch of debtors in one round trip ------------------------------------
# The six reads (holds, restrictions, recent attempts, contact points, disputed invoices,
# approved overrides) are one UNION ALL statement, plain SQL both databases run: the
# collections queue loads one debtor's facts on every claim, and compiling six ORM queries
# cost more CPU than running them (bench/README.md, "Collections"). Each branch fills the
# typed slots below that it needs and NULLs of the slot's type elsewhere (PostgreSQL matches
# UNION columns pairwise, so an untyped NULL would not do); rows are told apart by the tag.
# Ordering is done in Python when the facts are assembled.
_SLOTS = (("s1", "TEXT"), ("s2", "TEXT"), ("s3", "TEXT"), ("s4", "TEXT"), ("j", "JSONB"),
          ("t1", "TIMESTAMPTZ"), ("t2", "TIMESTAMPTZ"), ("t3", "TIMESTAMPTZ"),
          ("b", "BOOLEAN"), ("h1", "TIME"), ("h2", "TIME"), ("n", "BIGINT"))
_HOLD, _RESTRICTION, _ATTEMPT, _POINT, _DISPUTED, _OVERRIDE = range(1, 7)


def _branch(tag: int, table: str, where: str, **slots: str) -> str:
    columns = ", ".join(slots.get(name, f"CAST(NULL AS {kind})") for name, kind in _SLOTS)
    # Composed from table and column names in code, never from input.
    return f"SELECT {tag}, debtor_id, {columns} FROM {table} WHERE {{debtors}} AND {where}"  # noqa: S608


# (statement, names of its own parameters after the debtors' ones)
_FACT_BRANCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (_branch(_HOLD, "compliance_contacthold",
             "released_at IS NULL AND starts_at <= %s AND (ends_at IS NULL OR ends_at > %s)",
             s1="kind", j="invoice_ids", t1="starts_at", t2="ends_at"), ("at", "at")),
    (_branch(_RESTRICTION, "compliance_contactrestriction",
             "revoked_at IS NULL AND created_at <= %s",
             s1="kind", s2="channel", s3="place", j="weekdays", t1="created_at",
             h1="not_before", h2="not_after"), ("at",)),
    (_branch(_ATTEMPT, "compliance_contactattempt", "started_at >= %s AND started_at <= %s",
             s1="channel", s2="destination", s3="result", s4="debt_ref", t1="started_at",
             t2="consent_given_at", t3="follow_up_at", b="conversation", n="id"),
     ("since", "at")),
    (_branch(_POINT, "portfolio_contactpoint", "1 = 1",
             s1="channel", s2="value", s3="label", j="timezones", t1="wrong_number_at",
             b="confirmed", n="id"), ()),
    (_branch(_DISPUTED, "portfolio_invoice", f"status = {INVOICE_DISPUTED}", n="id"), ()),
    (_branch(_OVERRIDE, "compliance_contactoverride",
             f"status = {sql_literals(ContactOverride.Status.APPROVED)} AND valid_until > %s",
             s1="channel", s2="destination", t1="valid_until", t2="requested_at", n="id"),
     ("at",)),
)


def _debtors_sql(ids: list[int]) -> tuple[str, list[int]]:
    """Rows of these debtors. A dense run of ids (a planner's whole portfolio, chunked in key
    order) becomes a range the debtor-leading index scans, instead of thousands of bound
    parameters; rows of debtors outside the chunk are dropped when facts are assembled."""
    low, high = min(ids), max(ids)
    if high - low + 1 <= 2 * len(ids):
        return "debtor_id >= %s AND debtor_id <= %s", [low, high]
    return f"debtor_id IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _fact_rows(ids: list[int], at: dt.datetime, since: dt.datetime) -> list[tuple[Any, ...]]:
    debtors, debtor_params = _debtors_sql(ids)
    values = {"at": connection.ops.adapt_datetimefield_value(at),
              "since": connection.ops.adapt_datetimefield_value(since)}
    params: list[Any] = []
    for _statement, names in _FACT_BRANCHES:
        params += debtor_params + [values[name] for name in names]
    sql = " UNION ALL ".join(statement.format(debtors=debtors)
                             for statement, _names in _FACT_BRANCHES)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Raw rows come back as each database gives them: PostgreSQL parses times and flags, SQLite
# may hand back text and 0/1 (it stores times as naive UTC text); JSON is text on both.
def _aware(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _moment(value: Any) -> dt.datetime:
    """A time from a NOT NULL column."""
    moment = _aware(value)
    if moment is None:
        raise ValueError("A fact's time column is NULL.")
    return moment


def _clock(value: Any) -> dt.time | None:
    return parse_time(value) if isinstance(value, str) else value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


class _Facts:
    """The rows of _fact_rows sorted into per-debtor lists, in the order the engine reads
    them: attempts oldest first, holds and restrictions newest first, points by id,
    overrides most recently requested first."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        holds: list[tuple[int, HoldFact]] = []
        restrictions: list[tuple[int, RestrictionFact]] = []
        attempts: list[tuple[int, int, AttemptFact]] = []
        points: list[tuple[int, int, PointFact]] = []
        overrides: list[tuple[int, dt.datetime, int, OverrideFact]] = []
        self.disputed: dict[int, set[int]] = defaultdict(set)
        for tag, debtor_id, s1, s2, s3, s4, j, t1, t2, t3, b, h1, h2, n in rows:
            if tag == _HOLD:
                holds.append((debtor_id, HoldFact(s1, frozenset(_json(j) or ()), _moment(t1),
                                                  _aware(t2))))
            elif tag == _RESTRICTION:
                days = frozenset(WEEKDAYS.index(day) for day in (_json(j) or ())
                                 if day in WEEKDAYS)
                restrictions.append((debtor_id, RestrictionFact(
                    s1, s2, days, _clock(h1), _clock(h2), s3, _moment(t1))))
            elif tag == _ATTEMPT:
                attempts.append((debtor_id, n, AttemptFact(
                    s1, s2, _moment(t1), s3, bool(b), s4, _aware(t2), _aware(t3))))
            elif tag == _POINT:
                points.append((debtor_id, n, PointFact(
                    s1, s2, s3, tuple(_json(j) or ()), bool(b), wrong_number=t1 is not None)))
            elif tag == _DISPUTED:
                self.disputed[debtor_id].add(n)
            elif tag == _OVERRIDE and t1 is not None:
                # Always: the filter leaves out open-ended rows.
                overrides.append((debtor_id, _moment(t2), n, OverrideFact(
                    n, s1, s2, _moment(t1))))
        self.holds = _grouped(sorted(holds, key=lambda r: r[1].starts_at, reverse=True))
        self.restrictions = _grouped(sorted(restrictions, key=lambda r: r[1].created_at,
                                            reverse=True))
        self.attempts = _grouped([(d, f) for d, _n, f in sorted(
            attempts, key=lambda r: (r[2].started_at, r[1]))])
        self.points = _grouped([(d, f) for d, _n, f in sorted(points, key=lambda r: r[1])])
        self.overrides = _grouped([(d, f) for d, _r, _n, f in sorted(
            overrides, key=lambda r: (r[1], r[2]), reverse=True)])


def _grouped(rows: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for debtor_id, fact in rows:
        grouped[debtor_id].append(fact)
    return grouped


def facts_load(debtors: Sequence[Any], *, at: dt.datetime,
               packs: PackIndex | None = None) -> dict[int, DebtorFacts]:
    """The facts of `debtors` at `at`: one statement for the six kinds of rows (_fact_rows),
    a second one only when some debtor has a disputed invoice."""
    packs = packs or pack_index(at)
    snapshot = packs.snapshot
    ids = [d.pk for d in debtors]
    since = at - dt.timedelta(days=packs.max_lookback_days)
    found = _Facts(_fact_rows(ids, at, since))
    holds, restrictions, attempts = found.holds, found.restrictions, found.attempts
    points, disputed, overrides = found.points, found.disputed, found.overrides
    undisputed: set[int] = set()
    if disputed:
        undisputed = set(Invoice.objects.filter(
            debtor_id__in=list(disputed),
            status__in=[Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID],
        ).order_by().values_list("debtor_id", flat=True).distinct())

    facts: dict[int, DebtorFacts] = {}
    for debtor in debtors:
        pack_rules = packs.ruleset(debtor.country, debtor.region)
        rules = _client_tightened(snapshot, packs, pack_rules, debtor)
        facts[debtor.pk] = DebtorFacts(
            debtor_id=debtor.pk, client_id=debtor.client_id, country=debtor.country,
            region=debtor.region, timezone=debtor.timezone, deceased=debtor.deceased,
            vulnerable=debtor.vulnerable, do_not_call=debtor.do_not_call,
            restricted=getattr(debtor, "processing_restricted", False),
            pack_rules=pack_rules, rules=rules,
            holds=holds.get(debtor.pk, []), restrictions=restrictions.get(debtor.pk, []),
            attempts=attempts.get(debtor.pk, []), points=points.get(debtor.pk, []),
            disputed_invoice_ids=frozenset(disputed.get(debtor.pk, ())),
            has_undisputed_unsettled=debtor.pk in undisputed or debtor.pk not in disputed,
            overrides=overrides.get(debtor.pk, []),
        )
    return facts
