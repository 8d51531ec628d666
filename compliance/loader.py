"""Load the facts the engine decides on, for a batch of debtors, in a fixed number of queries.

Per chunk of debtors: holds, restrictions, recent attempts, contact points, disputed invoices
(and, only for debtors with a dispute, whether anything undisputed is left), approved
overrides: six queries whatever the chunk size. The packs and the clients' contract rules
come from the process's snapshot (compliance/rulecache.py: one small check query per call).
Each `__in` list is one chunk (2,000 ids by default) so PostgreSQL plans it as an index scan
on the debtor-leading indexes named in compliance/models.py.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet

from compliance.engine import (
    AttemptFact,
    DebtorFacts,
    HoldFact,
    OverrideFact,
    PointFact,
    RestrictionFact,
)
from compliance.models import (
    ContactAttempt,
    ContactHold,
    ContactOverride,
    ContactRestriction,
    PackRule,
)
from compliance.rulecache import PackRow, RuleRow, RulesSnapshot, VersionRow, rules_snapshot
from compliance.rules import WEEKDAYS, Param, RuleSet, RuleValue
from portfolio.models import ContactPoint, Debtor, Invoice

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


def _for_debtors(ids: list[int]) -> Q:
    """Rows of these debtors. A dense run of ids (a planner's whole portfolio, chunked in key
    order) becomes a range the debtor-leading index scans, instead of thousands of bound
    parameters; rows of debtors outside the chunk are dropped when facts are assembled."""
    low, high = min(ids), max(ids)
    if high - low + 1 <= 2 * len(ids):
        return Q(debtor_id__gte=low, debtor_id__lte=high)
    return Q(debtor_id__in=ids)


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


def facts_load(debtors: Sequence[Any], *, at: dt.datetime,
               packs: PackIndex | None = None) -> dict[int, DebtorFacts]:
    packs = packs or pack_index(at)
    snapshot = packs.snapshot
    ids = [d.pk for d in debtors]
    since = at - dt.timedelta(days=packs.max_lookback_days)

    holds: dict[int, list[HoldFact]] = defaultdict(list)
    for debtor_id, kind, invoice_ids, starts_at, ends_at in (
            ContactHold.objects.filter(_for_debtors(ids), released_at__isnull=True,
                                       starts_at__lte=at)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
            .values_list("debtor_id", "kind", "invoice_ids", "starts_at", "ends_at")):
        holds[debtor_id].append(HoldFact(kind, frozenset(invoice_ids or ()), starts_at, ends_at))

    restrictions: dict[int, list[RestrictionFact]] = defaultdict(list)
    for row in (ContactRestriction.objects.filter(_for_debtors(ids), revoked_at__isnull=True,
                                                  created_at__lte=at)
                .values_list("debtor_id", "kind", "channel", "weekdays", "not_before",
                             "not_after", "place", "created_at")):
        debtor_id, kind, channel, weekdays, not_before, not_after, place, created_at = row
        days = frozenset(WEEKDAYS.index(day) for day in (weekdays or ()) if day in WEEKDAYS)
        restrictions[debtor_id].append(RestrictionFact(kind, channel, days, not_before,
                                                       not_after, place, created_at))

    attempts: dict[int, list[AttemptFact]] = defaultdict(list)
    for attempt in (ContactAttempt.objects.filter(_for_debtors(ids), started_at__gte=since,
                                                  started_at__lte=at)
                    .order_by("debtor_id", "started_at", "id")
                    .values_list("debtor_id", "channel", "destination", "started_at", "result",
                                 "conversation", "debt_ref", "consent_given_at",
                                 "follow_up_at")):
        attempts[attempt[0]].append(AttemptFact(*attempt[1:]))

    points: dict[int, list[PointFact]] = defaultdict(list)
    for debtor_id, channel, value, label, zones, confirmed, wrong_at in (
            ContactPoint.objects.filter(_for_debtors(ids)).order_by("debtor_id", "id")
            .values_list("debtor_id", "channel", "value", "label", "timezones", "confirmed",
                         "wrong_number_at")):
        points[debtor_id].append(PointFact(channel, value, label, tuple(zones or ()),
                                           confirmed, wrong_number=wrong_at is not None))

    disputed: dict[int, set[int]] = defaultdict(set)
    for debtor_id, invoice_id in Invoice.objects.filter(
            _for_debtors(ids), status=Invoice.Status.DISPUTED).values_list("debtor_id", "id"):
        disputed[debtor_id].add(invoice_id)
    undisputed: set[int] = set()
    if disputed:
        undisputed = set(Invoice.objects.filter(
            debtor_id__in=list(disputed),
            status__in=[Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID],
        ).order_by().values_list("debtor_id", flat=True).distinct())

    overrides: dict[int, list[OverrideFact]] = defaultdict(list)
    for override_id, debtor_id, channel, destination, valid_until in (
            ContactOverride.objects.filter(_for_debtors(ids),
                                           status=ContactOverride.Status.APPROVED,
                                           valid_until__gt=at)
            .values_list("id", "debtor_id", "channel", "destination", "valid_until")):
        if valid_until is not None:  # always: the filter above leaves out open-ended rows
            overrides[debtor_id].append(
                OverrideFact(override_id, channel, destination, valid_until))

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
