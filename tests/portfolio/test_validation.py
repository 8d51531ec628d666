"""One set of rules for every write: the API and the imports refuse the same values, naming the
field and the problem, in English or Italian (portfolio.validation)."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from portfolio.messages import message_text
from portfolio.models import ContactPoint, Debtor, ImportJob, Invoice
from tests.factories import DebtorFactory, InvoiceFactory
from tests.portfolio.imports_helpers import (
    INVOICE_HEADER,
    PAYMENT_HEADER,
    check,
    csv_bytes,
    debtor_row,
    debtors_csv,
)

pytestmark = pytest.mark.django_db

LONG_EMAIL = "a" * 5000 + "@example.com"


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _debtor_body(client, **values):
    return {"client": client.pk, "external_ref": "C100", "name": "Rossi S.r.l.",
            "kind": "business", "country": "IT", **values}


def _only_error(job: ImportJob) -> dict:
    assert job.status == ImportJob.Status.REJECTED, job.errors
    assert job.error_count == 1, job.errors
    return job.errors[0]


# --- The same refusal through the API and through an import ---------------------------------

@pytest.mark.parametrize(("values", "field", "words"), [
    ({"emails": [LONG_EMAIL]}, "email", "at most 254"),
    ({"emails": ["not-an-address"]}, "email", "not an e-mail address"),
    ({"country": "ZZ"}, "country", "ISO 3166-1"),
    ({"country": "I1"}, "country", "ISO 3166-1"),
])
def test_the_api_refuses_a_bad_debtor_naming_the_field(personas, values, field, words):
    response = _api(personas.credit_manager).post(
        "/api/v1/debtors/", _debtor_body(personas.client_a, **values), format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["field"]
    assert words in error["message"]
    assert not Debtor.objects.filter(external_ref="C100").exists()


def test_updating_a_debtor_with_a_5000_character_email_is_a_400_and_changes_nothing(personas):
    api = _api(personas.credit_manager)
    assert api.post("/api/v1/debtors/", _debtor_body(personas.client_a),
                    format="json").status_code == 201

    response = api.post("/api/v1/debtors/", _debtor_body(
        personas.client_a, name="Renamed", emails=[LONG_EMAIL]), format="json")

    assert response.status_code == 400
    assert Debtor.objects.get(external_ref="C100").name == "Rossi S.r.l."
    assert not ContactPoint.objects.filter(channel="email").exists()


@pytest.mark.parametrize(("cells", "column", "words"), [
    ({"email": LONG_EMAIL}, "email", "at most 254"),
    ({"email": "not-an-address"}, "email", "not an e-mail address"),
    ({"country": "ZZ"}, "country", "ISO 3166-1"),
])
def test_an_import_refuses_the_same_debtor_values_naming_the_column(personas, cells, column,
                                                                    words):
    job = check(personas.client_a, "debtors", debtors_csv(debtor_row("C100", **cells)))

    error = _only_error(job)
    assert error["column"] == column
    assert words in error["message"]


AMOUNTS = [
    ("1e5", "scientific notation"),
    ("1E+5", "scientific notation"),
    ("NaN", "not a number"),
    ("Infinity", "not a number"),
    ("1.005", "two decimals"),
    ("1000000000000.00", "too large"),
]
DATES = [
    ("0001-01-01", "outside the accepted dates"),
    ("9999-12-31", "outside the accepted dates"),
    ("1899-12-31", "outside the accepted dates"),
    ("2101-01-01", "outside the accepted dates"),
]


@pytest.mark.parametrize(("amount", "words"), AMOUNTS)
def test_the_api_refuses_an_amount_that_is_not_plain_money(personas, amount, words):
    debtor = DebtorFactory(client=personas.client_a)

    response = _api(personas.credit_manager).post("/api/v1/invoices/", {
        "debtor": debtor.pk, "number": "F1", "issue_date": "2026-01-01",
        "due_date": "2026-01-31", "amount": amount}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "amount"
    assert words in response.json()["error"]["message"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(("amount", "words"), AMOUNTS)
def test_an_import_refuses_the_same_amounts(personas, amount, words):
    DebtorFactory(client=personas.client_a, external_ref="C1")

    job = check(personas.client_a, "invoices",
                csv_bytes(INVOICE_HEADER, f"F1,C1,2026-01-01,2026-01-31,{amount}"))

    error = _only_error(job)
    assert error["column"] == "amount"
    assert words in error["message"]


@pytest.mark.parametrize(("day", "words"), DATES)
def test_the_api_refuses_a_date_outside_the_sane_range(personas, day, words):
    debtor = DebtorFactory(client=personas.client_a)

    response = _api(personas.credit_manager).post("/api/v1/payments/", {
        "debtor": debtor.pk, "external_ref": "P1", "amount": "10.00", "value_date": day},
        format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == "value_date"
    assert words in response.json()["error"]["message"]


@pytest.mark.parametrize(("day", "words"), DATES)
def test_an_import_refuses_the_same_dates(personas, day, words):
    DebtorFactory(client=personas.client_a, external_ref="C1")

    job = check(personas.client_a, "payments",
                csv_bytes(PAYMENT_HEADER, f"P1,C1,{day},10.00,bank_transfer,"))

    error = _only_error(job)
    assert error["column"] == "value_date"
    assert words in error["message"]


def test_a_credit_note_with_a_too_long_reason_is_refused_by_name(personas):
    invoice = InvoiceFactory(debtor=DebtorFactory(client=personas.client_a))

    response = _api(personas.credit_manager).post("/api/v1/credit-notes/", {
        "invoice": invoice.pk, "number": "NC1", "amount": "1.00", "issue_date": "2026-02-01",
        "reason": "x" * 201}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "reason"


def test_a_row_id_beyond_bigint_is_a_400_not_an_overflow(personas):
    response = _api(personas.credit_manager).post("/api/v1/invoices/", {
        "debtor": 10**30, "number": "F1", "issue_date": "2026-01-01",
        "due_date": "2026-01-31", "amount": "1.00"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "debtor"


# --- In Italian --------------------------------------------------------------------------------

def test_the_api_names_the_problem_in_italian(personas):
    debtor = DebtorFactory(client=personas.client_a)

    response = _api(personas.credit_manager).post("/api/v1/invoices/", {
        "debtor": debtor.pk, "number": "F1", "issue_date": "2026-01-01",
        "due_date": "2026-01-31", "amount": "1e5"}, format="json", HTTP_ACCEPT_LANGUAGE="it")

    assert response.status_code == 400
    assert "notazione scientifica" in response.json()["error"]["message"]


def test_an_import_names_the_problem_in_italian(personas):
    DebtorFactory(client=personas.client_a, external_ref="C1")

    with translation.override("it"):
        job = check(personas.client_a, "invoices",
                    csv_bytes(INVOICE_HEADER, "F1,C1,0001-01-01,2026-01-31,1.00"))

    # The problem is kept in English with its msgid (the API shows the English) and reads in
    # Italian wherever an Italian reader sees it.
    problem = _only_error(job)
    assert "is outside the accepted dates" in problem["message"]
    with translation.override("it"):
        assert "fuori dalle date accettate" in message_text(problem)
