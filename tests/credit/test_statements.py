"""Financial statements: entered or imported all-or-nothing, suspicious figures flagged."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from access.errors import DomainError
from credit import services
from credit.models import FinancialStatement
from tests.factories import DebtorFactory

pytestmark = pytest.mark.django_db

GOOD = {"revenue": "1000000", "ebitda": "150000", "net_income": "60000", "equity": "400000",
        "total_debt": "300000", "current_assets": "500000", "current_liabilities": "250000",
        "cash": "100000", "inventory": "150000", "interest_expense": "20000"}
HEADER = ["debtor", "fiscal_year", *GOOD]


def _codes(statement):
    return {flag["code"] for flag in statement.flags}


def test_a_full_span_of_sound_statements_has_no_flags(personas, debtor):
    for year in (2023, 2024, 2025):
        statement = services.financial_statement_save(debtor=debtor, fiscal_year=year,
                                                      figures=GOOD, by=personas.credit_manager)

    assert statement.flags == []
    assert statement.entered_by == personas.credit_manager


def test_it_flags_totals_that_do_not_add_up_negative_equity_and_a_missing_year(personas, debtor):
    services.financial_statement_save(debtor=debtor, fiscal_year=2023, figures=GOOD,
                                      by=personas.credit_manager)
    odd = {**GOOD, "current_assets": "200000", "equity": "-50000"}

    statement = services.financial_statement_save(debtor=debtor, fiscal_year=2025, figures=odd,
                                                  by=personas.credit_manager)

    assert _codes(statement) == {"current_assets_below_parts", "negative_equity",
                                 "missing_year"}
    missing = next(flag for flag in statement.flags if flag["code"] == "missing_year")
    assert "2024" in missing["message"] and "2023-2025" in missing["message"]

    services.financial_statement_save(debtor=debtor, fiscal_year=2024, figures=GOOD,
                                      by=personas.credit_manager)
    statement.refresh_from_db()
    assert "missing_year" not in _codes(statement)  # flags follow the file, stored, not refused


def test_it_refuses_figures_that_cannot_be_negative(personas, debtor):
    with pytest.raises(DomainError, match=r"revenue -5 cannot be negative"):
        services.financial_statement_save(debtor=debtor, fiscal_year=2025,
                                          figures={**GOOD, "revenue": "-5"},
                                          by=personas.credit_manager)


def test_an_agent_may_not_enter_statements(personas, debtor):
    with pytest.raises(DomainError):
        services.financial_statement_save(debtor=debtor, fiscal_year=2025, figures=GOOD,
                                          by=personas.agent)


def _csv(rows):
    lines = [",".join(HEADER)] + [",".join(map(str, row)) for row in rows]
    return "\n".join(lines).encode()


def test_a_csv_import_is_all_or_nothing_with_line_numbered_errors(personas, debtor):
    ref = debtor.external_ref
    content = _csv([
        [ref, 2024, *GOOD.values()],
        [ref, 2025, "abc", *list(GOOD.values())[1:]],
        ["NOPE", 2025, *GOOD.values()],
        [ref, 2024, *GOOD.values()],
    ])

    with pytest.raises(services.StatementImportError) as refused:
        services.financial_statements_import(client=personas.client_a, name="fs.csv",
                                             content=content, by=personas.credit_manager)

    errors = {(error["line"], error["column"]) for error in refused.value.errors}
    assert errors == {(3, "revenue"), (4, "debtor"), (5, "fiscal_year")}
    assert not FinancialStatement.objects.exists()


def test_a_good_file_imports_every_row_and_flags_them(personas, debtor):
    other = DebtorFactory(client=personas.client_a)
    content = _csv([
        [debtor.external_ref, 2024, *GOOD.values()],
        [debtor.external_ref, 2025, *GOOD.values()],
        [other.external_ref, 2025, *{**GOOD, "equity": "-1"}.values()],
    ])

    statements = services.financial_statements_import(
        client=personas.client_a, name="fs.csv", content=content, by=personas.credit_manager)

    assert len(statements) == 3
    flagged = {statement.debtor_id: _codes(statement) for statement in
               FinancialStatement.objects.filter(fiscal_year=2025)}
    assert flagged[debtor.pk] == {"missing_year"}  # 2023 absent
    assert flagged[other.pk] == {"negative_equity", "missing_year"}
    assert {statement.source for statement in statements} == {"import"}


def test_an_import_cannot_reach_another_clients_debtor(personas):
    theirs = DebtorFactory(client=personas.client_b)

    with pytest.raises(services.StatementImportError) as refused:
        services.financial_statements_import(
            client=personas.client_a, name="fs.csv",
            content=_csv([[theirs.external_ref, 2025, *GOOD.values()]]),
            by=personas.credit_manager)

    assert refused.value.errors[0]["column"] == "debtor"


def test_an_xlsx_file_imports_too(client, personas, debtor):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([debtor.external_ref, 2025, *[float(value) for value in GOOD.values()]])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.name = "fs.xlsx"
    buffer.seek(0)
    client.force_login(personas.credit_manager)

    response = client.post(reverse("credit:statement_import"),
                           {"client": personas.client_a.pk, "file": buffer})

    assert response.status_code == 302
    statement = FinancialStatement.objects.get(debtor=debtor)
    assert statement.revenue == Decimal("1000000.00")


def _workbook(sheets):
    """An XLSX file with one sheet per (title, rows)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import(personas, content):
    return services.financial_statements_import(client=personas.client_a, name="fs",
                                                content=content, by=personas.credit_manager)


