"""The collections desk's part of a debtor's data export and erasure (GDPR, SPEC §6)."""

from __future__ import annotations

import datetime as dt

import pytest

from portfolio import privacy
from recovery.models import Dispute
from tests.factories import DebtorFactory
from tests.portfolio.test_privacy import TODAY, _paid_long_ago
from tests.recovery.factories import CollectionContactFactory, DisputeFactory

pytestmark = pytest.mark.django_db


def test_the_export_holds_every_collections_contact_with_its_notes(personas):
    debtor = DebtorFactory(client=personas.client_a)
    CollectionContactFactory(case__debtor=debtor, notes="Lost her job in March")

    exported = privacy.debtor_data_export(debtor=debtor, actor=personas.admin)

    section = exported["sections"]["recovery"]
    assert [contact["notes"] for contact in section["contacts"]] == ["Lost her job in March"]
    assert len(section["cases"]) == 1


def test_an_erasure_blanks_the_desks_notes_and_numbers(personas):
    debtor = DebtorFactory(client=personas.client_a)
    _paid_long_ago(debtor)
    contact = CollectionContactFactory(case__debtor=debtor, notes="Lost her job in March")

    outcome = privacy.debtor_erase(debtor=debtor, actor=personas.admin, today=TODAY)

    contact.refresh_from_db()
    assert outcome.erased
    assert (contact.notes, contact.destination) == ("", "")


def test_an_open_dispute_keeps_the_data_and_says_why(personas):
    debtor = DebtorFactory(client=personas.client_a)
    _paid_long_ago(debtor)
    DisputeFactory(case__debtor=debtor, detail="Goods never delivered",
                   opened_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))

    outcome = privacy.debtor_erase(debtor=debtor, actor=personas.admin, today=TODAY)

    assert not outcome.erased and outcome.restricted
    assert any("dispute" in reason for reason in outcome.reasons)
    assert Dispute.objects.get(debtor=debtor).detail == "Goods never delivered"
