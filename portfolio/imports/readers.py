"""Stream the rows of an uploaded CSV or XLSX file, one at a time, as lists of strings.

The one reader of every uploaded table: the ledger import (`rows_open`, columns from
portfolio/imports/columns.py), credit's financial statements and experience's market studies
(`table_open` with their own `TableShape`), so that encoding, delimiter, sheet and header rules
are the same wherever a user uploads a file.

Nothing here holds the whole file: CSV goes through an incremental UTF-8 decoder and the csv
module, XLSX through openpyxl's read-only mode. File-level problems (not CSV/XLSX, not UTF-8,
wrong columns, formulas, several sheets, empty) raise DomainError with field="file" and a
sentence that says what to fix.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from access.errors import DomainError
from portfolio.imports.columns import COLUMNS
from portfolio.messages import N_ as _
from portfolio.messages import joined

SNIFF_BYTES = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and .doc …)
# csv refuses fields above its limit (128 KiB); no documented column needs more than this.
csv.field_size_limit(1024 * 1024)


def _refuse(message: str, code: str = "bad_file") -> DomainError:
    return DomainError(message, code=code, field="file")


@dataclass
class RowStream:
    """A file's rows: `positions` maps each documented column to its index in a row, `rows`
    yields (line number, values) with values as stripped strings, `total` is an estimate of
    the number of data rows (for progress)."""

    file_format: str
    positions: dict[str, int]
    rows: Iterator[tuple[int, list[str]]]
    total: int


@dataclass(frozen=True)
class TableShape:
    """The columns a table's first row must name.

    `kind` names the table in messages ("invoices", "statements") and is the sheet read from a
    workbook with several. `aliases` maps other header names a file often uses to ours; the
    header is compared in lower case, after the aliases.
    """

    kind: str
    columns: tuple[str, ...]
    required: frozenset[str]
    aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, kind: str, columns: Iterable[str], *, required: Iterable[str] | None = None,
           aliases: Mapping[str, str] | None = None) -> TableShape:
        """A shape whose columns are all required unless `required` names some."""
        names = tuple(columns)
        return cls(kind=kind, columns=names,
                   required=frozenset(names if required is None else required),
                   aliases=dict(aliases or {}))


def ledger_shape(kind: str) -> TableShape:
    """The shape of a ledger import ("debtors", "invoices", "payments")."""
    return TableShape.of(kind, (column.name for column in COLUMNS[kind]),
                         required=(column.name for column in COLUMNS[kind] if column.required))


def rows_open(fileobj: IO[bytes], *, kind: str) -> RowStream:
    """The rows of a ledger import of `kind`."""
    return table_open(fileobj, shape=ledger_shape(kind))


def table_open(fileobj: IO[bytes], *, shape: TableShape) -> RowStream:
    """Look at the file's first bytes, choose the reader and check the header against `shape`.

    Raises DomainError (field "file") for a file that is not CSV UTF-8 or XLSX, is empty, has
    several sheets none named after `shape.kind`, or a header with missing, unknown or repeated
    columns; a later row that cannot be read raises the same while `rows` is iterated."""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    if not head:
        raise _refuse(_("The file is empty."), "empty_file")
    if head.startswith(_ZIP_MAGIC):
        return _xlsx_open(fileobj, shape=shape)
    if head.startswith(_OLE_MAGIC):
        raise _refuse(_("This is an old Excel (.xls) file; save it as .xlsx or as CSV UTF-8."),
                      "not_csv_or_xlsx")
    if b"\x00" in head:
        raise _refuse(_("The file is neither CSV nor XLSX (it holds binary data)."),
                      "not_csv_or_xlsx")
    return _csv_open(fileobj, head, shape=shape)


def _header_check(raw_header: list[str], *, shape: TableShape, where: str) -> dict[str, int]:
    """Map documented column names to positions; refuse missing, unknown or repeated names."""
    header = [name.strip().lower() for name in raw_header]
    header = [shape.aliases.get(name, name) for name in header]
    while header and header[-1] == "":
        header.pop()  # spreadsheets often carry empty trailing columns
    known = set(shape.columns)
    missing = [name for name in shape.columns if name in shape.required and name not in header]
    unknown = [name or _("(empty name)") for name in header if name not in known]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    problems = []
    if missing:
        problems.append(_("missing column(s): %s") % ", ".join(missing))
    if unknown:
        problems.append(_("unknown column(s): %s") % ", ".join(unknown))
    if repeated:
        problems.append(_("repeated column(s): %s") % ", ".join(repeated))
    if problems:
        expected = ", ".join(shape.columns)
        raise _refuse(
            _("The %(where)s does not have the %(kind)s columns: %(problems)s. "
              "Expected (first line): %(expected)s.")
            % {"where": where, "kind": shape.kind, "problems": joined("; ", problems),
               "expected": expected},
            "bad_columns")
    return {name: index for index, name in enumerate(header)}


# --- CSV ------------------------------------------------------------------------------------

def _first_bad_line(fileobj: IO[bytes]) -> int:
    """The line of the first byte that is not UTF-8 (only called once decoding has failed)."""
    fileobj.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    line = 1
    while True:
        chunk = fileobj.read(1024 * 1024)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            return line + chunk[:max(error.start, 0)].count(b"\n")
        if not chunk:
            return line
        line += chunk.count(b"\n")


def _not_utf8(line: int) -> DomainError:
    return _refuse(_("The file is not UTF-8 text (first bad byte on line %(line)d). Save it "
                     "as \"CSV UTF-8\" (in Excel: Save as, CSV UTF-8).") % {"line": line},
                   "not_utf8")


def _line_count(fileobj: IO[bytes]) -> int:
    count = 0
    last = b""
    while chunk := fileobj.read(4 * 1024 * 1024):
        count += chunk.count(b"\n")
        last = chunk
    fileobj.seek(0)
    return count + (1 if last and not last.endswith(b"\n") else 0)


def _csv_open(fileobj: IO[bytes], head: bytes, *, shape: TableShape) -> RowStream:
    try:
        # A quick look at the start; the rest is decoded as it streams.
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError as error:
        raise _not_utf8(head[:error.start].count(b"\n") + 1) from None
    first_line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    # Italian Excel writes "CSV" with semicolons; accept either, the header decides.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    total = max(_line_count(fileobj) - 1, 0)
    # newline="" lets the csv module see quoted line breaks; the wrapper decodes as it reads.
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        raw_header = next(reader)
    except StopIteration:
        raise _refuse(_("The file is empty."), "empty_file") from None
    except UnicodeDecodeError:
        raise _not_utf8(_first_bad_line(fileobj)) from None
    except csv.Error as error:
        raise _refuse(_("The first line is not CSV: %s.") % error, "not_csv_or_xlsx") from None
    if not any(cell.strip() for cell in raw_header):
        raise _refuse(_("The file is empty."), "empty_file")
    positions = _header_check(raw_header, shape=shape, where=_("first line"))

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for values in reader:
                if not any(values):
                    continue
                yield reader.line_num, [value.strip() for value in values]
        except UnicodeDecodeError:
            raise _not_utf8(_first_bad_line(fileobj)) from None
        except csv.Error as error:
            raise _refuse(_("Line %(line)d is not valid CSV: %(error)s.")
                          % {"line": reader.line_num, "error": error},
                          "not_csv_or_xlsx") from None
        finally:
            text.detach()

    return RowStream("csv", positions, rows(), total)


# --- XLSX -----------------------------------------------------------------------------------

def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores numbers as doubles; repr is the shortest text that reads back the same.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _xlsx_open(fileobj: IO[bytes], *, shape: TableShape) -> RowStream:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise _refuse(_("The file is neither CSV nor XLSX (it is a ZIP archive but not an Excel "
                        "workbook)."), "not_csv_or_xlsx") from None
    names = workbook.sheetnames
    if len(names) == 1:
        sheet = workbook[names[0]]
    else:
        # Our choice: a workbook with several sheets is read only when one of them is named
        # after the kind (e.g. "invoices"); otherwise we refuse rather than guess.
        kind = shape.kind
        matching = [name for name in names if name.strip().lower() == kind]
        if not matching:
            raise _refuse(_("The workbook has %(count)d sheets (%(names)s). Keep one sheet, or "
                            "name the sheet to import \"%(kind)s\".")
                          % {"count": len(names), "names": ", ".join(names), "kind": kind},
                          "several_sheets")
        sheet = workbook[matching[0]]
    title = sheet.title

    def cells() -> Iterator[tuple[int, list[object]]]:
        for row in sheet.iter_rows():
            values: list[object] = []
            number = 0
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    raise _refuse(
                        _("Cell %(cell)s of sheet \"%(sheet)s\" holds a formula (%(formula)s). "
                          "Imports take values only: copy the sheet and paste values.")
                        % {"cell": cell.coordinate, "sheet": title,
                           "formula": str(cell.value)[:60]}, "formula")
                number = getattr(cell, "row", number) or number
                values.append(cell.value)
            if number:
                yield number, values

    stream = cells()
    try:
        header_row, raw_header = next(stream)
        while not any(_cell_text(value) for value in raw_header):
            header_row, raw_header = next(stream)
    except StopIteration:
        workbook.close()
        raise _refuse(_("The file is empty."), "empty_file") from None
    positions = _header_check([_cell_text(value) for value in raw_header], shape=shape,
                              where=_("first row of sheet \"%s\"") % title)
    total = max((sheet.max_row or 0) - header_row, 0)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in stream:
                texts = [_cell_text(value) for value in values]
                if any(texts):
                    yield number, texts
        finally:
            workbook.close()

    return RowStream("xlsx", positions, rows(), total)


def template_csv(kind: str) -> bytes:
    """A CSV template: the header and one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.name for column in COLUMNS[kind]])
    writer.writerow([column.example for column in COLUMNS[kind]])
    return buffer.getvalue().encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    """An XLSX template with one sheet named after the kind: header, one example row, every
    cell stored as text so Excel keeps codes like 00123 and dates as typed."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind
    sheet.append([column.name for column in COLUMNS[kind]])
    sheet.append([column.example for column in COLUMNS[kind]])
    for row in sheet.iter_rows():
        for cell in row:
            cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
