"""The loader reads every kind of fact in one statement, typed and ordered as the engine
expects, on SQLite as on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance import services
from compliance.engine import AttemptFact, HoldFact, OverrideFact, PointFact, RestrictionFact
from compliance.loader import facts_load
from compliance.models import ContactDecision, ContactHold, ContactOverride
from tests.compliance.factories import ROME, attempt, debtor_with_phone, local
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AT = local(ROME, 2026, 9, 14, 11)


def _override(debtor, requested_at: dt.datetime, valid_until: dt.datetime, *,
              status: str = ContactOverride.Status.APPROVED) -> ContactOverride:
    decision = ContactDecision.objects.create(
        client_id=debtor.client_id, debtor=debtor, channel="call", decided_at=requested_at,
        allowed=False, pack_code="IT", pack_version=1)
    users = get_user_model().objects
    requester = users.create_user(username=f"requester{decision.pk}")
    approver = users.create_user(username=f"approver{decision.pk}")
    return ContactOverride.objects.create(
        client_id=debtor.client_id, debtor=debtor, decision=decision, channel="call",
        destination="", reason="Asked for a call", status=status, requested_by=requester,
        requested_at=requested_at, decided_by=approver, decided_at=requested_at,
        valid_until=valid_until)


def test_every_kind_of_fact_comes_back_typed_and_in_the_engines_order():
    debtor, phone = debtor_with_phone(zones=["Europe/Rome", "Europe/Berlin"])
    wrong = ContactPointFactory(debtor=debtor, client=debtor.client, value="+393470000001",
                                label="Work", timezones=[],
                                wrong_number_at=local(ROME, 2026, 9, 1))
    ContactPointFactory(debtor=debtor, client=debtor.client, channel="email",
                        value="d@example.invalid", timezones=[], confirmed=False)
    disputed = InvoiceFactory(debtor=debtor, client=debtor.client, status="disputed")
    InvoiceFactory(debtor=debtor, client=debtor.client, status="open")
    services.hold_place(debtor=debtor, kind="dispute", invoice_ids=[disputed.pk],
                        starts_at=local(ROME, 2026, 9, 2))
    services.hold_place(debtor=debtor, kind="complaint", starts_at=local(ROME, 2026, 9, 5),
                        ends_at=local(ROME, 2026, 10, 1))
    released = services.hold_place(debtor=debtor, kind="lawyer",
                                   starts_at=local(ROME, 2026, 9, 3))
    ContactHold.objects.filter(pk=released.pk).update(released_at=local(ROME, 2026, 9, 4))
    services.hold_place(debtor=debtor, kind="insolvency", starts_at=local(ROME, 2026, 9, 20))
    services.restriction_add(debtor=debtor, kind="inconvenient_time", weekdays=["mon", "fri"],
                             not_before=dt.time(9, 30), not_after=dt.time(12, 15),
                             at=local(ROME, 2026, 9, 1))
    services.restriction_add(debtor=debtor, kind="inconvenient_place", place="Work",
                             at=local(ROME, 2026, 9, 3))
    services.restriction_add(debtor=debtor, kind="channel_opt_out", channel="sms",
                             at=local(ROME, 2026, 9, 15))
    later = attempt(debtor, phone, local(ROME, 2026, 9, 14, 9, 30), result="answered",
                    party="right_party_verified", debt_ref="case-1",
                    consent_given_at=local(ROME, 2026, 9, 14, 9, 31),
                    follow_up_at=local(ROME, 2026, 9, 16, 10))
    attempt(debtor, phone, local(ROME, 2026, 9, 13, 18))
    attempt(debtor, phone, local(ROME, 2026, 9, 14, 12))  # after AT: not a fact yet
    attempt(debtor, phone, local(ROME, 2026, 7, 1))  # older than any rule looks back
    older = _override(debtor, local(ROME, 2026, 9, 14, 10), local(ROME, 2026, 9, 14, 12))
    newer = _override(debtor, local(ROME, 2026, 9, 14, 10, 30), local(ROME, 2026, 9, 14, 11, 30))
    _override(debtor, local(ROME, 2026, 9, 14, 10, 45), local(ROME, 2026, 9, 14, 12),
              status=ContactOverride.Status.REJECTED)
    _override(debtor, local(ROME, 2026, 9, 14, 9), local(ROME, 2026, 9, 14, 10, 30))
    other = DebtorFactory(client=debtor.client)
    facts_load([other], at=AT)  # the process reads the rule packs once (rulecache.py)

    with CaptureQueriesContext(connection) as queries:
        facts = facts_load([debtor, other], at=AT)

    # The rules' check, the facts, and whether anything undisputed is left (a dispute).
    assert len(queries.captured_queries) <= 3
    mine = facts[debtor.pk]
    assert mine.holds == [
        HoldFact("complaint", frozenset(), local(ROME, 2026, 9, 5), local(ROME, 2026, 10, 1)),
        HoldFact("dispute", frozenset({disputed.pk}), local(ROME, 2026, 9, 2), None)]
    assert mine.restrictions == [
        RestrictionFact("inconvenient_place", "", frozenset(), None, None, "work",
                        local(ROME, 2026, 9, 3)),
        RestrictionFact("inconvenient_time", "", frozenset({0, 4}), dt.time(9, 30),
                        dt.time(12, 15), "", local(ROME, 2026, 9, 1))]
    assert mine.attempts == [
        AttemptFact("call", phone, local(ROME, 2026, 9, 13, 18), "no_answer", False, "", None,
                    None),
        AttemptFact("call", phone, later.started_at, "answered", True, "case-1",
                    local(ROME, 2026, 9, 14, 9, 31), local(ROME, 2026, 9, 16, 10))]
    assert mine.points == [
        PointFact("phone", phone, "mobile", ("Europe/Rome", "Europe/Berlin")),
        PointFact("phone", wrong.value, "Work", (), wrong_number=True),
        PointFact("email", "d@example.invalid", "", (), confirmed=False)]
    assert mine.disputed_invoice_ids == frozenset({disputed.pk})
    assert mine.has_undisputed_unsettled is True
    assert mine.overrides == [
        OverrideFact(newer.pk, "call", "", local(ROME, 2026, 9, 14, 11, 30)),
        OverrideFact(older.pk, "call", "", local(ROME, 2026, 9, 14, 12))]
    assert all(fact.starts_at.utcoffset() is not None for fact in mine.holds)
    theirs = facts[other.pk]
    assert (theirs.holds, theirs.restrictions, theirs.attempts, theirs.points,
            theirs.overrides) == ([], [], [], [], [])
    assert theirs.disputed_invoice_ids == frozenset()
    assert theirs.has_undisputed_unsettled is True


def test_debtors_far_apart_are_read_by_their_ids():
    first, _phone = debtor_with_phone()
    others = [DebtorFactory(client=first.client) for _ in range(3)]
    last, phone = debtor_with_phone(client=first.client, phone="+393479999999")
    attempt(last, phone, local(ROME, 2026, 9, 14, 9))

    facts = facts_load([first, last], at=AT)

    assert [len(facts[d.pk].attempts) for d in (first, last)] == [0, 1]
    assert len(facts[first.pk].points) == len(facts[last.pk].points) == 1
    assert not set(facts) & {d.pk for d in others}
