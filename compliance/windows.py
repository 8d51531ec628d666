"""Local time for contact windows: candidate zones, public holidays, and the permitted window
as the intersection of every candidate zone's window (SPEC §1, Reg F comment 6(b)(1)(i)-2).

Pure functions over `RuleSet`, zone names and dates; nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
from collections.abc import Callable, Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import phonenumbers
from django.conf import settings
from phonenumbers import timezone as phone_timezone

from compliance.rules import Param, RuleSet
from portfolio.contact_data import timezone_from_address

Interval = tuple[dt.datetime, dt.datetime]
HolidayCheck = Callable[[dt.date], bool]


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=512)
def known_zone(name: str) -> bool:
    """Whether the tz database knows `name`: one bad row must not stop a batch."""
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=64)
def _zone_table() -> dict[str, tuple[str, ...]]:
    """Country code -> IANA zones, from the tz database's zone.tab (shipped by `tzdata`)."""
    try:
        text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - system tzdata
        with open("/usr/share/zoneinfo/zone.tab", encoding="utf-8") as handle:
            text = handle.read()
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        table.setdefault(fields[0], []).append(fields[2])
    return {country: tuple(zones) for country, zones in table.items()}


@lru_cache(maxsize=256)
def country_zones(country: str, region: str = "") -> tuple[str, ...]:
    """The address's zone when the country (and region) fix one; else every zone of the
    country, so that the window intersection is safe for a debtor we cannot place."""
    single = timezone_from_address(country, region)
    if single:
        return (single,)
    return _zone_table().get(country.upper(), ())


@lru_cache(maxsize=1024)
def display_zone(timezone: str, country: str = "", region: str = "") -> str:
    """The zone a debtor's times are shown in: the address's zone, else the country's (its
    first where it has several), else the site's."""
    if timezone and known_zone(timezone):
        return timezone
    zones = country_zones(country, region) if country else ()
    return zones[0] if zones else settings.TIME_ZONE


@lru_cache(maxsize=4096)
def phone_zones(number: str) -> tuple[str, ...]:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(zone_name for zone_name in phone_timezone.time_zones_for_number(parsed)
                 if zone_name != phone_timezone.UNKNOWN_TIMEZONE)


@lru_cache(maxsize=256)
def holiday_check(country: str, region: str = "") -> HolidayCheck:
    """Is a date a public holiday in the debtor's country (and subdivision where `holidays`
    knows it)? An unknown subdivision falls back to the national calendar."""
    try:
        calendar = holidays.country_holidays(country.upper(), subdiv=region.upper() or None)
    except NotImplementedError:
        try:
            calendar = holidays.country_holidays(country.upper())
        except NotImplementedError:
            return lambda day: False
    return calendar.__contains__


def zone_window(rules: RuleSet, tz: ZoneInfo, day: dt.date,
                is_holiday: HolidayCheck) -> Interval | None:
    """The pack's window on `day` in one zone, or None when that day allows no contact."""
    if not rules[Param.CALLS_ON_PUBLIC_HOLIDAYS] and is_holiday(day):
        return None
    hours = rules.window(day.weekday())
    if hours is None:
        return None
    return dt.datetime.combine(day, hours[0], tz), dt.datetime.combine(day, hours[1], tz)


def _intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    result = []
    for a_start, a_end in left:
        for b_start, b_end in right:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                result.append((start, end))
    return sorted(result)


def day_intervals(rules: RuleSet, zones: Iterable[str], primary: str, day: dt.date,
                  is_holiday: HolidayCheck, *, stop_minutes: int = 0) -> list[Interval]:
    """The permitted intervals of the debtor's local `day` (in the primary zone): the window of
    every candidate zone intersected, each cut `stop_minutes` before its end. Empty: no
    contact that day."""
    home = zone(primary)
    start = dt.datetime.combine(day, dt.time(0), home)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), home)
    current: list[Interval] = [(start, end)]
    stop = dt.timedelta(minutes=stop_minutes)
    for name in zones:
        tz = zone(name)
        windows = []
        # A zone's neighbouring dates can overlap the debtor's day across the date line.
        for offset in (-1, 0, 1):
            window = zone_window(rules, tz, day + dt.timedelta(days=offset), is_holiday)
            if window and window[1] - stop > window[0]:
                windows.append((window[0], window[1] - stop))
        current = _intersect(current, windows)
        if not current:
            break
    return current


def next_window_start(rules: RuleSet, zones: tuple[str, ...], primary: str, after: dt.datetime,
                      is_holiday: HolidayCheck, *, horizon_days: int = 14) -> dt.datetime | None:
    """The first instant at or after `after` inside every zone's window (dialling cut-off
    included), or None when none opens within the horizon."""
    stop = rules[Param.STOP_BEFORE_END_MINUTES]
    day = after.astimezone(zone(primary)).date()
    for offset in range(horizon_days + 1):
        for start, end in day_intervals(rules, zones, primary, day + dt.timedelta(days=offset),
                                        is_holiday, stop_minutes=stop):
            if end > after:
                return max(start, after)
    return None
