"""The documented columns of each import kind: the one list the readers, the validators, the
templates and the upload page all read."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DATE_FORMAT_HINT = "YYYY-MM-DD"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str | Promise  # translated lazily: rendered in the reader's language
    example: str


DEBTOR_COLUMNS: tuple[Column, ...] = (
    Column("customer_code", True, _("The client's code for the debtor; the natural key: a "
                                    "later file with the same code updates the debtor."), "C0001"),
    Column("name", True, _("Company or person name."), "Rossi Forniture S.r.l."),
    Column("kind", True, _("business or consumer."), "business"),
    Column("country", True, _("ISO 3166-1 alpha-2 code, e.g. IT."), "IT"),
    Column("region", False, _("ISO 3166-2 subdivision (province, state), e.g. MI or CA; "
                              "chooses the time zone where a country has several."), "MI"),
    Column("city", False, _("City."), "Milano"),
    Column("postal_code", False, _("Postal code."), "20121"),
    Column("address", False, _("Street and number."), "Via Dante 1"),
    Column("vat_number", False, _("VAT number, checked for the country."), "IT00743110157"),
    Column("tax_code", False, _("Personal tax code (codice fiscale), checked for the country."),
           ""),
    Column("phone", False, _("Landline; stored in E.164 (+39…)."), "02 1234567"),
    Column("mobile", False, _("Mobile; stored in E.164."), "+39 347 1234567"),
    Column("email", False, _("E-mail address."), "amministrazione@rossi.example"),
    Column("language", False, _("Language for contacts (it, en …); it by default."), "it"),
    Column("sector", False, _("Business sector."), "wholesale"),
    Column("founded_year", False, _("Year founded, four digits."), "1987"),
    Column("other_exposure", False, _("Exposure beyond open invoices (orders not yet "
                                      "invoiced), point for decimals."), "0.00"),
)

INVOICE_COLUMNS: tuple[Column, ...] = (
    Column("invoice_number", True, _("Unique per client; the natural key: a later file with "
                                     "the same number updates the invoice."), "2026/0001"),
    Column("customer_code", True, _("A debtor of the client, imported before."), "C0001"),
    Column("issue_date", True, _("YYYY-MM-DD."), "2026-01-15"),
    Column("due_date", True, _("YYYY-MM-DD, not before the issue date."), "2026-02-14"),
    Column("amount", True, _("Zero or more, point for decimals, at most 2 decimals; in the "
                             "client's currency. Never below what was already paid."),
           "1220.00"),
)

PAYMENT_COLUMNS: tuple[Column, ...] = (
    Column("reference", True, _("Unique per client; a reference imported before is skipped, "
                                "never counted twice."), "BNK-2026-000123"),
    Column("customer_code", True, _("A debtor of the client, imported before."), "C0001"),
    Column("value_date", True, _("YYYY-MM-DD."), "2026-02-10"),
    Column("amount", True, _("Above zero, point for decimals, at most 2 decimals."), "500.00"),
    Column("method", True, _("bank_transfer, direct_debit, card, cash, cheque or other; "
                             "bank_transfer when empty."), "bank_transfer"),
    Column("invoice_number", False, _("Optional: the invoice the payment names; it is settled "
                                      "first, the rest goes to the oldest due."), "2026/0001"),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "debtors": DEBTOR_COLUMNS,
    "invoices": INVOICE_COLUMNS,
    "payments": PAYMENT_COLUMNS,
}
