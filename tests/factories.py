"""One factory per model, with minimal valid defaults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db.models import Model

from access.models import ClientUser, Membership
from portfolio.models import Client, ContactPoint, Debtor, Invoice, Payment

ModelT = TypeVar("ModelT", bound=Model)


class ModelFactory(factory.django.DjangoModelFactory[ModelT]):
    """A model factory whose call, `SomeFactory(**fields)`, is typed as the model it creates.

    factory_boy's metaclass turns that call into `SomeFactory.create(**fields)`, but its
    `__call__` carries no types, so mypy reads the call as the factory's own constructor and
    types the result as the factory. The `__new__` below exists for the type checker only and
    tells it what the call really returns.
    """

    if TYPE_CHECKING:
        # mypy wants `__new__` to return the class's own instance; this one deliberately
        # describes the metaclass's call instead, which creates the model.
        def __new__(cls, **kwargs: Any) -> ModelT:  # type: ignore[misc]
            ...


class ClientFactory(ModelFactory[Client]):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    vat_number = factory.Sequence(lambda n: f"{n:011d}")
    country = "IT"
    currency = "EUR"
    reporting_timezone = "Europe/Rome"


class DebtorFactory(ModelFactory[Debtor]):
    class Meta:
        model = Debtor

    client = factory.SubFactory(ClientFactory)
    external_ref = factory.Sequence(lambda n: f"C{n:06d}")
    kind = Debtor.Kind.BUSINESS
    name = factory.Sequence(lambda n: f"Debtor {n} S.r.l.")
    country = "IT"
    timezone = "Europe/Rome"


class ContactPointFactory(ModelFactory[ContactPoint]):
    class Meta:
        model = ContactPoint

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    channel = ContactPoint.Channel.PHONE
    value = factory.Sequence(lambda n: f"+3902{n:07d}")
    timezones = factory.LazyFunction(lambda: ["Europe/Rome"])


class InvoiceFactory(ModelFactory[Invoice]):
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


class PaymentFactory(ModelFactory[Payment]):
    class Meta:
        model = Payment

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    external_ref = factory.Sequence(lambda n: f"PAY-{n:07d}")
    amount = Decimal("50.00")
    currency = factory.SelfAttribute("client.currency")
    value_date = dt.date(2026, 2, 1)
    unallocated_amount = factory.SelfAttribute("amount")


class UserFactory(ModelFactory[User]):
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
