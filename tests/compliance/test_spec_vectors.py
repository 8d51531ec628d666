"""SPEC §1 test vectors, exactly as written."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.engine import can_contact, permitted_window
from compliance.loader import facts_load
from tests.compliance.factories import (
    IT_MOBILE,
    LOS_ANGELES,
    NEW_YORK,
    ROME,
    US_EAST_MOBILE,
    US_WEST_MOBILE,
    attempt,
    debtor_with_phone,
    local,
)
from tests.factories import ContactPointFactory

pytestmark = pytest.mark.django_db


def us_debtor(**kwargs):
    defaults = {"country": "US", "region": "NY", "timezone": "America/New_York",
                "phone": US_EAST_MOBILE, "zones": ["America/New_York"]}
    return debtor_with_phone(**{**defaults, **kwargs})


def test_seven_connected_calls_on_days_1_to_7_allow_a_call_on_day_8():
    # Given seven connected calls, none answered, on days 1-7 (Tue 8 - Mon 14 September 2026)
    debtor, phone = us_debtor()
    for day in range(8, 15):
        attempt(debtor, phone, local(NEW_YORK, 2026, 9, day, 10), result="no_answer")

    # When a second call is asked for on day 7, and a call on day 8
    day_7 = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 9, 14, 15))
    day_8 = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 9, 15, 10))

    # Then day 7 is full (seven in days 1-7) and day 8 is allowed (days 2-8 hold 7)
    assert not day_7.allowed
    assert day_7.rule_ids == ["US.connected_calls_per_7_days"]
    assert day_7.next_permitted_at == local(NEW_YORK, 2026, 9, 15, 8)
    assert day_8.allowed, day_8.reason


def test_a_conversation_on_friday_14_august_allows_the_next_call_from_friday_21_august():
    debtor, phone = us_debtor()
    attempt(debtor, phone, local(NEW_YORK, 2026, 8, 14, 11), result="answered",
            party="right_party_verified")

    thursday = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 8, 20, 12))
    friday = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 8, 21, 8, 30))

    assert not thursday.allowed
    assert thursday.rule_ids == ["US.quiet_days_after_conversation"]
    assert thursday.next_permitted_at == local(NEW_YORK, 2026, 8, 21, 8)
    assert friday.allowed, friday.reason


def test_a_mobile_in_eastern_time_and_an_address_in_pacific_time_give_11_to_21_eastern():
    debtor, phone = debtor_with_phone(country="US", region="CA",
                                      timezone="America/Los_Angeles", phone=US_EAST_MOBILE,
                                      zones=["America/New_York"])
    facts = facts_load([debtor], at=local(NEW_YORK, 2026, 9, 16, 12))[debtor.pk]

    primary, intervals = permitted_window(facts, "call", phone, dt.date(2026, 9, 16))

    assert primary == "America/Los_Angeles"
    assert [(start.astimezone(NEW_YORK), end.astimezone(NEW_YORK))
            for start, end in intervals] == [(local(NEW_YORK, 2026, 9, 16, 11),
                                              local(NEW_YORK, 2026, 9, 16, 21))]
    too_early = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 9, 16, 10, 59))
    assert not too_early.allowed
    assert too_early.next_permitted_at == local(NEW_YORK, 2026, 9, 16, 11)
    assert can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 9, 16, 11)).allowed
    assert can_contact(debtor, "call", phone, local(LOS_ANGELES, 2026, 9, 16, 17, 49)).allowed
    late = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 9, 16, 20, 50))
    assert not late.allowed
    assert late.next_permitted_at == local(NEW_YORK, 2026, 9, 17, 11)


def test_the_window_holds_in_the_zone_of_every_known_phone_not_only_the_one_dialled():
    # Given a Californian debtor with a West Coast number and an East Coast mobile on file
    debtor, west = debtor_with_phone(country="US", region="CA", timezone="America/Los_Angeles",
                                     phone=US_WEST_MOBILE, zones=["America/Los_Angeles"])
    ContactPointFactory(debtor=debtor, value=US_EAST_MOBILE, timezones=["America/New_York"])
    facts = facts_load([debtor], at=local(NEW_YORK, 2026, 9, 16, 12))[debtor.pk]

    # When the West Coast number is the one dialled
    primary, intervals = permitted_window(facts, "call", west, dt.date(2026, 9, 16))

    # Then the window is still 11:00-21:00 Eastern: the debtor may be in New York
    assert primary == "America/Los_Angeles"
    assert [(start.astimezone(NEW_YORK), end.astimezone(NEW_YORK))
            for start, end in intervals] == [(local(NEW_YORK, 2026, 9, 16, 11),
                                              local(NEW_YORK, 2026, 9, 16, 21))]
    early = can_contact(debtor, "call", west, local(LOS_ANGELES, 2026, 9, 16, 7, 30))
    assert not early.allowed
    assert early.next_permitted_at == local(NEW_YORK, 2026, 9, 16, 11)
    late = can_contact(debtor, "call", west, local(LOS_ANGELES, 2026, 9, 16, 18, 0))
    assert not late.allowed
    assert late.next_permitted_at == local(NEW_YORK, 2026, 9, 17, 11)
    assert can_contact(debtor, "call", west, local(LOS_ANGELES, 2026, 9, 16, 9)).allowed


def test_a_number_reported_wrong_does_not_narrow_the_window():
    debtor, west = debtor_with_phone(country="US", region="CA", timezone="America/Los_Angeles",
                                     phone=US_WEST_MOBILE, zones=["America/Los_Angeles"])
    ContactPointFactory(debtor=debtor, value=US_EAST_MOBILE, timezones=["America/New_York"],
                        wrong_number_at=local(NEW_YORK, 2026, 9, 1, 12))

    assert can_contact(debtor, "call", west, local(LOS_ANGELES, 2026, 9, 16, 8, 30)).allowed


def test_zones_whose_windows_never_meet_mean_no_call_that_day():
    # Given an Italian debtor with an Australian mobile: on a Rome Saturday (08:30-15:00) it
    # is already Saturday evening or Sunday in Sydney, where no call is allowed
    debtor, mobile = debtor_with_phone(phone=IT_MOBILE, zones=["Europe/Rome"])
    ContactPointFactory(debtor=debtor, value="+61412345678", timezones=["Australia/Sydney"])
    saturday = local(ROME, 2026, 12, 5, 10)
    facts = facts_load([debtor], at=saturday)[debtor.pk]

    # When the Italian mobile is checked on Saturday
    _primary, intervals = permitted_window(facts, "call", mobile, saturday)
    decision = can_contact(debtor, "call", mobile, saturday)

    # Then there is no window that day, and the next one opens on Monday at 08:30 in Rome
    # (18:30 in Sydney), dialling stopping at 10:50 (21:00 in Sydney, less 10 minutes)
    assert intervals == []
    assert not decision.allowed
    assert decision.rule_ids == ["IT.call_window"]
    assert decision.next_permitted_at == local(ROME, 2026, 12, 7, 8, 30)
    assert can_contact(debtor, "call", mobile, local(ROME, 2026, 12, 7, 10, 49)).allowed
    assert not can_contact(debtor, "call", mobile, local(ROME, 2026, 12, 7, 10, 50)).allowed
