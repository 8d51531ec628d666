"""CSV and XLSX downloads of the portal's tables, streamed so that a 100,000-debtor portfolio
never sits in memory.

- CSV: a generator writes one chunk of rows at a time through `csv.writer` into a
  StreamingHttpResponse; rows come from the database with `.iterator(chunk_size=...)` (a server
  cursor on PostgreSQL).
- XLSX: openpyxl's write-only workbook streams rows into its temporary XML parts; the finished
  file is sent in chunks by FileResponse (a StreamingHttpResponse) and deleted when closed.
- Formula-safe cells (OWASP "CSV injection"): a text cell starting with = + - @, a tab or a
  carriage return is prefixed with an apostrophe, so a spreadsheet shows it as text instead of
  running it. Numbers and dates stay numbers and dates.
- Headers are the reader's language (the active translation when the export is asked for);
  values are machine-readable: ISO dates, amounts with a decimal point and their currency in
  a column of their own.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify

# Rows per database round trip and per chunk written to the response: about 100 kB of CSV.
CHUNK_ROWS = 1000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def formula_safe(value: object) -> object:
    """A text cell a spreadsheet would read as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    """A table to export: a file name, localised headers and an iterable of row tuples."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Every Decimal in the portal's tables is money: two decimals, whatever scale the
        # database's SUM gave back (SQLite drops trailing zeros).
        return f"{value:.2f}"
    return formula_safe(value)


class _Echo:
    """A file-like object whose write returns what it was given (csv.writer's target)."""

    def write(self, value: str) -> str:
        return value


def _csv_chunks(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark so that Excel opens the UTF-8 file with its accents intact.
    yield "\ufeff" + writer.writerow([formula_safe(str(h)) for h in table.headers])
    chunk: list[str] = []
    for row in table.rows:
        chunk.append(writer.writerow([_csv_value(value) for value in row]))
        if len(chunk) >= CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _xlsx_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the wall time where the reader is (the active zone).
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) \
            else value
    if isinstance(value, Decimal | int | float | dt.date) or value is None:
        return value
    return formula_safe(str(value))


def _xlsx_file(table: Table) -> Any:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    # Excel refuses these characters in a sheet's title, and titles longer than 31.
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", table.name)[:31]
                                  or "export")
    sheet.append([formula_safe(str(h)) for h in table.headers])
    for row in table.rows:
        sheet.append([_xlsx_value(value) for value in row])
    # Spooled: small files stay in memory, large ones go to disk; closed (and removed) by
    # FileResponse when the response is sent.
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def export_response(table: Table, fmt: str) -> StreamingHttpResponse:
    """The table as a streamed download in `fmt` ("csv" or "xlsx")."""
    filename = f"{slugify(table.name) or 'export'}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_chunks(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if fmt == "xlsx":
        return FileResponse(_xlsx_file(table), as_attachment=True, filename=filename,
                            content_type=XLSX_TYPE)
    raise ValueError(f"unknown export format {fmt!r}")


def rows_of(queryset: Any, row: Callable[[Any], Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """Rows of a queryset read in chunks (a server-side cursor on PostgreSQL)."""
    for item in queryset.iterator(chunk_size=CHUNK_ROWS):
        yield row(item)
