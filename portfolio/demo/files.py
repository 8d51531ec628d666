"""The demo portfolio of one client as the three CSV files the portfolio import reads.

Written while generating, one debtor at a time, so a million invoices need no more memory
than ten. Dates are ISO 8601, amounts use `.` as decimal separator, phones are written the way
a client's spreadsheet holds them (national format for domestic numbers).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from django.utils import timezone

from portfolio.demo.generator import client_stream, specs_select

DEBTOR_COLUMNS = ("customer_code", "name", "kind", "country", "region", "city", "postal_code",
                  "address", "vat_number", "tax_code", "phone", "mobile", "email", "language",
                  "sector", "founded_year", "other_exposure")
INVOICE_COLUMNS = ("invoice_number", "customer_code", "issue_date", "due_date", "amount")
PAYMENT_COLUMNS = ("reference", "customer_code", "value_date", "amount", "method",
                   "invoice_number")


@dataclass(frozen=True)
class DemoFiles:
    debtors: Path
    invoices: Path
    payments: Path
    debtor_count: int
    invoice_count: int
    payment_count: int


def _cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _phone(value: tuple[str, list[str]] | None, country: str) -> str:
    if value is None:
        return ""
    number = phonenumbers.parse(value[0])
    domestic = phonenumbers.region_code_for_number(number) == country
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if domestic
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def demo_files_write(directory: str | Path, *, seed: int = 2026, invoices: int = 10_000,
                     today: dt.date | None = None, client: str = "utility") -> DemoFiles:
    """Write debtors.csv, invoices.csv and payments.csv for one demo client (a key of
    DEMO_CLIENTS) into `directory`, with `invoices` invoices."""
    (spec,) = specs_select([client])
    today = today or timezone.localdate()
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / "debtors.csv", folder / "invoices.csv", folder / "payments.csv")
    counts = [0, 0, 0]
    with (paths[0].open("w", newline="", encoding="utf-8") as debtors_file,
          paths[1].open("w", newline="", encoding="utf-8") as invoices_file,
          paths[2].open("w", newline="", encoding="utf-8") as payments_file):
        debtors, invoice_rows, payments = (csv.writer(debtors_file), csv.writer(invoices_file),
                                           csv.writer(payments_file))
        debtors.writerow(DEBTOR_COLUMNS)
        invoice_rows.writerow(INVOICE_COLUMNS)
        payments.writerow(PAYMENT_COLUMNS)
        for record in client_stream(spec, seed=seed, today=today, invoices=invoices):
            who = record.identity
            debtors.writerow((
                record.code, who.name, who.kind, who.country, who.region, who.city,
                who.postal_code, who.address_line, who.vat_number, who.tax_code,
                _phone(who.phone, who.country), _phone(who.mobile, who.country), who.email,
                who.language, who.sector, who.founded_year or "",
                _cents(record.other_exposure)))
            invoice_rows.writerows(
                (row.number, record.code, row.issue_date.isoformat(), row.due_date.isoformat(),
                 _cents(row.amount)) for row in record.invoices)
            payments.writerows(
                (row.reference, record.code, row.value_date.isoformat(), _cents(row.amount),
                 row.method, row.invoice_reference) for row in record.payments)
            counts[0] += 1
            counts[1] += len(record.invoices)
            counts[2] += len(record.payments)
    return DemoFiles(*paths, *counts)
