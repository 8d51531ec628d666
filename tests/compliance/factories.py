"""Factories and helpers for the contact-compliance tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from compliance import services
from portfolio.models import Debtor
from tests.factories import ContactPointFactory, DebtorFactory

ROME = ZoneInfo("Europe/Rome")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")

IT_MOBILE = "+393471234567"
US_EAST_MOBILE = "+12125550123"
US_WEST_MOBILE = "+14155550123"
UK_MOBILE = "+447700900123"


def debtor_with_phone(*, country: str = "IT", region: str = "", timezone: str = "Europe/Rome",
                      phone: str = IT_MOBILE, zones: list[str] | None = None,
                      label: str = "mobile", **kwargs: object) -> tuple[Debtor, str]:
    debtor = DebtorFactory(country=country, region=region, timezone=timezone, **kwargs)
    ContactPointFactory(debtor=debtor, value=phone, label=label,
                        timezones=zones if zones is not None else [timezone])
    return debtor, phone


def local(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 12,
          minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def attempt(debtor: Debtor, destination: str, started_at: dt.datetime, *,
            result: str = "no_answer", party: str = "", channel: str = "call", **kwargs):
    return services.contact_attempt_record(debtor=debtor, channel=channel,
                                           destination=destination, started_at=started_at,
                                           result=result, party=party, **kwargs)