def test_a_workbook_of_several_sheets_is_refused_naming_them(personas, debtor):
    content = _workbook([("Notes", [["read me"]]),
                         ("2025", [HEADER, [debtor.external_ref, 2025, *GOOD.values()]])])

    with pytest.raises(DomainError) as refused:
        _import(personas, content)

    assert refused.value.code == "several_sheets"
    assert refused.value.field == "file"
    assert "Notes, 2025" in refused.value.message and '"statements"' in refused.value.message
    assert not FinancialStatement.objects.exists()


def test_the_sheet_named_statements_is_read_from_a_workbook_of_several(personas, debtor):
    content = _workbook([("Notes", [["read me"]]),
                         ("Statements", [HEADER, [debtor.external_ref, 2025, *GOOD.values()]])])

    statements = _import(personas, content)

    assert [statement.fiscal_year for statement in statements] == [2025]


def test_a_repeated_column_is_refused_naming_it(personas, debtor):
    header = [*HEADER, "Revenue"]
    content = "\n".join([",".join(header),
                         ",".join([debtor.external_ref, "2025", *GOOD.values(), "5"])]).encode()

    with pytest.raises(DomainError) as refused:
        _import(personas, content)

    assert refused.value.code == "bad_columns"
    assert "repeated column(s): revenue" in refused.value.message
    assert not FinancialStatement.objects.exists()


def test_a_semicolon_csv_with_a_byte_order_mark_is_read_like_the_ledger(personas, debtor):
    content = "\ufeff" + "\n".join([";".join(HEADER),
                                     ";".join([debtor.external_ref, "2025", *GOOD.values()])])

    statements = _import(personas, content.encode("utf-8"))

    assert statements[0].revenue == Decimal("1000000.00")


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(personas, debtor):
    content = "\n".join([",".join(HEADER),
                         ",".join(["Societ\u00e0", "2025", *GOOD.values()])]).encode("latin-1")

    with pytest.raises(DomainError) as refused:
        _import(personas, content)

    assert refused.value.code == "not_utf8"
    assert "line 2" in refused.value.message


def test_the_import_page_lists_errors_by_line(client, personas, debtor):
    upload = io.BytesIO(_csv([[debtor.external_ref, 2025, "x", *list(GOOD.values())[1:]]]))
    upload.name = "fs.csv"
    client.force_login(personas.credit_manager)

    page = client.post(reverse("credit:statement_import"),
                       {"client": personas.client_a.pk, "file": upload}).content.decode()

    assert "Nothing was imported" in page
    assert "<td>2</td><td>revenue</td>" in page


def test_the_form_saves_a_year_and_shows_its_flags(client, personas, debtor):
    client.force_login(personas.credit_manager)

    response = client.post(reverse("credit:statement_new", args=[debtor.pk]),
                           {"fiscal_year": 2025, **GOOD, "equity": "-10"}, follow=True)

    page = response.content.decode()
    assert "Equity is negative" in page
    assert FinancialStatement.objects.get(debtor=debtor).equity == Decimal("-10.00")
