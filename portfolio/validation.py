"""The rules every write checks, stated once: the API serializers, the services and the import
checker all call these, so a value refused in a file is refused by the API with the same words.

- dates: a real calendar date between DATE_MIN and DATE_MAX (no invoice, payment or report of
  a living business falls outside, and date arithmetic near year 1 or 9999 overflows);
- money: a plain decimal (digits, a point, at most two decimals), never scientific notation,
  NaN or Infinity, below MONEY_MAX (the columns hold 14 digits, two after the point);
- e-mail addresses: Django's validator, at most 254 characters (RFC 5321's path limit);
- countries: an ISO 3166-1 alpha-2 code that exists (pycountry's list);
- free text: at most the column's length.

Each check raises DomainError naming the field and the problem; its message keeps its msgid
(portfolio.messages), so it reads in the language of whoever reads it, even when a worker
checked the file. The
DRF fields at the end wrap the same checks for the serializers, so the OpenAPI schema shows them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import pycountry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access.errors import DomainError
from portfolio.messages import N_ as _

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
MONEY_MAX = Decimal("999999999999.99")
MONEY_DECIMALS = 2
EMAIL_MAX_LENGTH = 254
# Free text without a column length (a justification, a comment): about two pages.
TEXT_MAX_LENGTH = 5000
CENT = Decimal("0.01")

# The accepted form of an amount: what an accountant writes without thousands separators.
PLAIN_MONEY = re.compile(r"\d{1,12}(?:\.\d{1,2})?")
_SIGNED_DECIMAL = re.compile(r"[-+]?\d*(?:\.\d*)?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)


DateOrTime = TypeVar("DateOrTime", bound=dt.date)  # a datetime is a date, and comes back one


def date_check(value: DateOrTime, *, field: str) -> DateOrTime:
    """A date (or a date and time) whose date is inside DATE_MIN..DATE_MAX."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise DomainError(
            _("%(field)s %(value)s is outside the accepted dates (%(min)s to %(max)s).")
            % {"field": field, "value": value.isoformat(), "min": DATE_MIN.isoformat(),
               "max": DATE_MAX.isoformat()},
            code="date_out_of_range", field=field)
    return value


def date_parse(raw: str, *, field: str) -> dt.date:
    """A date written YYYY-MM-DD, real and inside DATE_MIN..DATE_MAX."""
    raw = raw.strip()
    if not raw:
        raise DomainError(_("%(field)s is empty; write the date as YYYY-MM-DD.")
                          % {"field": field}, code="required", field=field)
    if not ISO_DATE.fullmatch(raw):
        raise DomainError(_("%(field)s %(value)r is not in the format YYYY-MM-DD "
                            "(e.g. 2026-01-31).") % {"field": field, "value": raw[:40]},
                          code="bad_date", field=field)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("%(field)s %(value)r is not a real date.")
                          % {"field": field, "value": raw}, code="bad_date",
                          field=field) from None
    return date_check(day, field=field)


def date_query_param(query: Mapping[str, str], name: str, *, default: dt.date) -> dt.date:
    """A date from a query string (`?as_of=2026-03-31`): `default` when absent or empty; a
    malformed or out-of-range one is refused (DomainError), never replaced silently."""
    raw = query.get(name, "")
    return date_parse(raw, field=name) if raw.strip() else default


def money_parse(value: object, *, field: str = "amount", allow_zero: bool = True,
                allow_negative: bool = False) -> Decimal:
    """An amount written as a plain decimal with at most two decimals, below MONEY_MAX."""
    text = str(value).strip().replace(" ", "") if not isinstance(value, bool) else ""
    shown = str(value)[:40]
    if not text or not _SIGNED_DECIMAL.fullmatch(text) or not any(c.isdigit() for c in text):
        if "," in text:
            message = _("%(field)s %(value)r: write decimals with a point and no thousands "
                        "separator (e.g. 1234.56).")
        elif re.search(r"[eE]", text) and re.search(r"\d", text):
            message = _("%(field)s %(value)r is in scientific notation; write the amount in "
                        "full (e.g. 100000.00).")
        else:
            message = _("%(field)s %(value)r is not a number.")
        raise DomainError(message % {"field": field, "value": shown}, code="bad_amount",
                          field=field)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise DomainError(_("%(field)s %(value)r is not a number.")
                          % {"field": field, "value": shown}, code="bad_amount",
                          field=field) from None
    if (amount < 0 and not allow_negative) or (amount == 0 and not allow_zero):
        message = (_("%(field)s %(value)s cannot be negative; write zero or more.") if allow_zero
                   else _("%(field)s %(value)s must be above zero."))
        raise DomainError(message % {"field": field, "value": shown}, code="bad_amount",
                          field=field)
    if amount != amount.quantize(CENT):
        raise DomainError(_("%(field)s %(value)s has more than two decimals.")
                          % {"field": field, "value": shown}, code="bad_amount", field=field)
    if abs(amount) > MONEY_MAX:
        raise DomainError(_("%(field)s %(value)s is too large (at most %(max)s).")
                          % {"field": field, "value": shown, "max": MONEY_MAX},
                          code="bad_amount", field=field)
    return amount.quantize(CENT)


