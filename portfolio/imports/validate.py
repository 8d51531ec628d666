"""Row checks: each kind turns a row of strings into a staging tuple, or records why not.

Each checker keeps only what validation needs across rows: the client's customer codes
(code -> debtor id) and the natural keys seen so far in the file (key -> first line), never the
rows themselves. Every problem is recorded with its line, its column and a sentence naming both.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from access.errors import DomainError
from portfolio import validation
from portfolio.contact_data import phone_normalise, timezone_from_address
from portfolio.imports import writers
from portfolio.imports.columns import COLUMNS
from portfolio.messages import N_ as _
from portfolio.messages import Message
from portfolio.models import Client, Debtor, Payment
from portfolio.services import DebtorData, debtor_data_clean
from portfolio.validation import PLAIN_MONEY

ERRORS_KEPT = 1000
# Characters the COPY text format escapes (see writers.copy_line).
_ESCAPED = re.compile(r"[\\\t\n\r]")
Staged = list[tuple[str, tuple[object, ...]]]


@dataclass
class ErrorLog:
    """Every rejected row's problems are counted; the first ERRORS_KEPT are kept to show."""

    items: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, line: int | None, column: str, message: str) -> None:
        self.count += 1
        if len(self.items) < ERRORS_KEPT:
            item = {"line": line, "column": column, "message": str(message)}
            if isinstance(message, Message):  # kept translatable: the page shows it
                item.update(message.as_stored())
            self.items.append(item)

    def sorted_items(self) -> list[dict[str, Any]]:
        return sorted(self.items, key=lambda item: (item["line"] or 0))


