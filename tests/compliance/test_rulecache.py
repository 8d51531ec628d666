"""The process's rules snapshot: read once, checked on every use, rebuilt when a rule changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance import rulecache, services
from compliance.engine import can_contact_many
from compliance.models import ClientContactRule
from tests.compliance.factories import ROME, attempt, debtor_with_phone, local

pytestmark = pytest.mark.django_db

AT = local(ROME, 2026, 9, 14, 14)


def test_an_unchanged_snapshot_is_reused_after_one_check_query() -> None:
    first = rulecache.rules_snapshot()
    with CaptureQueriesContext(connection) as check:
        again = rulecache.rules_snapshot()
    assert again is first
    assert len(check.captured_queries) == 1


def test_a_contract_rule_saved_is_used_by_the_next_decision() -> None:
    debtor, phone = debtor_with_phone(phone="+393470000001")
    attempt(debtor, phone, local(ROME, 2026, 9, 14, 9, 30))
    assert can_contact_many([debtor], "call", AT, record=False)[debtor.pk].allowed

    services.client_contact_rule_save(client=debtor.client, parameter="min_spacing_minutes",
                                      value=360)

    decision = can_contact_many([debtor], "call", AT, record=False)[debtor.pk]
    assert not decision.allowed
    assert decision.rule_ids == ["client.min_spacing_minutes"]


def test_a_rule_changed_without_signals_is_seen_by_the_check() -> None:
    # Another process's change: no signal reaches this one, the check query sees the new row.
    debtor, phone = debtor_with_phone(phone="+393470000002")
    attempt(debtor, phone, local(ROME, 2026, 9, 14, 9, 30))
    assert can_contact_many([debtor], "call", AT, record=False)[debtor.pk].allowed

    ClientContactRule.objects.bulk_create([ClientContactRule(
        client=debtor.client, parameter="min_spacing_minutes", value=360)])

    decision = can_contact_many([debtor], "call", AT, record=False)[debtor.pk]
    assert decision.rule_ids == ["client.min_spacing_minutes"]
