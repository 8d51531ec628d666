import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from portfolio.models import CreditNote, Debtor, Invoice
from tests.factories import DebtorFactory, InvoiceFactory

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
