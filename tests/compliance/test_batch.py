"""can_contact_many: the planner's batch form, set-based."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance import services
from compliance.engine import can_contact, can_contact_many
from compliance.models import ContactDecision
from tests.compliance.factories import ROME, attempt, debtor_with_phone, local
from tests.factories import ClientFactory, ContactPointFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AT = local(ROME, 2026, 9, 14, 11)


def portfolio(size: int):
    client = ClientFactory()
    debtors = []
    for n in range(size):
        debtor, phone = debtor_with_phone(client=client, phone=f"+39347{n:07d}")
        ContactPointFactory(debtor=debtor, channel="email", value=f"d{n}@example.invalid")
        kind = n % 5
        if kind == 1:
            services.hold_place(debtor=debtor, kind="complaint", starts_at=local(ROME, 2026, 9, 1))
        elif kind == 2:
            attempt(debtor, phone, local(ROME, 2026, 9, 14, 9, 30))
        elif kind == 3:
            InvoiceFactory(debtor=debtor, status="disputed")
        elif kind == 4:
            services.restriction_add(debtor=debtor, kind="channel_opt_out", channel="call",
                                     at=local(ROME, 2026, 9, 1))
        debtors.append(debtor)
    services.client_contact_rule_save(client=client, parameter="min_spacing_minutes", value=240)
    return debtors


def test_the_batch_decides_as_the_single_form_does():
    debtors = portfolio(10)

    batch = can_contact_many(debtors, "call", AT, record=False)

    for debtor in debtors:
        phone = debtor.contact_points.get(channel="phone").value
        single = can_contact(debtor, "call", phone, AT, record=False)
        assert (batch[debtor.pk].allowed, batch[debtor.pk].rule_ids,
                batch[debtor.pk].next_permitted_at) == (
            single.allowed, single.rule_ids, single.next_permitted_at), debtor.pk
    assert batch[debtors[2].pk].rule_ids == ["client.min_spacing_minutes"]
    assert batch[debtors[1].pk].rule_ids == ["hold.complaint"]
    assert batch[debtors[3].pk].rule_ids == ["hold.dispute"]
    assert batch[debtors[4].pk].rule_ids == ["debtor.channel_opt_out"]


def test_the_batch_costs_the_same_queries_for_5_or_25_debtors():
    small, large = portfolio(5), portfolio(25)
    # The process reads the rule packs once (compliance/rulecache.py), then only checks them.
    can_contact_many(small, "call", AT, record=False)

    with CaptureQueriesContext(connection) as few:
        can_contact_many(small, "call", AT)
    with CaptureQueriesContext(connection) as many:
        can_contact_many(large, "call", AT)

    assert len(many.captured_queries) == len(few.captured_queries) <= 15
    assert ContactDecision.objects.count() == 30


def test_the_batch_reads_a_queryset_in_chunks():
    debtors = portfolio(7)
    from portfolio.models import Debtor

    decisions = can_contact_many(Debtor.objects.filter(pk__in=[d.pk for d in debtors]),
                                 "email", AT, chunk_size=3, record=False)

    assert set(decisions) == {d.pk for d in debtors}
    assert decisions[debtors[0].pk].destination == "d0@example.invalid"
