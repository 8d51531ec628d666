"""Disputes: the invoices concerned go on hold (out of the overdue, no collection contact about
them) until a second-level user upholds (credit note) or rejects (back to collection)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from access.errors import DomainError
from access.roles import Role
from compliance.engine import can_contact
from compliance.models import ContactHold
from portfolio.models import CreditNote, Invoice
from recovery import disputes, services
from recovery.models import CollectionCase, Dispute, DisputedInvoice
from tests.factories import (
    ClientFactory,
    ContactPointFactory,
    DebtorFactory,
    InvoiceFactory,
    user_with_role,
)
from tests.recovery.factories import AgentSkillsFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 10)
# A Tuesday morning in Milan: inside every window of the Italian pack.
AT = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    phone = ContactPointFactory(debtor=debtor, client=client)
    contested = InvoiceFactory(debtor=debtor, client=client, amount=Decimal("300.00"),
                               due_date=dt.date(2026, 2, 1))
    other = InvoiceFactory(debtor=debtor, client=client, amount=Decimal("200.00"),
                           due_date=dt.date(2026, 2, 1))
    services.cases_open(client_id=client.pk, as_of=AS_OF)
    case = CollectionCase.objects.get(debtor=debtor)
    agent = user_with_role(Role.AGENT, clients=(client,))
    leader = user_with_role(Role.TEAM_LEADER, clients=(client,))
    return {"client": client, "debtor": debtor, "phone": phone, "contested": contested,
            "other": other, "case": case, "agent": agent, "leader": leader}


def _open(world, invoices=None) -> Dispute:
    invoices = invoices or [world["contested"]]
    return disputes.dispute_open(case=world["case"], invoice_ids=[i.pk for i in invoices],
                                 reason=Dispute.Reason.GOODS_OR_SERVICE,
                                 detail="The pallets arrived broken.", by=world["agent"], now=AT)


def _denied_rules(world, invoice) -> list[str]:
    decision = can_contact(world["debtor"], "call", world["phone"].value, AT,
                           invoice_ids=[invoice.pk], record=False)
    return decision.rule_ids


def test_a_dispute_takes_its_invoices_out_of_the_overdue_and_out_of_contact(world) -> None:
    dispute = _open(world)

    world["case"].refresh_from_db()
    world["contested"].refresh_from_db()
    assert world["contested"].status == Invoice.Status.DISPUTED
    assert world["case"].overdue_amount == Decimal("200.00")
    assert "hold.dispute" in _denied_rules(world, world["contested"])
    assert "hold.dispute" not in _denied_rules(world, world["other"])
    assert dispute.hold is not None
    assert dispute.hold.invoice_ids == [world["contested"].pk]


def test_a_case_with_every_overdue_invoice_disputed_is_held(world) -> None:
    _open(world, [world["contested"], world["other"]])
    world["case"].refresh_from_db()
    assert world["case"].on_hold and world["case"].overdue_amount == 0


def test_it_refuses_an_invoice_of_another_debtor(world) -> None:
    stranger = InvoiceFactory(client=world["client"],
                              debtor=DebtorFactory(client=world["client"]))
    with pytest.raises(DomainError) as error:
        _open(world, [stranger])
    assert error.value.field == "invoices"
    assert not Dispute.objects.exists()


def test_upheld_issues_the_credit_note_and_closes_the_hold(world) -> None:
    dispute = _open(world)

    dispute = disputes.dispute_resolve(dispute=dispute, by=world["leader"],
                                       outcome="upheld", note="Carrier confirmed the damage.",
                                       now=AT + dt.timedelta(hours=1))

    note = CreditNote.objects.get(invoice=world["contested"])
    world["contested"].refresh_from_db()
    assert (note.amount, dispute.credit_note) == (Decimal("300.00"), note)
    assert (world["contested"].open_balance, world["contested"].status) == (0, "paid")
    assert (dispute.status, dispute.resolved_by) == ("upheld", world["leader"])
    assert dispute.hold_id is not None
    assert ContactHold.objects.get(pk=dispute.hold_id).released_at is not None
    assert not DisputedInvoice.objects.filter(is_open=True).exists()
    assert "hold.dispute" not in _denied_rules(world, world["contested"])


def test_rejected_sends_the_invoices_back_to_collection(world) -> None:
    dispute = _open(world)
    disputes.dispute_resolve(dispute=dispute, by=world["leader"], outcome="rejected",
                             note="Delivery note signed without reserve.",
                             now=AT + dt.timedelta(hours=1))
    world["contested"].refresh_from_db()
    world["case"].refresh_from_db()
    assert world["contested"].status == Invoice.Status.OPEN
    assert world["case"].overdue_amount == Decimal("500.00")
    assert not CreditNote.objects.exists()
    assert "hold.dispute" not in _denied_rules(world, world["contested"])


def test_only_a_second_level_user_resolves_a_dispute(world) -> None:
    dispute = _open(world)
    with pytest.raises(DomainError) as error:
        disputes.dispute_resolve(dispute=dispute, by=world["agent"], outcome="upheld",
                                 note="I think so", now=AT)
    assert error.value.code == "forbidden"
    dispute.refresh_from_db()
    assert dispute.status == "open"
    # An agent with the second-level skill may.
    AgentSkillsFactory(user=world["agent"], second_level=True)
    agent = type(world["agent"]).objects.get(pk=world["agent"].pk)
    disputes.dispute_resolve(dispute=dispute, by=agent, outcome="rejected", note="No proof.",
                             now=AT)


def test_a_resolution_needs_a_note_and_happens_once(world) -> None:
    dispute = _open(world)
    with pytest.raises(DomainError):
        disputes.dispute_resolve(dispute=dispute, by=world["leader"], outcome="upheld",
                                 note="  ", now=AT)
    disputes.dispute_resolve(dispute=dispute, by=world["leader"], outcome="rejected",
                             note="No proof.", now=AT)
    with pytest.raises(DomainError) as error:
        disputes.dispute_resolve(dispute=dispute, by=world["leader"], outcome="upheld",
                                 note="Changed my mind.", now=AT)
    assert error.value.code == "illegal_transition"


def test_an_outsider_from_another_client_cannot_resolve(world) -> None:
    dispute = _open(world)
    outsider = user_with_role(Role.TEAM_LEADER, clients=(ClientFactory(),))
    with pytest.raises(DomainError) as error:
        disputes.dispute_resolve(dispute=dispute, by=outsider, outcome="upheld", note="x",
                                 now=timezone.now())
    assert error.value.code == "forbidden"
