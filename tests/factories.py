"""One factory per model, with minimal valid defaults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from access.models import ClientUser, Membership
from portfolio.models import Client, ContactPoint, Debtor, Invoice, Payment


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    vat_number = factory.Sequence(lambda n: f"{n:011d}")
    country = "IT"
    currency = "EUR"
    reporting_timezone = "Europe/Rome"


class DebtorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Debtor

    client = factory.SubFactory(ClientFactory)
    external_ref = factory.Sequence(lambda n: f"C{n:06d}")
    kind = Debtor.Kind.BUSINESS
    name = factory.Sequence(lambda n: f"Debtor {n} S.r.l.")
    country = "IT"
    timezone = "Europe/Rome"


class ContactPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    channel = ContactPoint.Channel.PHONE
    value = factory.Sequence(lambda n: f"+3902{n:07d}")
    timezones = factory.LazyFunction(lambda: ["Europe/Rome"])


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    number = factory.Sequence(lambda n: f"INV-{n:07d}")
    issue_date = dt.date(2026, 1, 1)
    due_date = dt.date(2026, 1, 31)
    amount = Decimal("100.00")
    currency = factory.SelfAttribute("client.currency")
    open_balance = factory.SelfAttribute("amount")
    status = Invoice.Status.OPEN


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    external_ref = factory.Sequence(lambda n: f"PAY-{n:07d}")
    amount = Decimal("50.00")
    currency = factory.SelfAttribute("client.currency")
    value_date = dt.date(2026, 2, 1)
    unallocated_amount = factory.SelfAttribute("amount")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.invalid")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")


def user_with_role(role: str, *, clients: tuple[Client, ...] = (), client: Client | None = None,
                   **kwargs: object):
    """A user in the role's group; staff are members of `clients`, a viewer belongs to `client`."""
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    user.save()
    for each in clients:
        Membership.objects.create(user=user, client=each)
    if client is not None:
        ClientUser.objects.create(user=user, client=client)
    return user
