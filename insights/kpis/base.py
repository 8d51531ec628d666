"""What every KPI is made of (SPEC §3 conventions).

A KPI names its variant, carries the formula in words (shown on hover), and keeps its
numerator and denominator beside the value, so that a rate is never shown without what it is
a rate of. A zero denominator gives `value=None`, which screens show as "n/a" (never 0).

Every KPI is computed for one client in one currency (money is never summed across
currencies) over a half-open period [start, end) of calendar days in the client's reporting
time zone. Ledger dates (issue, due, value dates) are calendar days already; timestamps
(contacts, promises, answers) are compared with the period's bounds at midnight in that zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portfolio.models import Client

Number = Decimal | int


class KpiInputError(ValueError):
    """A KPI was asked for with input it cannot honour (an empty period, a foreign currency).
    The message names the problem; nothing is computed."""


@dataclass(frozen=True)
class Period:
    """Half-open [start, end) of calendar days."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise KpiInputError(_("The period must end after it starts (end is exclusive)."))

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.date(year, month, 1)
        return cls(start, add_months(start, 1))

    def months(self) -> list[Period]:
        """The calendar months the period covers, each cut to the period."""
        months = []
        cursor = self.start
        while cursor < self.end:
            month_end = min(add_months(cursor.replace(day=1), 1), self.end)
            months.append(Period(cursor, month_end))
            cursor = month_end
        return months


def add_months(day: dt.date, count: int) -> dt.date:
    """The first of a month `count` months from `day`'s month (day must be the 1st)."""
    index = day.year * 12 + day.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Scope:
    """One client, one currency, the client's reporting time zone."""

    client: Client
    currency: str

    @classmethod
    def of(cls, client: Client, currency: str | None = None) -> Scope:
        code = (currency or client.currency).upper()
        if len(code) != 3 or not code.isalpha():
            raise KpiInputError(_("The currency must be an ISO 4217 code such as EUR."))
        return cls(client=client, currency=code)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.client.reporting_timezone or "UTC")

    def at_midnight(self, day: dt.date) -> dt.datetime:
        """The start of `day` in the client's reporting time zone."""
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.tz)

    def bounds(self, period: Period) -> tuple[dt.datetime, dt.datetime]:
        return self.at_midnight(period.start), self.at_midnight(period.end)

    def today(self) -> dt.date:
        from django.utils import timezone

        return timezone.now().astimezone(self.tz).date()


@dataclass(frozen=True)
class Kpi:
    """One figure: what it is, how it is computed, and what it was computed from."""

    code: str
    name: str | Promise
    variant: str | Promise
    formula: str | Promise
    unit: str  # days, percent, money, count, seconds, ratio, score
    value: Decimal | None
    numerator: Number | None = None
    denominator: Number | None = None
    # Named conditions the reader must know about ("capped": count-back reached its
    # look-back cap).
    flags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def places(self) -> int:
        """Decimal places of the numerator and denominator: amounts 2, counts 0."""
        return 2 if isinstance(self.numerator, Decimal) else 0

    @property
    def flag_texts(self) -> list[str]:
        return [str(FLAG_TEXTS.get(flag, flag)) for flag in self.flags]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": str(self.name), "variant": str(self.variant),
                "formula": str(self.formula), "unit": self.unit,
                "value": _plain(self.value), "numerator": _plain(self.numerator),
                "denominator": _plain(self.denominator), "flags": list(self.flags),
                "extra": {key: _plain(value) for key, value in self.extra.items()}}


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):
        return str(value)
    return value


FLAG_TEXTS = {
    "capped": _("AR older than the twelve-month look-back: capped at twelve months."),
    "months_without_cei": _("Some months had nothing to collect and no CEI."),
    "not_enough_answers": _("Not enough answers (fewer than 30): read the interval."),
}

TWO = Decimal("0.01")


def quantize(value: Decimal, places: Decimal = TWO) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def ratio(numerator: Number | None, denominator: Number | None, *, scale: int = 1,
          places: Decimal = Decimal("0.0001")) -> Decimal | None:
    """numerator / denominator x scale, or None ("n/a") when the denominator is zero."""
    if numerator is None or not denominator:
        return None
    return quantize(Decimal(numerator) * scale / Decimal(denominator), places)


def money(value: object) -> Decimal:
    """A SUM from the database (None when no rows) as a Decimal with two places."""
    if value is None:
        return Decimal("0.00")
    return quantize(Decimal(str(value)))
