"""Properties of the pure decision over many zones and times (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance import windows
from compliance.engine import AttemptFact, DebtorFacts, PointFact, decide
from compliance.loader import PackIndex
from compliance.rules import Param

pytestmark = pytest.mark.django_db

ZONES = ["Europe/Rome", "Europe/London", "America/New_York", "America/Chicago",
         "America/Denver", "America/Los_Angeles", "America/Phoenix", "Pacific/Honolulu",
         "Asia/Tokyo", "Australia/Sydney"]
COUNTRIES = {"IT": "Europe/Rome", "GB": "Europe/London", "US": "America/New_York"}


@pytest.fixture(scope="module")
def packs(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return PackIndex(dt.datetime(2026, 6, 1, tzinfo=dt.UTC))


def facts_for(packs, country: str, address_zone: str, phone_zones: list[str]) -> DebtorFacts:
    rules = packs.ruleset(country, "")
    return DebtorFacts(
        debtor_id=1, client_id=1, country=country, region="", timezone=address_zone,
        deceased=False, vulnerable=False, do_not_call=False, pack_rules=rules, rules=rules,
        points=[PointFact("phone", "+10000000000", "mobile", tuple(phone_zones))])


# hypothesis takes naive bounds and attaches the zone itself.
instants = st.datetimes(min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
                        max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001
                        timezones=st.just(dt.UTC))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(country=st.sampled_from(sorted(COUNTRIES)),
       phone_zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3), at=instants)
def test_an_allowed_time_is_inside_every_candidate_zones_window(packs, country, phone_zones, at):
    facts = facts_for(packs, country, COUNTRIES[country], phone_zones)
    rules = facts.rules
    is_holiday = windows.holiday_check(country)

    decision = decide(facts, "call", "+10000000000", at)

    if decision.allowed:
        stop = dt.timedelta(minutes=rules[Param.STOP_BEFORE_END_MINUTES])
        for name in {COUNTRIES[country], *phone_zones}:
            local = at.astimezone(windows.zone(name))
            window = windows.zone_window(rules, windows.zone(name), local.date(), is_holiday)
            assert window is not None, (name, local)
            assert window[0] <= at < window[1] - stop, (name, local)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(country=st.sampled_from(sorted(COUNTRIES)),
       phone_zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=2), at=instants)
def test_the_next_permitted_time_is_allowed_and_nothing_earlier_is(packs, country,
                                                                  phone_zones, at):
    facts = facts_for(packs, country, COUNTRIES[country], phone_zones)

    decision = decide(facts, "call", "+10000000000", at)

    if not decision.allowed and decision.next_permitted_at is not None:
        assert decide(facts, "call", "+10000000000", decision.next_permitted_at).allowed
        just_before = decision.next_permitted_at - dt.timedelta(minutes=1)
        if just_before >= at:
            assert not decide(facts, "call", "+10000000000", just_before).allowed


RESULTS = ["busy", "not_in_service", "no_answer", "voicemail_left", "answered", "dropped"]


@st.composite
def histories(draw, at: dt.datetime):
    attempts = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        # Days and minutes drawn apart so that histories spread over the week.
        started = at - dt.timedelta(days=draw(st.integers(min_value=0, max_value=9)),
                                    minutes=draw(st.integers(min_value=1, max_value=24 * 60)))
        result = draw(st.sampled_from(RESULTS))
        conversation = result == "answered" and draw(st.booleans())
        follow_up = (started + dt.timedelta(hours=draw(st.integers(1, 72)))
                     if conversation and draw(st.booleans()) else None)
        consent = started - dt.timedelta(hours=1) if draw(st.integers(0, 9)) == 0 else None
        destination = draw(st.sampled_from(["+10000000000", "+10000000001"]))
        attempts.append(AttemptFact("call", destination, started, result, conversation, "",
                                    consent, follow_up))
    return sorted(attempts, key=lambda a: a.started_at)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(country=st.sampled_from(sorted(COUNTRIES)), at=instants, data=st.data())
def test_with_any_history_the_next_permitted_time_is_the_first_allowed_one(packs, country, at,
                                                                           data):
    facts = facts_for(packs, country, COUNTRIES[country], [COUNTRIES[country]])
    facts.attempts = data.draw(histories(at))

    decision = decide(facts, "call", "+10000000000", at)

    if not decision.allowed and decision.next_permitted_at is not None:
        assert decision.next_permitted_at > at
        assert decide(facts, "call", "+10000000000", decision.next_permitted_at).allowed
        just_before = decision.next_permitted_at - dt.timedelta(minutes=1)
        if just_before >= at:
            assert not decide(facts, "call", "+10000000000", just_before).allowed
