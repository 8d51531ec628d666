"""The rule packs and the clients' contract rules, read once per process and kept for as long
as a cheap check says nothing changed.

Every decision needs them, and they change a few times a year, while the collections queue
asks the engine on every claim: re-reading and re-building them on each request cost more than
the decision itself. `rules_snapshot()` runs one small query (row counts and highest ids of the
four tables, the latest change of a contract rule) and rebuilds only when its answer moved.
Saves and deletes through the ORM in this process invalidate at once (signals, connected in
apps.py); an in-place edit elsewhere that the check cannot see (the admin edits rules of a pack
version only before it takes effect) is picked up within MAX_AGE.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any, NamedTuple

from django.db import connection

from compliance.rules import RuleSet

# The longest a snapshot is trusted without re-reading, whatever the check says.
MAX_AGE_SECONDS = 60.0

# One round trip; literal SQL that both databases run. A rule edited in place changes no
# count or id: the admin allows that only on a version not yet in force (see MAX_AGE_SECONDS).
_CHECK_SQL = (
    "SELECT (SELECT count(*) FROM compliance_rulepack), (SELECT max(id) FROM compliance_rulepack),"
    " (SELECT count(*) FROM compliance_rulepackversion),"
    " (SELECT max(id) FROM compliance_rulepackversion),"
    " (SELECT count(*) FROM compliance_packrule), (SELECT max(id) FROM compliance_packrule),"
    " (SELECT count(*) FROM compliance_clientcontactrule),"
    " (SELECT max(id) FROM compliance_clientcontactrule),"
    " (SELECT max(updated_at) FROM compliance_clientcontactrule)"
)


class PackRow(NamedTuple):
    pk: int
    code: str
    country: str
    region: str
    base_id: int | None
    is_default: bool


class VersionRow(NamedTuple):
    pk: int
    pack_id: int
    version: int
    effective_from: Any


class RuleRow(NamedTuple):
    parameter: str
    value: Any
    kind: str


class ClientRuleRow(NamedTuple):
    country: str
    parameter: str
    value: Any


class RulesSnapshot:
    """Everything the loader needs from the rule tables, as plain tuples, with caches of the
    rule sets built from them (valid for as long as the snapshot is)."""

    def __init__(self, fingerprint: tuple[Any, ...]) -> None:
        from compliance.models import ClientContactRule, PackRule, RulePack, RulePackVersion

        self.fingerprint = fingerprint
        self.loaded_at = time.monotonic()
        self.packs = [PackRow(*row) for row in RulePack.objects.order_by("pk").values_list(
            "pk", "code", "country", "region", "base_id", "is_default")]
        # Newest first per pack: the version in force at a time is the first one not after it.
        self.versions = [VersionRow(*row) for row in RulePackVersion.objects.order_by(
            "pack_id", "-effective_from").values_list("pk", "pack_id", "version",
                                                      "effective_from")]
        self.rules: dict[int, list[RuleRow]] = defaultdict(list)
        for version_id, parameter, value, kind in PackRule.objects.order_by("pk").values_list(
                "pack_version_id", "parameter", "value", "kind"):
            self.rules[version_id].append(RuleRow(parameter, value, kind))
        self.client_rules: dict[int, list[ClientRuleRow]] = defaultdict(list)
        for client_id, country, parameter, value in ClientContactRule.objects.order_by(
                "pk").values_list("client_id", "country", "parameter", "value"):
            self.client_rules[client_id].append(ClientRuleRow(country, parameter, value))
        # Filled by compliance.loader: pack indexes by the versions in force, and rule sets
        # tightened by a client's contract rules.
        self.pack_indexes: dict[tuple[int, ...], Any] = {}
        self.tightened: dict[tuple[Any, ...], RuleSet] = {}
        self.lock = threading.Lock()


_cached: RulesSnapshot | None = None
_generation = 0


def _fingerprint() -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(_CHECK_SQL)
        row = cursor.fetchone()
    return (_generation, *row)


def rules_snapshot() -> RulesSnapshot:
    """The rule tables as they are now: the cached snapshot when the check finds no change."""
    global _cached
    fingerprint = _fingerprint()
    cached = _cached
    if (cached is not None and cached.fingerprint == fingerprint
            and time.monotonic() - cached.loaded_at < MAX_AGE_SECONDS):
        return cached
    fresh = RulesSnapshot(fingerprint)
    _cached = fresh
    return fresh


def rules_changed(sender: Any, **_kwargs: Any) -> None:
    """Signal receiver (compliance/apps.py): a rule row was saved or deleted in this process."""
    global _generation, _cached
    _generation += 1
    _cached = None
