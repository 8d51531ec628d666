"""The experience demo: programmes, surveys of every status, answers of the three kinds,
follow-ups for the team leader, a strategy difference stated as generated; written once."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from access.roles import Role
from experience.demo import experience_demo_create
from experience.models import FollowUp, Programme, Response, Survey
from recovery.models import CollectionCase, PromiseToPay
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory, user_with_role

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 4)


@pytest.fixture
def demo_world(personas):
    """Client A's portfolio: debtors with a phone and an open invoice, a few open cases, and
    the demo's `agent` and `leader` logins."""
    for n in range(40):
        debtor = DebtorFactory(client=personas.client_a, language="it" if n % 3 else "en")
        ContactPointFactory(debtor=debtor)
        invoice = InvoiceFactory(debtor=debtor, issue_date=dt.date(2026, 8, 1),
                                 due_date=dt.date(2026, 9, 1), amount=Decimal("250.00"))
        if n < 30:
            CollectionCase.objects.create(
                client=personas.client_a, debtor=debtor, opened_at=dt.datetime(
                    2026, 12, 4, 8, tzinfo=dt.UTC), overdue_amount=invoice.amount,
                currency="EUR", strategy="empathetic" if n % 2 else "standard",
                language=debtor.language, segment="business")
    user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent")
    leader = user_with_role(Role.TEAM_LEADER, clients=(personas.client_a,), username="leader")
    return personas, leader


def test_the_demo_writes_six_months_of_every_kind_and_status(demo_world):
    personas, leader = demo_world

    counts = experience_demo_create(today=TODAY)

    client = personas.client_a
    assert not counts.skipped
    assert set(Programme.objects.filter(client=client).values_list("kind", flat=True)) == {
        "transactional", "relational", "competitive"}
    statuses = set(Survey.objects.filter(client=client).values_list("status", flat=True))
    assert {"answered", "expired", "suppressed"} <= statuses
    assert not Survey.objects.filter(status="suppressed", suppressed_reason="").exists()
    kinds = set(Response.objects.filter(client=client).values_list("kind", flat=True))
    assert kinds == {"transactional", "relational", "competitive"}
    assert Response.objects.filter(client=client).count() >= 150
    oldest = Response.objects.filter(client=client, kind="transactional").order_by(
        "answered_at").first()
    assert oldest is not None and oldest.answered_at is not None
    assert oldest.answered_at.date() < TODAY - dt.timedelta(days=100)
    # Comments in both languages touch the lexicon's themes.
    assert Response.objects.exclude(themes=[]).filter(language="it").exists()
    assert Response.objects.exclude(themes=[]).filter(language="en").exists()
    # Follow-ups for the team leader, open and closed.
    follow_ups = FollowUp.objects.filter(client=client)
    assert follow_ups.exists()
    assert set(follow_ups.values_list("assigned_to", flat=True)) == {leader.pk}
    assert {"open", "closed"} <= set(follow_ups.values_list("status", flat=True))
    # Client B has no debtors: nothing is written for it.
    assert not Survey.objects.filter(client=personas.client_b).exists()


def test_the_empathetic_strategy_shows_the_generated_advantage(demo_world):
    experience_demo_create(today=TODAY)

    def nps(strategy: str) -> float:
        scores = list(Response.objects.filter(kind="transactional", strategy=strategy)
                      .values_list("nps", flat=True))
        promoters = sum(1 for s in scores if s >= 9)
        detractors = sum(1 for s in scores if s <= 6)
        return 100 * (promoters - detractors) / len(scores)

    def kept(strategy: str) -> float:
        judged = PromiseToPay.objects.filter(case__strategy=strategy,
                                             status__in=PromiseToPay.EVALUATED)
        return judged.filter(status="kept").count() / judged.count()

    assert nps("empathetic") > nps("standard")
    assert kept("empathetic") > kept("standard")


def test_the_demo_is_written_once(demo_world):
    experience_demo_create(today=TODAY)
    surveys, answers = Survey.objects.count(), Response.objects.count()

    again = experience_demo_create(today=TODAY)

    assert again.skipped
    assert (Survey.objects.count(), Response.objects.count()) == (surveys, answers)


def test_the_command_says_the_data_is_generated(demo_world, settings):
    settings.EMBEDDED = True
    out = io.StringIO()

    call_command("experience_demo", "--today", TODAY.isoformat(), stdout=out)

    text = out.getvalue()
    assert "DEMO DATA" in text and "empathetic: NPS" in text and "standard: NPS" in text
