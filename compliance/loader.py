"""Load the facts the engine decides on, for a batch of debtors, in a fixed number of queries.

Per chunk of debtors: holds, restrictions, recent attempts, contact points, disputed invoices
(and, only for debtors with a dispute, whether anything undisputed is left), approved
overrides, client contract rules: seven queries whatever the chunk size, plus the packs (three
small queries per call). Each `__in` list is one chunk (2,000 ids by default) so PostgreSQL
plans it as an index scan on the debtor-leading indexes named in compliance/models.py.
"""

from __future__ import annotations

import datetime as dt
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
    ClientContactRule,
    ContactAttempt,
    ContactHold,
    ContactOverride,
    ContactRestriction,
    PackRule,
    RulePack,
    RulePackVersion,
)
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
    """The rule packs and the version of each in force at one time."""

    def __init__(self, at: dt.datetime) -> None:
        packs = list(RulePack.objects.all())
        versions: dict[int, RulePackVersion] = {}
        for version in (RulePackVersion.objects.filter(effective_from__lte=at)
                        .order_by("pack_id", "-effective_from")):
            versions.setdefault(version.pack_id, version)
        rules: dict[int, list[PackRule]] = defaultdict(list)
        for rule in PackRule.objects.filter(pack_version__in=[v.pk for v in versions.values()]):
            rules[rule.pack_version_id].append(rule)
        self.by_place: dict[tuple[str, str], RulePack] = {(p.country, p.region): p for p in packs}
        self.default = next((p for p in packs if p.is_default), None)
        self.versions = versions
        self.rules = rules
        self._cache: dict[tuple[str, str], RuleSet] = {}
        self.max_lookback_days = 8 + max(
            [int(r.value) for rs in rules.values() for r in rs
             if r.parameter in (Param.QUIET_DAYS_AFTER_CONVERSATION,
                                Param.CONSENT_EXCLUSION_DAYS)] or [0]) * 2

    def _rows(self, pack: RulePack) -> list[tuple[str, Any, str, bool]]:
        version = self.versions.get(pack.pk)
        if version is None:
            return []
        return [(r.parameter, r.value, f"{pack.code}.{r.parameter}", r.kind == PackRule.Kind.FLOOR)
                for r in self.rules[version.pk]]

    def ruleset(self, country: str, region: str) -> RuleSet:
        region = region.upper().removeprefix(f"{country}-")
        key = (country, region)
        if key not in self._cache:
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
            self._cache[key] = ruleset
        return self._cache[key]


def _client_rules(client_ids: set[int]) -> dict[int, list[ClientContactRule]]:
    rules: dict[int, list[ClientContactRule]] = defaultdict(list)
    for rule in ClientContactRule.objects.filter(client_id__in=client_ids):
        rules[rule.client_id].append(rule)
    return rules


def facts_load(debtors: Sequence[Any], *, at: dt.datetime,
               packs: PackIndex | None = None) -> dict[int, DebtorFacts]:
    packs = packs or PackIndex(at)
    ids = [d.pk for d in debtors]
    since = at - dt.timedelta(days=packs.max_lookback_days)
    client_rules = _client_rules({d.client_id for d in debtors})

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
        overrides[debtor_id].append(OverrideFact(override_id, channel, destination, valid_until))

    facts: dict[int, DebtorFacts] = {}
    tightened: dict[tuple[int, str, str], RuleSet] = {}
    for debtor in debtors:
        pack_rules = packs.ruleset(debtor.country, debtor.region)
        key = (debtor.client_id, debtor.country, debtor.region)
        if key not in tightened:
            own = [(r.parameter, r.value, "client." + r.parameter, False)
                   for r in client_rules.get(debtor.client_id, ())
                   if r.country in ("", debtor.country)]
            tightened[key] = pack_rules.tightened(own) if own else pack_rules
        facts[debtor.pk] = DebtorFacts(
            debtor_id=debtor.pk, client_id=debtor.client_id, country=debtor.country,
            region=debtor.region, timezone=debtor.timezone, deceased=debtor.deceased,
            vulnerable=debtor.vulnerable, do_not_call=debtor.do_not_call,
            restricted=getattr(debtor, "processing_restricted", False),
            pack_rules=pack_rules, rules=tightened[key],
            holds=holds.get(debtor.pk, []), restrictions=restrictions.get(debtor.pk, []),
            attempts=attempts.get(debtor.pk, []), points=points.get(debtor.pk, []),
            disputed_invoice_ids=frozenset(disputed.get(debtor.pk, ())),
            has_undisputed_unsettled=debtor.pk in undisputed or debtor.pk not in disputed,
            overrides=overrides.get(debtor.pk, []),
        )
    return facts
