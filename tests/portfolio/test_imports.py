"""Portfolio imports through the service layer: previews, all-or-nothing commits, natural keys,
and a clear message for every bad file or row."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal

import pytest
from openpyxl import Workbook

from access.errors import DomainError
from portfolio.imports import services
from portfolio.models import ContactPoint, Debtor, ImportJob, Invoice, Payment
from tests.factories import ClientFactory, DebtorFactory, InvoiceFactory
from tests.portfolio.imports_helpers import (
    INVOICE_HEADER,
    PAYMENT_HEADER,
    check,
    check_and_commit,
    csv_bytes,
    debtor_row,
    debtors_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_with_debtors():
    client = ClientFactory()
    DebtorFactory(client=client, external_ref="C1")
    DebtorFactory(client=client, external_ref="C2")
    return client


def _xlsx(sheets: Mapping[str, Sequence[Sequence[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _only_error(job: ImportJob) -> dict:
    assert job.status == ImportJob.Status.REJECTED
    assert job.error_count == 1, job.errors
    return job.errors[0]


# --- Previews and commits -------------------------------------------------------------------

def test_the_preview_counts_rows_to_create_update_and_leave_unchanged_and_writes_nothing(
        client_with_debtors):
    client = client_with_debtors
    debtor = Debtor.objects.get(external_ref="C1")
    InvoiceFactory(client=client, debtor=debtor, number="I1", issue_date=dt.date(2026, 1, 1),
                   due_date=dt.date(2026, 1, 31), amount=Decimal("100.00"))
    InvoiceFactory(client=client, debtor=debtor, number="I2", issue_date=dt.date(2026, 1, 1),
                   due_date=dt.date(2026, 1, 31), amount=Decimal("100.00"))

    job = check(client, "invoices", csv_bytes(
        INVOICE_HEADER,
        "I1,C1,2026-01-01,2026-01-31,100.00",  # unchanged
        "I2,C1,2026-01-01,2026-02-28,100.00",  # due date moved: updated
        "I3,C2,2026-01-05,2026-02-04,250.50",  # new
    ))

    assert job.status == ImportJob.Status.VALIDATED
    assert (job.rows_total, job.to_create, job.to_update, job.unchanged, job.error_count) == \
        (3, 1, 1, 1, 0)
    assert not Invoice.objects.filter(number="I3").exists()
    assert Invoice.objects.get(number="I2").due_date == dt.date(2026, 1, 31)


def test_a_commit_writes_every_row_in_the_clients_currency(client_with_debtors):
    client = client_with_debtors

    job = check_and_commit(client, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00", "I2,C2,2026-01-01,2026-01-31,7"))

    assert job.status == ImportJob.Status.COMMITTED
    assert job.to_create == 2
    invoices = {i.number: i for i in Invoice.objects.filter(client=client)}
    assert invoices["I2"].amount == Decimal("7.00")
    assert invoices["I2"].open_balance == Decimal("7.00")
    assert {i.currency for i in invoices.values()} == {client.currency}
    assert invoices["I1"].debtor.external_ref == "C1"
    assert job.checked_files == {}


def test_importing_the_same_file_twice_changes_nothing(client_with_debtors):
    content = csv_bytes(INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00",
                        "I2,C2,2026-01-01,2026-01-31,50.00")
    check_and_commit(client_with_debtors, "invoices", content)
    before = list(Invoice.objects.order_by("id").values_list("id", "updated_at", "amount"))

    job = check_and_commit(client_with_debtors, "invoices", content)

    assert (job.to_create, job.to_update, job.unchanged) == (0, 0, 2)
    assert list(Invoice.objects.order_by("id").values_list("id", "updated_at", "amount")) == before


def test_a_later_file_updates_by_invoice_number(client_with_debtors):
    check_and_commit(client_with_debtors, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00"))

    job = check_and_commit(client_with_debtors, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C2,2026-01-02,2026-03-31,120.00"))

    assert (job.to_create, job.to_update) == (0, 1)
    invoice = Invoice.objects.get(number="I1")
    assert (invoice.debtor.external_ref, invoice.due_date, invoice.amount,
            invoice.open_balance) == ("C2", dt.date(2026, 3, 31), Decimal("120.00"),
                                      Decimal("120.00"))


def test_an_update_keeps_what_was_paid_and_refuses_an_amount_below_it(client_with_debtors):
    client = client_with_debtors
    check_and_commit(client, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00"))
    check_and_commit(client, "payments", csv_bytes(
        PAYMENT_HEADER, "P1,C1,2026-02-01,60.00,bank_transfer,I1"))

    raised = check_and_commit(client, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,150.00"))
    invoice = Invoice.objects.get(number="I1")
    assert raised.status == ImportJob.Status.COMMITTED
    assert (invoice.amount, invoice.open_balance, invoice.status) == \
        (Decimal("150.00"), Decimal("90.00"), Invoice.Status.PARTIALLY_PAID)

    job = check(client, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,50.00"))

    error = _only_error(job)
    assert (error["line"], error["column"]) == (2, "amount")
    assert "below the 60.00 already paid" in error["message"]
    assert Invoice.objects.get(number="I1").amount == Decimal("150.00")


def test_one_bad_row_means_nothing_is_written_and_the_job_cannot_be_committed(
        client_with_debtors):
    job = check(client_with_debtors, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00", "I2,C1,2026-01-01,2026-01-31,x"))

    assert job.status == ImportJob.Status.REJECTED
    assert job.to_create == 1  # the preview still counts the good rows
    with pytest.raises(DomainError):
        services.import_job_commit_request(job=job, by=None, run_inline=True)
    assert not Invoice.objects.exists()


def test_a_job_is_committed_once_even_when_asked_twice(client_with_debtors):
    job = check(client_with_debtors, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00"))

    first = services.import_job_commit(job_id=job.pk)
    second = services.import_job_commit(job_id=job.pk)

    assert first is not None and first.status == ImportJob.Status.COMMITTED
    assert second is None
    assert Invoice.objects.count() == 1


def test_the_first_thousand_problems_are_kept_and_all_are_counted(client_with_debtors):
    rows = [f"I{n},C1,2026-01-01,2026-01-31,-1" for n in range(1005)]

    job = check(client_with_debtors, "invoices", csv_bytes(INVOICE_HEADER, *rows))

    assert job.error_count == 1005
    assert len(job.errors) == 1000
    assert job.errors[0]["line"] == 2


# --- Payments -------------------------------------------------------------------------------

def test_payments_are_allocated_and_a_known_reference_is_never_counted_twice(
        client_with_debtors):
    client = client_with_debtors
    check_and_commit(client, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00",
        "I2,C1,2026-01-01,2026-02-28,100.00"))
    content = csv_bytes(PAYMENT_HEADER, "P1,C1,2026-03-01,150.00,bank_transfer,",
                        "P2,C2,2026-03-01,10.00,,")

    job = check_and_commit(client, "payments", content)
    again = check_and_commit(client, "payments", content)

    assert (job.to_create, again.to_create, again.unchanged) == (2, 0, 2)
    assert Payment.objects.count() == 2
    balances = dict(Invoice.objects.values_list("number", "open_balance"))
    assert balances == {"I1": Decimal("0.00"), "I2": Decimal("50.00")}
    assert Payment.objects.get(external_ref="P2").method == "bank_transfer"


def test_a_known_reference_with_another_amount_is_a_rejected_row(client_with_debtors):
    client = client_with_debtors
    check_and_commit(client, "payments", csv_bytes(PAYMENT_HEADER, "P1,C1,2026-03-01,10.00,,"))

    job = check(client, "payments", csv_bytes(PAYMENT_HEADER, "P1,C1,2026-03-01,11.00,,"))

    error = _only_error(job)
    assert error["column"] == "reference"
    assert "already recorded" in error["message"]
    assert Payment.objects.get().amount == Decimal("10.00")


def test_the_invoice_number_column_of_payments_is_optional(client_with_debtors):
    job = check_and_commit(client_with_debtors, "payments", csv_bytes(
        "reference,customer_code,value_date,amount,method", "P1,C1,2026-03-01,10.00,card"))

    assert job.status == ImportJob.Status.COMMITTED
    assert Payment.objects.get().invoice_reference == ""


def test_a_payment_needs_an_amount_above_zero(client_with_debtors):
    job = check(client_with_debtors, "payments", csv_bytes(
        PAYMENT_HEADER, "P1,C1,2026-03-01,0,,"))

    assert _only_error(job)["column"] == "amount"


# --- Debtors --------------------------------------------------------------------------------

def test_debtors_are_normalised_by_the_ledgers_own_rules():
    client = ClientFactory()

    job = check_and_commit(client, "debtors", debtors_csv(
        debtor_row("C1", phone="02 1234567", mobile="347 123 4567", email="A@Example.IT",
                   vat_number="IT00743110157", founded_year="1990", other_exposure="10.50"),
        debtor_row("C2", kind="consumer", country="us", region="CA"),
    ))

    assert job.to_create == 2
    first = Debtor.objects.get(external_ref="C1")
    assert (first.timezone, first.vat_number, first.founded_year, first.other_exposure) == \
        ("Europe/Rome", "00743110157", 1990, Decimal("10.50"))
    points = set(ContactPoint.objects.filter(debtor=first).values_list("channel", "value"))
    assert points == {("phone", "+39021234567"), ("phone", "+393471234567"),
                      ("email", "a@example.it")}
    assert Debtor.objects.get(external_ref="C2").timezone == "America/Los_Angeles"


def test_a_debtors_file_updates_by_customer_code_and_twice_changes_nothing():
    client = ClientFactory()
    check_and_commit(client, "debtors", debtors_csv(debtor_row("C1", city="Milano")))
    content = debtors_csv(debtor_row("C1", city="Monza", phone="02 1234567"))

    job = check_and_commit(client, "debtors", content)
    again = check_and_commit(client, "debtors", content)

    assert (job.to_create, job.to_update) == (0, 1)
    assert (again.to_update, again.unchanged) == (0, 1)
    assert Debtor.objects.get().city == "Monza"
    assert ContactPoint.objects.count() == 1


def test_a_bad_phone_or_vat_number_is_a_rejected_row_naming_its_column():
    client = ClientFactory()

    job = check(client, "debtors", debtors_csv(
        debtor_row("C1", mobile="12"), debtor_row("C2", vat_number="IT123")))

    assert [(e["line"], e["column"]) for e in job.errors] == [(2, "mobile"), (3, "vat_number")]
    assert not Debtor.objects.exists()


# --- Bad files ------------------------------------------------------------------------------

def test_it_refuses_a_file_that_is_not_utf8_and_names_the_line(client_with_debtors):
    content = csv_bytes(INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,1.00").decode() + \
        "I2,C1,2026-01-01,2026-01-31,1.00 Città\n"

    job = check(client_with_debtors, "invoices", content.encode("latin-1"))

    assert job.status == ImportJob.Status.REJECTED
    assert "not UTF-8" in job.message
    assert "line 3" in job.message
    assert not Invoice.objects.exists()


def test_it_accepts_utf8_with_a_bom_and_semicolons(client_with_debtors):
    content = "\ufeff" + INVOICE_HEADER.replace(",", ";") + "\nI1;C1;2026-01-01;2026-01-31;1.00\n"

    job = check(client_with_debtors, "invoices", content.encode("utf-8"))

    assert job.status == ImportJob.Status.VALIDATED
    assert job.to_create == 1


def test_it_names_missing_and_renamed_columns(client_with_debtors):
    job = check(client_with_debtors, "invoices", csv_bytes(
        "invoice_no,customer_code,issue_date,amount", "I1,C1,2026-01-01,1.00"))

    assert job.status == ImportJob.Status.REJECTED
    assert "missing column(s): invoice_number, due_date" in job.message
    assert "unknown column(s): invoice_no" in job.message


@pytest.mark.parametrize(("row", "column", "words"), [
    ("I1,C1,31/01/2026,2026-01-31,1.00", "issue_date", "YYYY-MM-DD"),
    ("I1,C1,2026-01-01,2026-02-30,1.00", "due_date", "not a real date"),
    ("I1,C1,2026-02-01,2026-01-31,1.00", "due_date", "before issue_date"),
    ("I1,C1,2026-01-01,2026-01-31,-5.00", "amount", "zero or more"),
    ("I1,C1,2026-01-01,2026-01-31,abc", "amount", "not a number"),
    ("I1,C1,2026-01-01,2026-01-31,\"1,50\"", "amount", "point"),
    ("I1,C1,2026-01-01,2026-01-31,1.005", "amount", "two decimals"),
    ("I1,C9,2026-01-01,2026-01-31,1.00", "customer_code", "not a debtor"),
    (",C1,2026-01-01,2026-01-31,1.00", "invoice_number", "empty"),
])
def test_it_rejects_a_bad_row_naming_line_column_and_problem(client_with_debtors, row, column,
                                                             words):
    job = check(client_with_debtors, "invoices", csv_bytes(INVOICE_HEADER, row))

    error = _only_error(job)
    assert (error["line"], error["column"]) == (2, column)
    assert words in error["message"]
    assert column in error["message"]


def test_it_rejects_an_invoice_number_twice_in_one_file(client_with_debtors):
    job = check(client_with_debtors, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,1.00", "I1,C2,2026-01-01,2026-01-31,2.00"))

    error = _only_error(job)
    assert (error["line"], error["column"]) == (3, "invoice_number")
    assert "first on line 2" in error["message"]


def test_it_refuses_an_empty_file_and_stores_nothing(client_with_debtors):
    with pytest.raises(DomainError, match="empty"):
        check(client_with_debtors, "invoices", b"")
    assert not ImportJob.objects.exists()

    job = check(client_with_debtors, "invoices", csv_bytes(INVOICE_HEADER))
    assert job.status == ImportJob.Status.REJECTED
    assert "no rows" in job.message


def test_it_refuses_a_file_above_the_size_limit(client_with_debtors, settings):
    settings.IMPORT_MAX_FILE_BYTES = 40

    with pytest.raises(DomainError, match="the limit is 40 bytes"):
        check(client_with_debtors, "invoices", csv_bytes(
            INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,1.00"))
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("content", [
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"PK\x03\x04 a zip archive that is not a workbook",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 legacy xls",
])
def test_it_refuses_a_file_that_is_neither_csv_nor_xlsx(client_with_debtors, content):
    job = check(client_with_debtors, "invoices", content, name="file.bin")

    assert job.status == ImportJob.Status.REJECTED
    assert "CSV" in job.message
    assert not Invoice.objects.exists()


def test_it_reads_an_xlsx_workbook(client_with_debtors):
    content = _xlsx({"Sheet1": [INVOICE_HEADER.split(","),
                                ["I1", "C1", dt.datetime(2026, 1, 1),  # noqa: DTZ001 - Excel dates are naive
                                 "2026-01-31", 100.5]]})

    job = check_and_commit(client_with_debtors, "invoices", content, name="f.xlsx")

    invoice = Invoice.objects.get()
    assert (invoice.issue_date, invoice.amount) == (dt.date(2026, 1, 1), Decimal("100.50"))
    assert job.status == ImportJob.Status.COMMITTED


def test_it_refuses_an_xlsx_with_formulas_and_names_the_cell(client_with_debtors):
    content = _xlsx({"invoices": [INVOICE_HEADER.split(","),
                                  ["I1", "C1", "2026-01-01", "2026-01-31", "=10*2"]]})

    job = check(client_with_debtors, "invoices", content, name="f.xlsx")

    assert job.status == ImportJob.Status.REJECTED
    assert "Cell E2" in job.message and "formula" in job.message


def test_several_sheets_are_refused_unless_one_is_named_after_the_kind(client_with_debtors):
    rows = [INVOICE_HEADER.split(","), ["I1", "C1", "2026-01-01", "2026-01-31", "1.00"]]

    refused = check(client_with_debtors, "invoices", _xlsx({"A": rows, "B": rows}), "f.xlsx")
    chosen = check(client_with_debtors, "invoices", _xlsx({"notes": [["x"]], "Invoices": rows}),
                   "f.xlsx")

    assert refused.status == ImportJob.Status.REJECTED
    assert "2 sheets (A, B)" in refused.message and '"invoices"' in refused.message
    assert (chosen.status, chosen.to_create) == (ImportJob.Status.VALIDATED, 1)


def test_the_templates_are_accepted_as_they_are():
    from portfolio.imports.readers import template_csv, template_xlsx

    client = ClientFactory()
    job = check_and_commit(client, "debtors", template_csv("debtors"))
    assert job.status == ImportJob.Status.COMMITTED, job.errors
    for kind in ("invoices", "payments"):
        assert check(client, kind, template_csv(kind)).status == ImportJob.Status.VALIDATED
        assert check(client, kind, template_xlsx(kind), "t.xlsx").status == \
            ImportJob.Status.VALIDATED


def test_a_commit_checks_again_and_writes_nothing_when_the_ledger_changed_since_the_preview(
        client_with_debtors):
    client = client_with_debtors
    check_and_commit(client, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00"))
    job = check(client, "invoices", csv_bytes(
        INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,50.00", "I2,C1,2026-01-01,2026-01-31,9"))
    assert job.status == ImportJob.Status.VALIDATED
    # Between the preview and the commit, a payment of 60 settles part of I1.
    check_and_commit(client, "payments", csv_bytes(PAYMENT_HEADER, "P1,C1,2026-02-01,60,,I1"))

    job = services.import_job_commit_request(job=job, by=None, run_inline=True)

    assert job.status == ImportJob.Status.REJECTED
    assert job.errors[0]["column"] == "amount"
    assert "60.00 already paid" in job.errors[0]["message"]
    assert not Invoice.objects.filter(number="I2").exists()
    assert Invoice.objects.get(number="I1").amount == Decimal("100.00")
