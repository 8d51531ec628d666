"""The portal's downloads: CSV and XLSX content, localised headers, formula-safe cells, streaming,
and never another client's rows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from insights import exports
from insights.portal_views import EXPORTS
from portfolio.models import Debtor
from tests.factories import DebtorFactory
from tests.insights.conftest import AS_OF

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response) -> list[list[str]]:
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _xlsx(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("value", ["=1+1", "+39 02 123", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_is_made_text(value):
    assert exports.formula_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Rossi", "a=b", "", Decimal("-12.50"), -3, None])
def test_other_cells_are_left_alone(value):
    assert exports.formula_safe(value) == value


def test_the_debtor_csv_has_the_clients_rows_and_balances(client, personas, book):
    client.force_login(personas.viewer_a)

    response = client.get(reverse("insights:portal_debtors_csv"), {"as_of": AS_OF.isoformat()})

    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="debtors.csv"'
    header, *rows = _csv(response)
    assert header == ["Customer code", "Debtor", "City", "Currency", "Open balance", "Overdue"]
    assert ["ROSSI", "Idraulica Rossi S.r.l.", "Milano", "EUR", "600.00", "500.00"] in rows
    assert ["VERDI", "Verdi Costruzioni S.p.A.", "", "EUR", "1000.00", "0.00"] in rows
    assert not any("BIANCHI" in cell for row in rows for cell in row)


def test_the_export_applies_the_pages_filters(client, personas, book):
    client.force_login(personas.viewer_a)

    _header, *rows = _csv(client.get(reverse("insights:portal_debtors_csv"),
                                     {"status": "disputed"}))

    assert [row[0] for row in rows] == ["VERDI"]


def test_headers_are_in_the_readers_language(client, personas, book):
    client.force_login(personas.viewer_a)

    header, *_rows = _csv(client.get("/it" + reverse("insights:portal_debtors_csv")))

    assert header[:2] == ["Codice cliente", "Debitore"]


def test_the_xlsx_has_typed_cells_and_formula_safe_text(client, personas, book):
    DebtorFactory(client=personas.client_a, name="=HYPERLINK(\"http://evil\")",
                  external_ref="@EVIL")
    client.force_login(personas.viewer_a)

    response = client.get(reverse("insights:portal_debtors_xlsx"), {"as_of": AS_OF.isoformat()})

    assert response.streaming
    assert response["Content-Type"] == exports.XLSX_TYPE
    header, *rows = _xlsx(response)
    assert header[:2] == ("Customer code", "Debtor")
    by_code = {row[0]: row for row in rows}
    assert by_code["ROSSI"][4] == 600  # a number, not text
    assert by_code["'@EVIL"][1] == "'=HYPERLINK(\"http://evil\")"
    assert "BIANCHI" not in by_code


def test_the_csv_escapes_formulas_too(client, personas):
    DebtorFactory(client=personas.client_a, name="+cmd|' /C calc'!A0", external_ref="-X1")
    client.force_login(personas.viewer_a)

    _header, *rows = _csv(client.get(reverse("insights:portal_debtors_csv")))

    assert rows == [["'-X1", "'+cmd|' /C calc'!A0", "", "EUR", "0.00", "0.00"]]


@pytest.mark.parametrize("table", list(EXPORTS))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_table_exports_only_the_clients_own_rows(client, personas, book, table, fmt):
    client.force_login(personas.viewer_b)
    url = reverse(f"insights:portal_{table}_{fmt}")

    response = client.get(url, {"as_of": AS_OF.isoformat()})
    mine = response.status_code
    theirs = client.get(url, {"client": personas.client_a.pk})

    assert mine == 200
    assert theirs.status_code == 404
    rows = _xlsx(response) if fmt == "xlsx" else _csv(response)
    text = repr(rows)
    for marker in ("ROSSI", "VERDI", "Idraulica", "1600", "600.00", "120.00", "150.00"):
        assert marker not in text, marker


def test_the_agreement_exports_hold_their_rows(client, personas, book):
    client.force_login(personas.viewer_a)

    _h, *promises = _csv(client.get(reverse("insights:portal_promises_csv")))
    _h, *plans = _csv(client.get(reverse("insights:portal_plans_csv")))
    _h, *disputes = _csv(client.get(reverse("insights:portal_disputes_csv")))
    _h, *aging = _csv(client.get(reverse("insights:portal_aging_csv"),
                                 {"as_of": AS_OF.isoformat()}))
    _h, *months = _csv(client.get(reverse("insights:portal_months_csv"),
                                  {"as_of": AS_OF.isoformat()}))

    assert sorted((row[0], row[3]) for row in promises) == [("ROSSI", "120.00"),
                                                            ("VERDI", "80.00")]
    assert [(row[0], row[2], row[3]) for row in plans] == [("VERDI", "Active", "1000.00")]
    assert [(row[0], row[3], row[5]) for row in disputes] == [("VERDI", "Open", "1000.00")]
    assert aging == [["EUR", "100.00", "0.00", "300.00", "200.00", "0.00", "0.00", "0.00",
                      "1000.00", "1600.00", "4"]]
    assert months[-1] == ["2026-03", "EUR", "150.00", "4", "25.0", months[-1][5],
                          months[-1][6]]
    assert len(months) == 12


def test_the_debtor_invoices_export_names_only_the_clients_own_debtor(client, personas, book):
    client.force_login(personas.viewer_a)

    _h, *rows = _csv(client.get(reverse("insights:portal_debtor_invoices_csv",
                                        args=[book.rossi.pk]), {"as_of": AS_OF.isoformat()}))
    other = client.get(reverse("insights:portal_debtor_invoices_csv", args=[book.bianchi.pk]))

    assert [(row[0], row[3]) for row in rows] == [("A-3", "73"), ("A-2", "33"), ("A-1", "0")]
    assert other.status_code == 404


def test_a_big_export_streams_in_chunks(client, personas, django_assert_max_num_queries):
    """2,500 debtors: the CSV arrives in several chunks, with a fixed number of queries per
    chunk of 1,000 debtors (their rows and their balances), never one per debtor."""
    Debtor.objects.bulk_create([
        Debtor(client=personas.client_a, external_ref=f"BIG{n:05d}", kind="business",
               name=f"Big {n:05d}", country="IT", timezone="Europe/Rome")
        for n in range(2500)])
    client.force_login(personas.viewer_a)

    response = client.get(reverse("insights:portal_debtors_csv"))
    with django_assert_max_num_queries(12):
        chunks = list(response.streaming_content)

    assert len(chunks) >= 3
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode().removeprefix("\ufeff"))))
    assert len(rows) == 2501
    assert rows[1][0] == "BIG00000" and rows[-1][0] == "BIG02499"


def test_an_unknown_filter_refuses_the_export(client, personas):
    client.force_login(personas.viewer_a)

    response = client.get(reverse("insights:portal_promises_csv"), {"status": "nope"})

    assert response.status_code == 400
