"""Factories of caring's models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from caring.models import CaringPolicy, CourtesyCall
from tests.factories import ClientFactory, ContactPointFactory, DebtorFactory, ModelFactory


class CaringPolicyFactory(ModelFactory[CaringPolicy]):
    class Meta:
        model = CaringPolicy

    client = factory.SubFactory(ClientFactory)
    days_before_due = 5
    min_amount = Decimal("0")
    bands = "ABCDE"
    max_attempts = 3
    control_share = Decimal("0")
    seed = 12345


class CourtesyCallFactory(ModelFactory[CourtesyCall]):
    class Meta:
        model = CourtesyCall

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    policy = factory.SubFactory(CaringPolicyFactory, client=factory.SelfAttribute("..client"))
    window_date = dt.date(2026, 3, 2)
    first_due_date = dt.date(2026, 3, 9)
    amount = Decimal("100.00")
    priority = Decimal("50")


class CallableDebtorFactory(DebtorFactory):
    """A debtor with a phone number, so that the contact engine has somewhere to call."""

    class Meta:
        skip_postgeneration_save = True

    phone = factory.RelatedFactory(ContactPointFactory, factory_related_name="debtor")