def email_check(value: str, *, field: str = "email") -> str:
    """A single e-mail address, trimmed and lower-cased."""
    address = value.strip().lower()
    if len(address) > EMAIL_MAX_LENGTH:
        raise DomainError(_("%(field)s is %(length)d characters long; an e-mail address has "
                            "at most %(max)d.") % {"field": field, "length": len(address),
                                                   "max": EMAIL_MAX_LENGTH},
                          code="too_long", field=field)
    try:
        validate_email(address)
    except DjangoValidationError:
        raise DomainError(_("%(field)s %(value)r is not an e-mail address.")
                          % {"field": field, "value": address[:80]}, code="bad_email",
                          field=field) from None
    return address


def country_check(value: str, *, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code that exists, upper-cased."""
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise DomainError(_("%(field)s %(value)r is not an ISO 3166-1 country code (two "
                            "letters, e.g. IT).") % {"field": field, "value": value[:40]},
                          code="bad_country", field=field)
    return code


def founded_year_check(value: object, *, field: str = "founded_year") -> int:
    """A year a business was founded: four digits, not in the future (old firms exist)."""
    text = str(value).strip()
    if not text.isdigit() or not 1000 <= int(text) <= dt.date.today().year:  # noqa: DTZ011
        raise DomainError(_("%(field)s %(value)r is not a year (four digits, not in the "
                            "future).") % {"field": field, "value": text[:40]},
                          code="bad_year", field=field)
    return int(text)


def text_check(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    """Free text no longer than its column; `required` refuses an empty one."""
    if required and not value.strip():
        raise DomainError(_("%(field)s is empty.") % {"field": field}, code="required",
                          field=field)
    if len(value) > max_length:
        raise DomainError(_("%(field)s is %(length)d characters long; at most %(max)d.")
                          % {"field": field, "length": len(value), "max": max_length},
                          code="too_long", field=field)
    return value


# --- The same rules as serializer fields -------------------------------------------------------

def _as_validation_error(error: DomainError) -> serializers.ValidationError:
    return serializers.ValidationError(error.message, code=error.code)


class MoneyField(serializers.DecimalField):
    """An amount by `money_parse`: plain decimal, two decimals at most, below MONEY_MAX."""

    def __init__(self, *, allow_zero: bool = True, allow_negative: bool = False,
                 **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        self.allow_negative = allow_negative
        kwargs.setdefault("max_value", MONEY_MAX)
        kwargs.setdefault("min_value", -MONEY_MAX if allow_negative
                          else Decimal("0") if allow_zero else CENT)
        super().__init__(max_digits=14, decimal_places=MONEY_DECIMALS, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return money_parse(data, field=self.field_name or "amount",
                               allow_zero=self.allow_zero, allow_negative=self.allow_negative)
        except DomainError as error:
            raise _as_validation_error(error) from None


class SaneDateField(serializers.DateField):
    """An ISO date inside DATE_MIN..DATE_MAX."""

    def to_internal_value(self, value: Any) -> dt.date:
        day = super().to_internal_value(value)
        try:
            return date_check(day, field=self.field_name or "date")
        except DomainError as error:
            raise _as_validation_error(error) from None


class SaneDateTimeField(serializers.DateTimeField):
    """An ISO date and time whose date is inside DATE_MIN..DATE_MAX."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        moment = super().to_internal_value(value)
        try:
            return date_check(moment, field=self.field_name or "datetime")
        except DomainError as error:
            raise _as_validation_error(error) from None


class EmailAddressField(serializers.EmailField):
    """An e-mail address by `email_check`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", EMAIL_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return email_check(data, field=self.field_name or "email")
        except DomainError as error:
            raise _as_validation_error(error) from None


@extend_schema_field({"type": "string", "pattern": "^[A-Za-z]{2}$",
                      "description": "ISO 3166-1 alpha-2 country code, e.g. IT."})
class CountryField(serializers.CharField):
    """An ISO 3166-1 alpha-2 code by `country_check`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            return country_check(text, field=self.field_name or "country")
        except DomainError as error:
            raise _as_validation_error(error) from None