class RowProblem(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@functools.lru_cache(maxsize=1 << 16)
def _real_iso_date(value: str) -> bool:
    # A file repeats a few hundred dates over a million rows: each is parsed once.
    try:
        validation.date_parse(value, field="")
    except DomainError:
        return False
    return True


# Each cell goes through portfolio.validation, the rules the API applies too; a refusal keeps
# its message, which names the column.
def _date(value: str, column: str) -> str:
    if _real_iso_date(value):
        return value
    try:
        validation.date_parse(value, field=column)
    except DomainError as error:
        raise RowProblem(column, error.raw_message) from None
    return value


def _money(value: str, column: str, *, allow_zero: bool) -> Decimal | str:
    # The common case, checked by one regex: digits, a point and at most two decimals, below
    # 10^12 (validation.MONEY_MAX). Anything else goes through money_parse for its message.
    if PLAIN_MONEY.fullmatch(value) and (allow_zero or value.strip("0.")):
        return value
    if not value:
        raise RowProblem(column, _("%(field)s is empty.") % {"field": column})
    try:
        return validation.money_parse(value, field=column, allow_zero=allow_zero)
    except DomainError as error:
        raise RowProblem(column, error.raw_message) from None


def _text(value: str, column: str, *, max_length: int, required: bool = False) -> str:
    try:
        return validation.text_check(value, field=column, max_length=max_length,
                                     required=required)
    except DomainError as error:
        raise RowProblem(column, error.raw_message) from None


class RowChecker:
    """Base: maps column names to positions and pads short rows."""

    kind = ""
    stages: tuple[writers.Staging, ...] = ()

    def __init__(self, *, client: Client, job_id: int = 0,
                 positions: dict[str, int] | None = None,
                 errors: ErrorLog | None = None) -> None:
        """`positions` (column -> index in a row) and `errors` are needed to check rows only;
        the set-based steps need the client and the job (whose staging tables they use)."""
        self.client = client
        self.job_id = job_id
        self.errors = errors or ErrorLog()
        positions = positions or {}
        self.width = max(positions.values(), default=-1) + 1
        # Optional columns absent from the file read the padding cell, always empty.
        self.index = {column.name: positions.get(column.name, self.width)
                      for column in COLUMNS[self.kind]}
        self.seen: dict[str, int] = {}

    def _values(self, line: int, values: list[str]) -> list[str] | None:
        if len(values) > self.width and any(values[self.width:]):
            self.errors.add(line, "", _("line %(line)s has %(values)s values but the header "
                                        "has %(columns)s columns.")
                            % {"line": line, "values": len(values), "columns": self.width})
            return None
        if len(values) <= self.width:
            values = values + [""] * (self.width + 1 - len(values))
        return values

    def _once(self, key: str, line: int, column: str) -> None:
        first = self.seen.get(key)
        if first is not None:
            raise RowProblem(column, _("%(column)s %(key)s appears more than once in the file "
                                       "(first on line %(first)s).")
                             % {"column": column, "key": repr(key), "first": first})
        self.seen[key] = line

    def check(self, line: int, values: list[str]) -> list[tuple[str, str]]:
        """(staging table, COPY line) pairs for this row; [] when it was rejected."""
        padded = self._values(line, values)
        if padded is None:
            return []
        try:
            return [(name, writers.copy_line(row)) for name, row in self.check_row(line, padded)]
        except RowProblem as problem:
            self.errors.add(line, problem.column, problem.message)
            return []

    def check_row(self, line: int, v: list[str]) -> Staged:
        raise NotImplementedError

    def _table(self, stage: writers.Staging) -> str:
        return stage.table(self.job_id)

    # Set-based steps, run once every row is staged.
    def classify(self, cursor: Any) -> dict[str, int]:
        raise NotImplementedError

    def refused(self, cursor: Any) -> list[tuple[int, str, str]]:
        return []

    def write(self, cursor: Any, *, now: object) -> None:
        raise NotImplementedError


class _NeedsDebtors(RowChecker):
    @cached_property
    def debtors(self) -> dict[str, int]:
        # The client's customer codes: ~100 bytes each, 10 MB for 100,000 debtors.
        return dict(Debtor.objects.filter(client=self.client)
                    .values_list("external_ref", "id").iterator(chunk_size=20000))

    def _debtor(self, code: str) -> int:
        if not code:
            raise RowProblem("customer_code", _("%(column)s is empty.")
                             % {"column": "customer_code"})
        debtor_id = self.debtors.get(code)
        if debtor_id is None:
            raise RowProblem("customer_code", _("customer_code %(code)s is not a debtor of "
                                                "%(client)s; import it with a debtors file "
                                                "first.")
                             % {"code": repr(code), "client": self.client.name})
        return debtor_id


_INVOICES = writers.INVOICE_STAGE.name
_PAYMENTS = writers.PAYMENT_STAGE.name
_CONTACTS = writers.CONTACT_STAGE.name


class InvoiceChecker(_NeedsDebtors):
    kind = "invoices"
    stages = (writers.INVOICE_STAGE,)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        i = self.index
        self._at = (i["invoice_number"], i["customer_code"], i["issue_date"], i["due_date"],
                    i["amount"])

    def check(self, line: int, values: list[str]) -> list[tuple[str, str]]:
        """A file holds up to millions of invoices, so the common row (every check passes,
        nothing to escape) takes one expression and one f-string; any other row goes through
        `check_row`, which names the problem, with the same result for a good row."""
        if len(values) == self.width:
            at_number, at_code, at_issue, at_due, at_amount = self._at
            number, code = values[at_number], values[at_code]
            issue, due, amount = values[at_issue], values[at_due], values[at_amount]
            debtor_id = self.debtors.get(code)
            if (debtor_id is not None and 0 < len(number) <= 64 and number not in self.seen
                    and _real_iso_date(issue) and _real_iso_date(due) and issue <= due
                    and PLAIN_MONEY.fullmatch(amount) and not _ESCAPED.search(number)):
                self.seen[number] = line
                return [(_INVOICES, f"{line}\t{number}\t{debtor_id}\t{issue}\t{due}\t{amount}\n")]
        return super().check(line, values)

    def check_row(self, line: int, v: list[str]) -> Staged:
        i = self.index
        number = _text(v[i["invoice_number"]], "invoice_number", max_length=64, required=True)
        debtor_id = self._debtor(v[i["customer_code"]])
        issue = _date(v[i["issue_date"]], "issue_date")
        due = _date(v[i["due_date"]], "due_date")
        if due < issue:  # ISO dates compare as text
            raise RowProblem("due_date", _("due_date %(due)s is before issue_date %(issue)s.")
                             % {"due": due, "issue": issue})
        amount = _money(v[i["amount"]], "amount", allow_zero=True)
        self._once(number, line, "invoice_number")
        return [(_INVOICES, (line, number, debtor_id, issue, due, amount))]

    def classify(self, cursor: Any) -> dict[str, int]:
        return writers.invoices_classify(cursor, table=self._table(writers.INVOICE_STAGE),
                                         client_id=self.client.pk)

    def refused(self, cursor: Any) -> list[tuple[int, str, str]]:
        return list(writers.invoices_refused(cursor, table=self._table(writers.INVOICE_STAGE),
                                             client_id=self.client.pk))

    def write(self, cursor: Any, *, now: object) -> None:
        writers.invoices_write(cursor, table=self._table(writers.INVOICE_STAGE),
                               client_id=self.client.pk, currency=self.client.currency,
                               now=now)


class PaymentChecker(_NeedsDebtors):
    kind = "payments"
    stages = (writers.PAYMENT_STAGE,)

    def check_row(self, line: int, v: list[str]) -> Staged:
        i = self.index
        reference = _text(v[i["reference"]], "reference", max_length=64, required=True)
        debtor_id = self._debtor(v[i["customer_code"]])
        value_date = _date(v[i["value_date"]], "value_date")
        amount = _money(v[i["amount"]], "amount", allow_zero=False)
        method = v[i["method"]].lower() or Payment.Method.BANK_TRANSFER
        if method not in Payment.Method.values:
            raise RowProblem("method", _("method %(method)s must be one of %(choices)s.")
                             % {"method": repr(method),
                                "choices": ", ".join(Payment.Method.values)})
        invoice_reference = _text(v[i["invoice_number"]], "invoice_number", max_length=64)
        self._once(reference, line, "reference")
        return [(_PAYMENTS, (line, reference, debtor_id, value_date, amount, method,
                             invoice_reference))]

    def classify(self, cursor: Any) -> dict[str, int]:
        return writers.payments_classify(cursor, table=self._table(writers.PAYMENT_STAGE),
                                         client_id=self.client.pk)

    def refused(self, cursor: Any) -> list[tuple[int, str, str]]:
        return list(writers.payments_refused(cursor, table=self._table(writers.PAYMENT_STAGE),
                                             client_id=self.client.pk))

    def write(self, cursor: Any, *, now: object) -> None:
        writers.payments_write(cursor, table=self._table(writers.PAYMENT_STAGE),
                               client_id=self.client.pk, currency=self.client.currency,
                               now=now)


# debtor_data_clean names its fields after the model; the file names them after the columns.
# Their lengths and formats are checked there, with the API's rules.
_DEBTOR_FIELD_COLUMNS = {"external_ref": "customer_code", "address_line": "address"}


class DebtorChecker(RowChecker):
    kind = "debtors"
    stages = (writers.DEBTOR_STAGE, writers.CONTACT_STAGE)

    def check_row(self, line: int, v: list[str]) -> Staged:
        i = self.index
        founded = v[i["founded_year"]]
        founded_year = None
        if founded:
            try:
                founded_year = validation.founded_year_check(founded)
            except DomainError as error:
                raise RowProblem("founded_year", error.raw_message) from None
        other = v[i["other_exposure"]]
        other_exposure = _money(other, "other_exposure", allow_zero=True) if other \
            else Decimal("0.00")
        raw_phones = [v[i["phone"]], v[i["mobile"]]]
        data = DebtorData(
            external_ref=v[i["customer_code"]], name=v[i["name"]], kind=v[i["kind"]].lower(),
            country=v[i["country"]], tax_code=v[i["tax_code"]], vat_number=v[i["vat_number"]],
            sector=v[i["sector"]], founded_year=founded_year, address_line=v[i["address"]],
            postal_code=v[i["postal_code"]], city=v[i["city"]], region=v[i["region"]],
            language=v[i["language"]] or "it", phones=raw_phones,
            emails=[v[i["email"]]])
        try:
            clean = debtor_data_clean(data)
        except DomainError as error:
            column = _DEBTOR_FIELD_COLUMNS.get(error.field or "", error.field or "")
            if column == "phone" and v[i["mobile"]] and v[i["mobile"]] in error.message:
                column = "mobile"
            raise RowProblem(column, _("%(column)s: %(problem)s")
                             % {"column": column, "problem": error.raw_message}) from None
        self._once(clean.external_ref, line, "customer_code")
        debtor_row = (line, clean.external_ref, clean.kind, clean.name, clean.tax_code,
                      clean.vat_number, clean.sector, clean.founded_year, clean.address_line,
                      clean.postal_code, clean.city, clean.region, clean.country,
                      timezone_from_address(clean.country, clean.region), clean.language,
                      other_exposure)
        staged: Staged = [(writers.DEBTOR_STAGE.name, debtor_row)]
        labels = ["", "mobile"]
        phone_index = 0
        for raw, label in zip(raw_phones, labels, strict=True):
            if raw:
                number = clean.phones[phone_index]
                phone_index += 1
                _e164, zones = phone_normalise(number, default_country=clean.country)
                staged.append((_CONTACTS, (clean.external_ref, "phone", number, label,
                                           json.dumps(zones))))
        staged += [(_CONTACTS, (clean.external_ref, "email", email, "", "[]"))
                   for email in clean.emails]
        return staged

    def classify(self, cursor: Any) -> dict[str, int]:
        return writers.debtors_classify(cursor, table=self._table(writers.DEBTOR_STAGE),
                                        contacts=self._table(writers.CONTACT_STAGE),
                                        client_id=self.client.pk)

    def write(self, cursor: Any, *, now: object) -> None:
        writers.debtors_write(cursor, table=self._table(writers.DEBTOR_STAGE),
                              contacts=self._table(writers.CONTACT_STAGE),
                              client_id=self.client.pk, now=now)


CHECKERS: dict[str, type[RowChecker]] = {
    "debtors": DebtorChecker,
    "invoices": InvoiceChecker,
    "payments": PaymentChecker,
}
