"""GDPR (SPEC §6): one export per debtor, erasure refused where the law requires keeping the
data (then restricted: no contact, out of the queues), pseudonymisation where it is allowed,
both recorded in the append-only audit."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AuditEvent
from caring.selectors import queue_for_agent
from compliance.engine import can_contact
from compliance.models import ContactHold
from credit.models import CreditLimitRequest
from portfolio import privacy
from portfolio.models import ContactPoint, CreditNote, Debtor, Invoice, Payment
from tests.caring.factories import CourtesyCallFactory
from tests.compliance.factories import debtor_with_phone
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory, PaymentFactory
from tests.scoring.factories import DebtorScoreFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 4)


def _debtor_with_history(client, **kwargs):
    """A debtor with something in every section: contacts, ledger, a call, a decision, a
    credit request and a score."""
    debtor = DebtorFactory(client=client, name="Rossi Mario", tax_code="RSSMRA80A01H501U",
                           city="Milano", **kwargs)
    ContactPointFactory(debtor=debtor, value="+393471234567")
    ContactPointFactory(debtor=debtor, channel="email", value="mario.rossi@example.invalid")
    invoice = InvoiceFactory(debtor=debtor, number="INV-ROSSI-1", amount=Decimal("1200.00"),
                             open_balance=Decimal("1200.00"))
    PaymentFactory(debtor=debtor, external_ref="PAY-ROSSI-1")
    CreditNote.objects.create(client=client, invoice=invoice, number="CN-ROSSI-1",
                              amount=Decimal("10.00"), issue_date=invoice.issue_date,
                              reason="price agreed on the phone")
    CourtesyCallFactory(debtor=debtor, note="Signor Rossi asked for a copy")
    CreditLimitRequest.objects.create(client=client, debtor=debtor, amount=Decimal("5000"),
                                      currency="EUR", justification="Good payer since 2019")
    DebtorScoreFactory(debtor=debtor)
    return debtor


def _paid_long_ago(debtor, *, year=2010):
    InvoiceFactory(debtor=debtor, issue_date=dt.date(year, 1, 1), due_date=dt.date(year, 1, 31),
                   amount=Decimal("300.00"), open_balance=Decimal("0"), status="paid")
    PaymentFactory(debtor=debtor, value_date=dt.date(year, 2, 1), amount=Decimal("300.00"),
                   unallocated_amount=Decimal("0"))


# --- export ------------------------------------------------------------------------------------

def test_the_export_downloads_every_section_of_the_debtors_data(client, personas):
    debtor = _debtor_with_history(personas.client_a)
    client.force_login(personas.credit_manager)

    response = client.post(reverse("portfolio:debtor_export", args=[debtor.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="debtor-{debtor.pk}-data.json"')
    data = json.loads(response.content)
    sections = data["sections"]
    assert {"profile", "contact_points", "invoices", "payments", "credit_notes", "caring",
            "compliance", "credit", "scores"} <= sections.keys()
    assert sections["profile"]["tax_code"] == "RSSMRA80A01H501U"
    assert {p["value"] for p in sections["contact_points"]} == {
        "+393471234567", "mario.rossi@example.invalid"}
    assert sections["invoices"][0]["amount"] == "1200.00"  # money as a string, never a float
    assert sections["payments"][0]["external_ref"] == "PAY-ROSSI-1"
    assert sections["credit_notes"][0]["reason"] == "price agreed on the phone"
    assert sections["caring"]["courtesy_calls"][0]["note"] == "Signor Rossi asked for a copy"
    assert sections["credit"]["requests"][0]["justification"] == "Good payer since 2019"
    assert sections["scores"][0]["band"] == "B"
    event = AuditEvent.objects.get(action="debtor.export")
    assert (event.actor, event.client_id, event.object_id) == (
        personas.credit_manager, personas.client_a.pk, str(debtor.pk))


def test_the_api_export_is_the_same_data(client, personas):
    debtor = _debtor_with_history(personas.client_a)
    client.force_login(personas.admin)

    response = client.get(f"/api/v1/debtors/{debtor.pk}/export/")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response.json()["sections"]["profile"]["name"] == "Rossi Mario"
    assert AuditEvent.objects.filter(action="debtor.export", actor=personas.admin).exists()


def test_a_higher_app_adds_its_section_through_the_registry(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    privacy.privacy_section_register(privacy.PrivacySection(
        key="surveys", export=lambda d: [{"nps": 9, "debtor": d.pk}], order=60))
    try:
        data = privacy.debtor_data_export(debtor=debtor, actor=personas.admin)
    finally:
        privacy._SECTIONS.pop("surveys")

    assert data["sections"]["surveys"] == [{"nps": 9, "debtor": debtor.pk}]


@pytest.mark.parametrize("role", ["agent", "team_leader", "committee", "viewer_a"])
def test_roles_that_do_not_answer_requests_can_neither_export_nor_erase(client, personas, role):
    debtor = DebtorFactory(client=personas.client_a)
    client.force_login(getattr(personas, role))

    web = [client.post(reverse(f"portfolio:debtor_{act}", args=[debtor.pk]), {"confirm": "yes"})
           for act in ("export", "erase")]
    api = [client.get(f"/api/v1/debtors/{debtor.pk}/export/"),
           client.post(f"/api/v1/debtors/{debtor.pk}/erase/")]

    assert [r.status_code for r in web + api] == [403, 403, 403, 403]
    assert not AuditEvent.objects.exists()
    debtor.refresh_from_db()
    assert not debtor.processing_restricted and debtor.erased_at is None


def test_another_clients_debtor_is_not_found(client, personas):
    theirs = _debtor_with_history(personas.client_b)
    client.force_login(personas.credit_manager)  # of client A only

    responses = [client.post(reverse("portfolio:debtor_export", args=[theirs.pk])),
                 client.post(reverse("portfolio:debtor_erase", args=[theirs.pk]),
                             {"confirm": "yes"}),
                 client.get(f"/api/v1/debtors/{theirs.pk}/export/"),
                 client.post(f"/api/v1/debtors/{theirs.pk}/erase/")]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all(b"Rossi" not in r.content for r in responses)
    theirs.refresh_from_db()
    assert theirs.name == "Rossi Mario" and not theirs.processing_restricted


# --- erasure and restriction -------------------------------------------------------------------

def test_erasure_is_refused_while_a_balance_is_open_and_the_debtor_is_restricted(client,
                                                                                  personas):
    debtor = _debtor_with_history(personas.client_a)
    client.force_login(personas.credit_manager)

    response = client.post(reverse("portfolio:debtor_erase", args=[debtor.pk]),
                           {"confirm": "yes"}, follow=True)

    page = response.content.decode()
    assert "Erasure refused" in page
    assert "1,200.00 EUR" in page  # the open balance
    assert 'data-testid="restricted"' in page
    debtor.refresh_from_db()
    assert debtor.processing_restricted and debtor.processing_restricted_by == \
        personas.credit_manager
    assert debtor.name == "Rossi Mario" and debtor.erased_at is None
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "debtor.erasure_refused", "debtor.restrict"}


def test_erasure_is_refused_within_the_retention_period(personas):
    debtor = DebtorFactory(client=personas.client_a)
    _paid_long_ago(debtor, year=2020)

    outcome = privacy.debtor_erase(debtor=debtor, actor=personas.admin, today=TODAY)

    assert not outcome.erased and outcome.restricted
    assert any("10 years" in reason and "2030-02-01" in reason for reason in outcome.reasons)


def test_the_retention_period_is_the_clients_own(personas):
    personas.client_a.retention_years = 5
    personas.client_a.save()
    debtor = DebtorFactory(client=personas.client_a)
    _paid_long_ago(debtor, year=2020)

    outcome = privacy.debtor_erase(debtor=debtor, actor=personas.admin, today=TODAY)

    assert outcome.erased


def test_an_open_dispute_hold_keeps_the_data(personas):
    debtor = DebtorFactory(client=personas.client_a)
    _paid_long_ago(debtor)
    ContactHold.objects.create(client=personas.client_a, debtor=debtor, kind="dispute",
                               starts_at=timezone.now() - dt.timedelta(days=1))

    outcome = privacy.debtor_erase(debtor=debtor, actor=personas.admin, today=TODAY)

    assert not outcome.erased
    assert any("dispute" in reason for reason in outcome.reasons)


def test_erasure_pseudonymises_personal_fields_and_keeps_the_ledger(client, personas):
    debtor = DebtorFactory(client=personas.client_a, name="Bianchi Anna", tax_code="BNCNNA",
                           vat_number="IT123", address_line="Via Roma 1", city="Torino")
    ContactPointFactory(debtor=debtor, value="+393331112223")
    _paid_long_ago(debtor)
    call = CourtesyCallFactory(debtor=debtor, note="Anna will pay", destination="+393331112223")
    client.force_login(personas.admin)

    response = client.post(f"/api/v1/debtors/{debtor.pk}/erase/")

    assert response.status_code == 200
    assert response.json()["outcome"] == "erased" and response.json()["reasons"] == []
    debtor.refresh_from_db()
    assert debtor.name == f"Erased debtor {debtor.pk}"
    assert (debtor.tax_code, debtor.vat_number, debtor.address_line, debtor.city) == \
        ("", "", "", "")
    assert debtor.erased_at is not None
    assert not ContactPoint.objects.filter(debtor=debtor).exists()
    call.refresh_from_db()
    assert (call.note, call.destination) == ("", "")
    # The ledger stays, under the pseudonym.
    assert Invoice.objects.filter(debtor=debtor).count() == 1
    assert Payment.objects.filter(debtor=debtor).count() == 1
    assert AuditEvent.objects.get(action="debtor.erase").actor == personas.admin


def test_the_refusal_is_explained_in_italian(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    InvoiceFactory(debtor=debtor, amount=Decimal("40000.00"), open_balance=Decimal("40000.00"))
    client.force_login(personas.credit_manager)

    response = client.post(f"/it/portfolio/debtors/{debtor.pk}/erase/", {"confirm": "yes"},
                           follow=True)

    page = response.content.decode()
    assert "Cancellazione rifiutata" in page
    assert "40.000,00 EUR" in page


def test_the_erasure_form_needs_the_confirmation(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    client.force_login(personas.credit_manager)

    client.post(reverse("portfolio:debtor_erase", args=[debtor.pk]))

    debtor.refresh_from_db()
    assert not debtor.processing_restricted and not AuditEvent.objects.exists()


def test_a_restricted_debtor_is_never_contacted(personas):
    debtor, phone = debtor_with_phone()
    monday_noon = dt.datetime(2026, 9, 14, 12, tzinfo=ZoneInfo("Europe/Rome"))
    assert can_contact(debtor, "call", phone, monday_noon, record=False).allowed
    privacy.debtor_processing_restrict(debtor=debtor, actor=personas.admin,
                                       reason="Erasure refused")

    decision = can_contact(Debtor.objects.get(pk=debtor.pk), "call", phone, monday_noon,
                           record=False)

    assert not decision.allowed
    assert "hold.restricted" in decision.rule_ids
    assert decision.next_permitted_at is None


def test_a_restricted_debtor_is_out_of_the_agents_queue(personas):
    debtor = DebtorFactory(client=personas.client_a)
    CourtesyCallFactory(debtor=debtor, scheduled_at=timezone.now() - dt.timedelta(hours=1))
    assert queue_for_agent(user=personas.agent).count() == 1

    privacy.debtor_processing_restrict(debtor=debtor, actor=personas.admin, reason="GDPR")

    assert queue_for_agent(user=personas.agent).count() == 0


def test_the_audit_is_append_only(personas):
    debtor = DebtorFactory(client=personas.client_a)
    privacy.debtor_data_export(debtor=debtor, actor=personas.admin)
    event = AuditEvent.objects.get()

    event.action = "something else"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


def test_the_debtor_page_offers_the_actions_to_the_permitted_roles_only(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    url = reverse("portfolio:debtor_detail", args=[debtor.pk])

    client.force_login(personas.credit_manager)
    manager_page = client.get(url).content.decode()
    client.force_login(personas.agent)
    agent_page = client.get(url).content.decode()

    assert reverse("portfolio:debtor_export", args=[debtor.pk]) in manager_page
    assert reverse("portfolio:debtor_erase", args=[debtor.pk]) in manager_page
    assert 'data-testid="privacy"' not in agent_page


def test_the_database_refuses_to_change_an_audit_event(postgres_only, personas):
    from django.db import IntegrityError, connection, transaction

    debtor = DebtorFactory(client=personas.client_a)
    privacy.debtor_data_export(debtor=debtor, actor=personas.admin)
    event = AuditEvent.objects.get()

    for sql in ("UPDATE access_auditevent SET action = 'x' WHERE id = %s",
                "DELETE FROM access_auditevent WHERE id = %s"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    personas.admin.delete()  # the actor may go; the event stays, with the name
    event = AuditEvent.objects.get()
    assert event.actor is None and event.actor_name == "admin_x"
