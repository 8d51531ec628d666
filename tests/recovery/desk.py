"""Builders shared by the collections desk's page and browser tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from compliance.engine import can_contact
from portfolio.models import Client, Debtor
from recovery.models import CollectionCase
from tests.caring.conftest import rule_packs_seeded
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory
from tests.recovery.factories import CollectionCaseFactory

# Zones a few hours apart: at any moment one of them is inside the Italian pack's call window
# on most days (a test that needs a live "Next case" skips only when none is).
ZONES = ["Europe/Rome", "Asia/Tokyo", "Pacific/Kiritimati", "Asia/Kolkata", "America/New_York",
         "America/Los_Angeles", "Pacific/Honolulu", "Asia/Dubai", "Australia/Sydney",
         "America/Sao_Paulo", "Pacific/Pago_Pago"]


def callable_debtor(client: Client, *, name: str, phone: str) -> Debtor:
    """A debtor the contact engine lets an agent call right now (its zone chosen for that)."""
    rule_packs_seeded()  # a transactional test's flush may have removed them
    now = timezone.now()
    for zone in ZONES:
        debtor = DebtorFactory(client=client, name=name, timezone=zone)
        ContactPointFactory(debtor=debtor, client=client, value=phone, timezones=[zone])
        if can_contact(debtor, "call", phone, now, record=False).allowed:
            return debtor
        debtor.contact_points.all().delete()
        debtor.delete()
    pytest.skip("no time zone is inside a call window at this moment")


def overdue_case(debtor: Debtor, *, amount: str = "1200.00", days: int = 40,
                 priority: str = "500", **values: object) -> CollectionCase:
    """An open case on an overdue invoice of `debtor`."""
    due = timezone.localdate() - dt.timedelta(days=days)
    invoice = InvoiceFactory(debtor=debtor, client=debtor.client, amount=Decimal(amount),
                             issue_date=due - dt.timedelta(days=30), due_date=due)
    return CollectionCaseFactory(
        debtor=debtor, overdue_amount=Decimal(amount), oldest_due_date=invoice.due_date,
        priority=Decimal(priority),
        priority_reasons=[{"code": "expected_loss", "label": "Expected loss", "value": "480"},
                          {"code": "days_overdue", "label": f"{days} days overdue",
                           "value": "20"}], **values)


def claimed_by(case: CollectionCase, agent: User) -> CollectionCase:
    now = timezone.now()
    case.claimed_by = agent
    case.claimed_at = now
    case.claim_expires_at = now + dt.timedelta(minutes=30)
    case.save()
    return case
