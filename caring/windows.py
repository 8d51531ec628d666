"""Business days for the caring window: weekends and the client's country's public holidays."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[dt.date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the package does not know: weekends only
        return frozenset()


def is_business_day(day: dt.date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def business_days_add(day: dt.date, count: int, country: str) -> dt.date:
    """The date `count` business days after `day` (day itself not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_business_day(current, country):
            remaining -= 1
    return current


def window_end(run_date: dt.date, days_before_due: int, country: str) -> dt.date:
    """The last due date whose window has opened by `run_date`.

    An invoice enters the window `days_before_due` business days before it falls due, so on
    `run_date` every invoice due up to `days_before_due` business days later is in (and,
    for catch-up, every one due sooner that has not been handled yet).
    """
    return business_days_add(run_date, days_before_due, country)


def window_opens(due_date: dt.date, days_before_due: int, country: str) -> dt.date:
    """The first planning day on which an invoice due on `due_date` is in the window."""
    current = due_date
    remaining = days_before_due
    while remaining > 0:
        current -= dt.timedelta(days=1)
        if is_business_day(current, country):
            remaining -= 1
    return current
