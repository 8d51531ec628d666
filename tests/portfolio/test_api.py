import datetime as dt
from decimal import Decimal
from typing import cast

import pytest
from rest_framework.test import APIClient

from access.roles import Role
from portfolio import services
from portfolio.models import CreditNote, Debtor, Invoice, Payment, PaymentReversal
from tests.factories import DebtorFactory, InvoiceFactory, user_with_role

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_an_agent_sets_do_not_call_and_who_and_when_are_recorded(personas):
    debtor = DebtorFactory(client=personas.client_a)

    response = _api(personas.agent).post(f"/api/v1/debtors/{debtor.pk}/flags/",
                                         {"flag": "do_not_call", "value": True}, format="json")

    assert response.status_code == 200, response.content
    debtor.refresh_from_db()
    assert debtor.do_not_call is True
    assert debtor.do_not_call_set_by == personas.agent
    assert debtor.do_not_call_set_at is not None


def test_a_client_viewer_cannot_set_flags(personas):
    debtor = DebtorFactory(client=personas.client_a)

    response = _api(personas.viewer_a).post(f"/api/v1/debtors/{debtor.pk}/flags/",
                                            {"flag": "do_not_call", "value": True}, format="json")

    assert response.status_code == 403
    assert Debtor.objects.get(pk=debtor.pk).do_not_call is False


def test_a_credit_manager_issues_a_credit_note_that_lowers_the_balance(personas):
    invoice = InvoiceFactory(debtor=DebtorFactory(client=personas.client_a),
                             amount=Decimal("100.00"))

    response = _api(personas.credit_manager).post("/api/v1/credit-notes/", {
        "invoice": invoice.pk, "number": "NC-1", "amount": "30.00",
        "issue_date": "2026-02-01", "reason": "price error"}, format="json")

    assert response.status_code == 201, response.content
    invoice.refresh_from_db()
    assert (invoice.open_balance, invoice.status) == (Decimal("70.00"),
                                                      Invoice.Status.PARTIALLY_PAID)


def test_a_credit_note_above_the_balance_is_refused_by_name(personas):
    invoice = InvoiceFactory(debtor=DebtorFactory(client=personas.client_a),
                             amount=Decimal("10.00"))

    response = _api(personas.credit_manager).post("/api/v1/credit-notes/", {
        "invoice": invoice.pk, "number": "NC-1", "amount": "30.00",
        "issue_date": "2026-02-01"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "amount"
    assert CreditNote.objects.count() == 0


def test_an_invoice_for_another_clients_debtor_is_refused(personas):
    theirs = DebtorFactory(client=personas.client_b)

    response = _api(personas.credit_manager).post("/api/v1/invoices/", {
        "debtor": theirs.pk, "number": "X-1", "issue_date": "2026-01-01",
        "due_date": "2026-01-31", "amount": "10.00"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_debtor"
    assert not Invoice.objects.exists()


def test_posting_the_same_payment_twice_records_it_once(personas):
    debtor = DebtorFactory(client=personas.client_a)
    InvoiceFactory(debtor=debtor, amount=Decimal("100.00"), due_date=dt.date(2026, 1, 31))
    body = {"debtor": debtor.pk, "external_ref": "BANK-1", "amount": "60.00",
            "value_date": "2026-02-01"}
    api = _api(personas.credit_manager)

    first = api.post("/api/v1/payments/", body, format="json")
    second = api.post("/api/v1/payments/", body, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert Invoice.objects.get().open_balance == Decimal("40.00")


def test_an_agent_cannot_create_invoices(personas):
    debtor = DebtorFactory(client=personas.client_a)

    response = _api(personas.agent).post("/api/v1/invoices/", {
        "debtor": debtor.pk, "number": "X-1", "issue_date": "2026-01-01",
        "due_date": "2026-01-31", "amount": "10.00"}, format="json")

    assert response.status_code == 403


def _paid_invoice(client) -> tuple[Invoice, Payment]:
    debtor = cast(Debtor, DebtorFactory(client=client))
    invoice = cast(Invoice, InvoiceFactory(debtor=debtor, amount=Decimal("100.00"),
                                           due_date=dt.date(2026, 1, 31)))
    payment, _ = services.payment_record(client=client, debtor=debtor, external_ref="SDD-9",
                                         amount=Decimal("100.00"), value_date=dt.date(2026, 2, 3))
    return invoice, payment


def test_a_credit_manager_reverses_a_bounced_payment_and_the_invoice_reopens(personas):
    invoice, payment = _paid_invoice(personas.client_a)

    response = _api(personas.credit_manager).post(
        f"/api/v1/payments/{payment.pk}/reverse/",
        {"booked_on": "2026-02-10", "reason": "bounced", "note": "R01 insufficient funds"},
        format="json")

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "100.00" and response.json()["reason"] == "bounced"
    invoice.refresh_from_db()
    assert (invoice.open_balance, invoice.status) == (Decimal("100.00"), "open")


@pytest.mark.parametrize(("who", "expected"), [("agent", 403), ("viewer_a", 403),
                                               ("manager_b", 404)])
def test_only_the_ledgers_owners_reverse_a_payment(personas, who, expected):
    invoice, payment = _paid_invoice(personas.client_a)
    user = (user_with_role(Role.CREDIT_MANAGER, clients=(personas.client_b,))
            if who == "manager_b" else getattr(personas, who))

    response = _api(user).post(
        f"/api/v1/payments/{payment.pk}/reverse/", {"booked_on": "2026-02-10",
                                                    "reason": "bounced"}, format="json")

    assert response.status_code == expected
    assert not PaymentReversal.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_a_reversal_with_an_unknown_reason_is_refused_naming_the_field(personas):
    _invoice, payment = _paid_invoice(personas.client_a)

    response = _api(personas.credit_manager).post(
        f"/api/v1/payments/{payment.pk}/reverse/", {"booked_on": "2026-02-10",
                                                    "reason": "lost"}, format="json")

    assert response.status_code == 400
    assert "reason" in response.content.decode()
    assert not PaymentReversal.objects.exists()
