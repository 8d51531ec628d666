"""Factories of the collections desk's models, one per model, minimal valid defaults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from recovery.models import (
    AgentSkills,
    Callback,
    CaseStageChange,
    CollectionCase,
    CollectionContact,
    Dispute,
    DisputedInvoice,
    Instalment,
    PaymentPlan,
    PromiseToPay,
)
from tests.factories import DebtorFactory, InvoiceFactory, ModelFactory, UserFactory

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


class CollectionCaseFactory(ModelFactory[CollectionCase]):
    class Meta:
        model = CollectionCase

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    opened_at = dt.datetime(2026, 2, 15, 9, 0, tzinfo=dt.UTC)
    overdue_amount = Decimal("100.00")
    oldest_due_date = dt.date(2026, 1, 31)
    currency = factory.SelfAttribute("client.currency")
    strategy = CollectionCase.Strategy.EMPATHETIC
    language = factory.SelfAttribute("debtor.language")
    segment = factory.SelfAttribute("debtor.kind")


class CaseStageChangeFactory(ModelFactory[CaseStageChange]):
    class Meta:
        model = CaseStageChange

    case = factory.SubFactory(CollectionCaseFactory)
    client = factory.SelfAttribute("case.client")
    from_stage = CollectionCase.Stage.FIRST_LEVEL
    to_stage = CollectionCase.Stage.SECOND_LEVEL
    changed_by = factory.SubFactory(UserFactory)
    reason = "Needs a specialist"


class CollectionContactFactory(ModelFactory[CollectionContact]):
    class Meta:
        model = CollectionContact

    case = factory.SubFactory(CollectionCaseFactory)
    client = factory.SelfAttribute("case.client")
    debtor = factory.SelfAttribute("case.debtor")
    channel = CollectionContact.Channel.CALL
    direction = CollectionContact.Direction.OUTBOUND
    destination = "+390212345678"
    attempt_result = CollectionContact.AttemptResult.ANSWERED
    party = CollectionContact.Party.RIGHT_PARTY_VERIFIED
    outcomes = factory.LazyFunction(lambda: ["info_only"])
    opened_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=4))
    saved_at = factory.LazyFunction(timezone.now)
    handle_seconds = 240
    agent = factory.SubFactory(UserFactory)


class CallbackFactory(ModelFactory[Callback]):
    class Meta:
        model = Callback

    case = factory.SubFactory(CollectionCaseFactory)
    client = factory.SelfAttribute("case.client")
    agent = factory.SubFactory(UserFactory)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=2))
    consent_given_at = factory.LazyFunction(timezone.now)


class PromiseToPayFactory(ModelFactory[PromiseToPay]):
    class Meta:
        model = PromiseToPay

    case = factory.SubFactory(CollectionCaseFactory)
    client = factory.SelfAttribute("case.client")
    debtor = factory.SelfAttribute("case.debtor")
    amount = Decimal("100.00")
    currency = factory.SelfAttribute("case.currency")
    promised_date = dt.date(2026, 3, 20)
    created_at = factory.LazyFunction(timezone.now)


class PaymentPlanFactory(ModelFactory[PaymentPlan]):
    class Meta:
        model = PaymentPlan

    case = factory.SubFactory(CollectionCaseFactory)
    client = factory.SelfAttribute("case.client")
    debtor = factory.SelfAttribute("case.debtor")
    total = Decimal("600.00")
    currency = factory.SelfAttribute("case.currency")


class InstalmentFactory(ModelFactory[Instalment]):
    class Meta:
        model = Instalment

    plan = factory.SubFactory(PaymentPlanFactory)
    client = factory.SelfAttribute("plan.client")
    number = factory.Sequence(lambda n: n + 1)
    due_date = dt.date(2026, 4, 30)
    amount = Decimal("200.00")


class DisputeFactory(ModelFactory[Dispute]):
    class Meta:
        model = Dispute

    case = factory.SubFactory(CollectionCaseFactory)
    client = factory.SelfAttribute("case.client")
    debtor = factory.SelfAttribute("case.debtor")
    reason = Dispute.Reason.NOT_RECEIVED
    opened_at = factory.LazyFunction(timezone.now)


class DisputedInvoiceFactory(ModelFactory[DisputedInvoice]):
    class Meta:
        model = DisputedInvoice

    dispute = factory.SubFactory(DisputeFactory)
    client = factory.SelfAttribute("dispute.client")
    invoice = factory.SubFactory(InvoiceFactory, debtor=factory.SelfAttribute("..dispute.debtor"))
    amount = factory.SelfAttribute("invoice.open_balance")


class AgentSkillsFactory(ModelFactory[AgentSkills]):
    class Meta:
        model = AgentSkills

    user = factory.SubFactory(UserFactory)
    languages = factory.LazyFunction(lambda: ["it"])
    segments = factory.LazyFunction(list)
