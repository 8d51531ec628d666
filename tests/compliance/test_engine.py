"""The engine's layers, local time and calendars, each as behaviour."""

from __future__ import annotations

import datetime as dt

import pytest

from access.errors import DomainError
from compliance import services
from compliance.engine import can_contact, can_contact_many, permitted_window
from compliance.loader import facts_load
from compliance.models import ContactDecision, ContactHold, RulePack
from portfolio import services as portfolio_services
from tests.compliance.factories import (
    IT_MOBILE,
    LONDON,
    LOS_ANGELES,
    NEW_YORK,
    ROME,
    UK_MOBILE,
    US_EAST_MOBILE,
    US_WEST_MOBILE,
    attempt,
    debtor_with_phone,
    local,
)
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

MONDAY = (2026, 9, 14)  # an ordinary Monday in Italy


def it_debtor(**kwargs):
    return debtor_with_phone(**kwargs)


# ---- windows, calendars, local time -------------------------------------------------------

def test_it_stops_dialling_ten_minutes_before_the_window_ends():
    debtor, phone = it_debtor()

    last_minute = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 20, 49))
    too_late = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 20, 50))

    assert last_minute.allowed
    assert not too_late.allowed
    assert too_late.rule_ids == ["IT.call_window", "IT.stop_before_end_minutes"]
    assert too_late.next_permitted_at == local(ROME, 2026, 9, 15, 8, 30)


def test_it_cuts_saturday_off_at_15_in_italy():
    debtor, phone = it_debtor()
    saturday = (2026, 9, 19)

    assert can_contact(debtor, "call", phone, local(ROME, *saturday, 14, 49)).allowed
    at_cut_off = can_contact(debtor, "call", phone, local(ROME, *saturday, 14, 50))
    at_three = can_contact(debtor, "call", phone, local(ROME, *saturday, 15, 0))

    assert not at_cut_off.allowed and not at_three.allowed
    assert at_three.next_permitted_at == local(ROME, 2026, 9, 21, 8, 30)  # Monday


def test_it_refuses_sundays_and_names_the_rule():
    debtor, phone = it_debtor()

    sunday = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 20, 11))

    assert not sunday.allowed
    assert sunday.rule_ids == ["IT.calls_on_sundays"]
    assert sunday.next_permitted_at == local(ROME, 2026, 9, 21, 8, 30)


def test_it_refuses_ferragosto_and_resumes_on_the_next_working_day():
    debtor, phone = it_debtor()

    ferragosto = can_contact(debtor, "call", phone, local(ROME, 2026, 8, 15, 10))

    assert not ferragosto.allowed
    assert ferragosto.rule_ids == ["IT.calls_on_public_holidays"]
    assert ferragosto.next_permitted_at == local(ROME, 2026, 8, 17, 8, 30)


def test_it_refuses_christmas_and_santo_stefano():
    debtor, phone = it_debtor()

    christmas = can_contact(debtor, "call", phone, local(ROME, 2026, 12, 25, 10))

    assert christmas.rule_ids == ["IT.calls_on_public_holidays"]
    # 26 December (Santo Stefano) is a holiday too, 27 is a Sunday.
    assert christmas.next_permitted_at == local(ROME, 2026, 12, 28, 8, 30)


def test_a_debtor_with_no_address_zone_uses_the_phones_zone():
    debtor, phone = debtor_with_phone(country="US", region="", timezone="",
                                      phone=US_WEST_MOBILE, zones=["America/Los_Angeles"])

    assert not can_contact(debtor, "call", phone, local(LOS_ANGELES, *MONDAY, 7, 30)).allowed
    assert can_contact(debtor, "call", phone, local(LOS_ANGELES, *MONDAY, 8, 0)).allowed


def test_a_debtor_with_no_address_and_no_phone_zone_uses_the_countrys():
    debtor = DebtorFactory(country="IT", timezone="")
    ContactPointFactory(debtor=debtor, channel="email", value="a@example.invalid",
                        timezones=[])

    early = can_contact(debtor, "email", "a@example.invalid", local(ROME, *MONDAY, 8, 0))

    assert not early.allowed
    assert early.next_permitted_at == local(ROME, *MONDAY, 8, 30)


def test_an_unknown_zone_name_on_file_falls_back_to_the_others():
    debtor, phone = debtor_with_phone(timezone="Mars/Olympus", zones=["Europe/Rome"])

    assert can_contact(debtor, "call", phone, local(ROME, *MONDAY, 10)).allowed
    assert not can_contact(debtor, "call", phone, local(ROME, *MONDAY, 8)).allowed


def test_a_number_in_another_country_narrows_the_window_to_both_zones():
    # An Italian debtor with a British mobile: 08:30 in London is 09:30 in Rome.
    debtor, phone = debtor_with_phone(phone=UK_MOBILE, zones=["Europe/London"])

    before = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 9, 0))

    assert not before.allowed
    assert "Europe/London" in before.reason
    assert before.next_permitted_at == local(LONDON, *MONDAY, 8, 30)
    assert can_contact(debtor, "call", phone, local(ROME, *MONDAY, 9, 30)).allowed


def test_the_window_follows_daylight_saving_in_each_zone():
    # A Rome debtor with a New York mobile: the US moves its clocks on 8 March 2026, Europe
    # on 29 March, so the gap is 5 hours in between and 6 hours after.
    debtor, phone = debtor_with_phone(phone=US_EAST_MOBILE, zones=["America/New_York"])
    facts = facts_load([debtor], at=local(ROME, 2026, 3, 16))[debtor.pk]

    _zone, between = permitted_window(facts, "call", phone, dt.date(2026, 3, 16))
    _zone, after = permitted_window(facts, "call", phone, dt.date(2026, 3, 30))

    assert between == [(local(ROME, 2026, 3, 16, 13, 30), local(ROME, 2026, 3, 16, 21))]
    assert after == [(local(ROME, 2026, 3, 30, 14, 30), local(ROME, 2026, 3, 30, 21))]


def test_on_the_day_clocks_go_back_the_window_opens_at_local_eight(django_user_model):
    # The US pack allows Sundays by law; a new version that says so takes effect, and on
    # Sunday 1 November 2026 (clocks back at 02:00) the window opens at 08:00 EST = 13:00 UTC.
    us = RulePack.objects.get(code="US")
    services.rule_pack_version_publish(pack=us, effective_from=local(NEW_YORK, 2026, 10, 1, 0),
                                       changes={"calls_on_sundays": True},
                                       note="Sunday calls allowed")
    debtor, phone = debtor_with_phone(country="US", region="NY", timezone="America/New_York",
                                      phone=US_EAST_MOBILE, zones=["America/New_York"])

    early = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 11, 1, 7, 30))

    assert not early.allowed
    assert early.next_permitted_at == dt.datetime(2026, 11, 1, 13, 0, tzinfo=dt.UTC)
    assert early.pack_version == 2


def test_zones_whose_windows_never_overlap_mean_no_call_that_day():
    # An Italian debtor with a Los Angeles number on a Saturday: Rome's 08:30-15:00 is
    # 23:30-06:00 in Los Angeles, and nothing of Los Angeles' day falls inside it.
    debtor, phone = debtor_with_phone(phone=US_WEST_MOBILE, zones=["America/Los_Angeles"])
    saturday = dt.date(2026, 9, 19)
    facts = facts_load([debtor], at=local(ROME, 2026, 9, 19))[debtor.pk]

    _zone, intervals = permitted_window(facts, "call", phone, saturday)
    decision = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 19, 12))

    assert intervals == []
    assert not decision.allowed
    # Monday: Rome 08:30-21:00 meets Los Angeles 08:30-21:00 from 17:30 in Rome.
    assert decision.next_permitted_at == local(ROME, 2026, 9, 21, 17, 30)


# ---- frequency ----------------------------------------------------------------------------

def test_busy_and_not_in_service_do_not_count_toward_seven_in_seven():
    debtor, phone = debtor_with_phone(country="US", region="NY", timezone="America/New_York",
                                      phone=US_EAST_MOBILE, zones=["America/New_York"])
    for day in range(8, 15):
        result = "busy" if day in (9, 11) else "voicemail_left"
        attempt(debtor, phone, local(NEW_YORK, 2026, 9, day, 10), result=result)
    attempt(debtor, phone, local(NEW_YORK, 2026, 9, 12, 14), result="not_in_service")

    assert can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 9, 14, 15)).allowed


def test_calls_within_seven_days_of_the_debtors_consent_are_not_counted():
    debtor, phone = debtor_with_phone(country="US", region="NY", timezone="America/New_York",
                                      phone=US_EAST_MOBILE, zones=["America/New_York"])
    consent = local(NEW_YORK, 2026, 9, 7, 9)
    for day in range(8, 15):
        attempt(debtor, phone, local(NEW_YORK, 2026, 9, day, 10), result="no_answer",
                consent_given_at=consent if day == 8 else None)

    # Days 8-14 hold seven calls, but those up to 14 September 09:00 follow the consent.
    decision = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 9, 14, 15))

    assert decision.allowed, decision.reason


def test_the_massachusetts_overlay_allows_two_calls_or_texts_per_seven_days():
    debtor, phone = debtor_with_phone(country="US", region="MA", timezone="America/New_York",
                                      phone=US_EAST_MOBILE, zones=["America/New_York"])
    attempt(debtor, phone, local(NEW_YORK, 2026, 9, 8, 10), result="no_answer")
    attempt(debtor, phone, local(NEW_YORK, 2026, 9, 9, 10), channel="sms", result="answered")

    third = can_contact(debtor, "call", phone, local(NEW_YORK, 2026, 9, 10, 10))

    assert not third.allowed
    assert third.rule_ids == ["US-MA.connected_calls_per_7_days"]
    assert third.pack_code == "US-MA"
    assert third.next_permitted_at == local(NEW_YORK, 2026, 9, 15, 8)


def test_italy_allows_one_conversation_a_day_even_with_a_follow_up_agreed():
    debtor, phone = it_debtor()
    attempt(debtor, phone, local(ROME, *MONDAY, 9), result="answered",
            party="right_party_verified", follow_up_at=local(ROME, *MONDAY, 15))

    same_day = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 16))
    next_day = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 15, 10))
    quiet = can_contact(debtor, "call", IT_MOBILE, local(ROME, 2026, 9, 17, 10))

    assert same_day.rule_ids == ["IT.conversations_per_day"]
    assert next_day.allowed, next_day.reason  # the agreed follow-up lifts the quiet period
    assert quiet.allowed


def test_italy_keeps_three_quiet_days_after_a_conversation_without_a_follow_up():
    debtor, phone = it_debtor()
    attempt(debtor, phone, local(ROME, *MONDAY, 9), result="answered",
            party="right_party_verified")

    wednesday = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 16, 10))

    assert wednesday.rule_ids == ["IT.quiet_days_after_conversation"]
    assert wednesday.next_permitted_at == local(ROME, 2026, 9, 17, 8, 30)


# ---- pacing -------------------------------------------------------------------------------

def test_italy_allows_two_attempts_a_day_across_all_numbers():
    debtor, phone = it_debtor()
    other = ContactPointFactory(debtor=debtor, value="+390212345678").value
    attempt(debtor, phone, local(ROME, *MONDAY, 9))
    attempt(debtor, other, local(ROME, *MONDAY, 12, 30))

    third = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 16))

    assert third.rule_ids == ["IT.attempts_per_day"]
    assert third.next_permitted_at == local(ROME, 2026, 9, 15, 8, 30)


def test_italy_spaces_attempts_to_one_number_by_three_hours():
    debtor, phone = it_debtor()
    other = ContactPointFactory(debtor=debtor, value="+390212345678").value
    attempt(debtor, phone, local(ROME, *MONDAY, 9))

    same_number = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 11))
    other_number = can_contact(debtor, "call", other, local(ROME, *MONDAY, 11))

    assert same_number.rule_ids == ["IT.min_spacing_minutes"]
    assert same_number.next_permitted_at == local(ROME, *MONDAY, 12)
    assert other_number.allowed


# ---- holds --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [k for k in ContactHold.Kind.values if k != "dispute"])
@pytest.mark.parametrize("channel", ["call", "sms", "survey"])
def test_every_account_hold_denies_every_channel(kind, channel):
    debtor, phone = it_debtor()
    services.hold_place(debtor=debtor, kind=kind, starts_at=local(ROME, 2026, 9, 1))

    decision = can_contact(debtor, channel, phone, local(ROME, *MONDAY, 10))

    assert not decision.allowed
    assert decision.rule_ids == [f"hold.{kind}"]
    assert decision.next_permitted_at is None
    assert not decision.overridable


@pytest.mark.parametrize("flag", ["deceased", "vulnerable"])
def test_a_deceased_or_vulnerable_debtor_is_not_contacted(flag):
    debtor, phone = it_debtor(**{flag: True, f"{flag}_set_at": local(ROME, 2026, 9, 1)})

    decision = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 10))

    assert not decision.allowed
    assert decision.rule_ids == [{"deceased": "hold.deceased",
                                  "vulnerable": "hold.vulnerability"}[flag]]


def test_do_not_call_stops_calls_but_not_emails():
    debtor, phone = it_debtor(do_not_call=True, do_not_call_set_at=local(ROME, 2026, 9, 1))
    ContactPointFactory(debtor=debtor, channel="email", value="d@example.invalid")

    assert can_contact(debtor, "call", phone, local(ROME, *MONDAY, 10)).rule_ids == [
        "hold.do_not_call"]
    assert can_contact(debtor, "email", "d@example.invalid", local(ROME, *MONDAY, 10)).allowed


def test_breathing_space_lifts_when_it_ends():
    debtor, phone = debtor_with_phone(country="GB", timezone="Europe/London", phone=UK_MOBILE,
                                      zones=["Europe/London"])
    services.hold_place(debtor=debtor, kind="breathing_space",
                        starts_at=local(LONDON, 2026, 7, 16, 0),
                        ends_at=local(LONDON, 2026, 9, 14, 0))

    during = can_contact(debtor, "call", phone, local(LONDON, 2026, 9, 11, 10))

    assert during.rule_ids == ["hold.breathing_space"]
    assert during.next_permitted_at == local(LONDON, *MONDAY, 8, 0)


def test_a_dispute_pauses_contact_about_the_disputed_invoice_only():
    debtor, phone = it_debtor()
    disputed = InvoiceFactory(debtor=debtor, status="disputed")
    undisputed = InvoiceFactory(debtor=debtor)
    at = local(ROME, *MONDAY, 10)

    about_disputed = can_contact(debtor, "call", phone, at, invoice_ids=[disputed.pk],
                                 record=False)
    about_other = can_contact(debtor, "call", phone, at, invoice_ids=[undisputed.pk],
                              record=False)
    survey = can_contact(debtor, "survey", phone, at, record=False)

    assert about_disputed.rule_ids == ["hold.dispute"]
    assert about_other.allowed
    assert survey.rule_ids == ["hold.dispute"]


def test_a_dispute_hold_on_every_open_invoice_pauses_the_account():
    debtor, phone = it_debtor()
    invoice = InvoiceFactory(debtor=debtor)
    services.hold_place(debtor=debtor, kind="dispute", invoice_ids=[invoice.pk],
                        starts_at=local(ROME, 2026, 9, 1))
    services.hold_place(debtor=debtor, kind="dispute", starts_at=local(ROME, 2026, 9, 1))

    decision = can_contact(debtor, "email", phone, local(ROME, *MONDAY, 10))

    assert decision.rule_ids == ["hold.dispute"]


def test_a_released_hold_no_longer_denies():
    debtor, phone = it_debtor()
    hold = services.hold_place(debtor=debtor, kind="complaint",
                               starts_at=local(ROME, 2026, 9, 1))
    services.hold_release(hold=hold, at=local(ROME, 2026, 9, 2))

    assert can_contact(debtor, "call", phone, local(ROME, *MONDAY, 10)).allowed


# ---- the debtor's own restrictions ---------------------------------------------------------

def test_it_honours_not_before_ten():
    debtor, phone = it_debtor()
    services.restriction_add(debtor=debtor, kind="inconvenient_time",
                             not_before=dt.time(10, 0), at=local(ROME, 2026, 9, 1))

    early = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 9))

    assert early.rule_ids == ["debtor.inconvenient_time"]
    assert early.next_permitted_at == local(ROME, *MONDAY, 10)


def test_it_honours_a_day_the_debtor_finds_inconvenient():
    debtor, phone = it_debtor()
    services.restriction_add(debtor=debtor, kind="inconvenient_time", weekdays=["Saturday"],
                             at=local(ROME, 2026, 9, 1))

    saturday = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 19, 10))

    assert saturday.rule_ids == ["debtor.inconvenient_time"]
    assert saturday.next_permitted_at == local(ROME, 2026, 9, 21, 8, 30)
    assert can_contact(debtor, "call", phone, local(ROME, 2026, 9, 18, 10)).allowed


def test_it_honours_not_at_work():
    debtor, mobile = it_debtor()
    work = ContactPointFactory(debtor=debtor, value="+390298765432", label="work").value
    services.restriction_add(debtor=debtor, kind="inconvenient_place", place="work",
                             at=local(ROME, 2026, 9, 1))

    at_work = can_contact(debtor, "call", work, local(ROME, *MONDAY, 10))

    assert at_work.rule_ids == ["debtor.inconvenient_place"]
    assert can_contact(debtor, "call", mobile, local(ROME, *MONDAY, 10)).allowed


def test_an_opt_out_keyword_is_honoured_at_once():
    debtor, phone = it_debtor()
    received = local(ROME, *MONDAY, 10)

    restriction = services.sms_inbound_opt_out(debtor=debtor, body="  Stop. ",
                                               received_at=received, from_number=phone)
    text = can_contact(debtor, "sms", phone, received)

    assert restriction is not None and restriction.source == "sms_keyword"
    assert text.rule_ids == ["debtor.channel_opt_out"]
    assert can_contact(debtor, "call", phone, received).allowed


@pytest.mark.parametrize("body", ["STOP", "quit", "End", "revoke", "Opt out", "OPT-OUT",
                                  "cancel", "unsubscribe"])
def test_every_opt_out_keyword_opts_out(body):
    debtor, _phone = it_debtor()

    assert services.sms_inbound_opt_out(debtor=debtor, body=body,
                                        received_at=local(ROME, *MONDAY, 10)) is not None


def test_an_inbound_stop_reaches_every_debtor_of_the_client_with_that_number(personas):
    mine, phone = it_debtor(client=personas.client_a)
    theirs, same_phone = it_debtor(client=personas.client_b)
    assert same_phone == phone

    restrictions = services.sms_inbound_record(client=personas.client_a,
                                               from_number="347 123 4567", body="STOP",
                                               received_at=local(ROME, *MONDAY, 10))

    assert [r.debtor for r in restrictions] == [mine]
    assert can_contact(theirs, "sms", phone, local(ROME, *MONDAY, 10)).allowed


def test_a_message_that_only_mentions_stop_is_not_an_opt_out():
    debtor, _phone = it_debtor()

    assert services.sms_inbound_opt_out(debtor=debtor, body="I will stop by on Friday",
                                        received_at=local(ROME, *MONDAY, 10)) is None


def test_a_preferred_channel_excludes_the_others():
    debtor, phone = it_debtor()
    ContactPointFactory(debtor=debtor, channel="email", value="p@example.invalid")
    services.restriction_add(debtor=debtor, kind="preferred_channel", channel="email",
                             at=local(ROME, 2026, 9, 1))

    assert can_contact(debtor, "call", phone, local(ROME, *MONDAY, 10)).rule_ids == [
        "debtor.preferred_channel"]
    assert can_contact(debtor, "email", "p@example.invalid", local(ROME, *MONDAY, 10)).allowed


def test_no_text_goes_to_a_number_found_outside_the_clients_file_until_confirmed():
    debtor, _phone = it_debtor()
    found = ContactPointFactory(debtor=debtor, value="+393339999999", source="found",
                                confirmed=False).value

    text = can_contact(debtor, "sms", found, local(ROME, *MONDAY, 10))

    assert text.rule_ids == ["contact.unconfirmed_destination"]
    assert not text.overridable
    assert can_contact(debtor, "call", found, local(ROME, *MONDAY, 10)).allowed


def test_a_wrong_number_is_never_called_nor_picked_until_the_report_is_cleared():
    debtor, phone = it_debtor()
    other = ContactPointFactory(debtor=debtor, value="+393331234567").value
    point = debtor.contact_points.get(value=phone)
    portfolio_services.contact_point_wrong_number_report(point=point, by=None)
    monday_ten = local(ROME, *MONDAY, 10)

    call = can_contact(debtor, "call", phone, monday_ten)
    best = can_contact_many([debtor], "call", monday_ten)[debtor.pk]

    assert call.rule_ids == ["contact.wrong_number"]
    assert not call.overridable and call.next_permitted_at is None
    assert best.allowed and best.destination == other
    portfolio_services.contact_point_wrong_number_clear(point=point)
    assert can_contact(debtor, "call", phone, monday_ten).allowed


# ---- client rules and pack versions --------------------------------------------------------

def test_a_stricter_client_rule_is_accepted_and_applies():
    debtor, phone = it_debtor()
    services.client_contact_rule_save(client=debtor.client, parameter="attempts_per_day",
                                      value=1, country="IT")
    attempt(debtor, "+390212345678", local(ROME, *MONDAY, 9))

    decision = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 14))

    assert decision.rule_ids == ["client.attempts_per_day"]


def test_a_narrower_client_window_fires_as_a_client_rule():
    debtor, phone = it_debtor()
    week = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    services.client_contact_rule_save(client=debtor.client, parameter="call_window",
                                      value=week)

    evening = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 18))

    assert evening.rule_ids == ["client.call_window"]
    assert evening.next_permitted_at == local(ROME, 2026, 9, 15, 9)


def test_a_looser_client_rule_is_refused_naming_the_rule_it_would_loosen():
    client = DebtorFactory().client

    with pytest.raises(DomainError) as refused:
        services.client_contact_rule_save(client=client, parameter="attempts_per_day",
                                          value=3, country="IT")

    assert "IT.attempts_per_day" in refused.value.message
    assert refused.value.code == "looser_than_pack"


def test_a_wider_client_window_is_refused_for_every_pack_it_would_loosen():
    client = DebtorFactory().client
    wide = {day: ["07:00", "22:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}

    with pytest.raises(DomainError) as refused:
        services.client_contact_rule_save(client=client, parameter="call_window", value=wide)

    assert ".call_window" in refused.value.message


def test_a_decision_records_the_pack_version_in_force_at_decision_time():
    debtor, phone = it_debtor()
    italy = RulePack.objects.get(code="IT")
    services.rule_pack_version_publish(pack=italy, effective_from=local(ROME, 2026, 9, 15, 0),
                                       changes={"attempts_per_day": 1},
                                       note="Client association agreement")
    attempt(debtor, "+390212345678", local(ROME, *MONDAY, 9))
    attempt(debtor, "+390212345678", local(ROME, 2026, 9, 15, 9))

    before = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 14))
    after = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 15, 14))

    assert (before.allowed, before.pack_version) == (True, 1)
    assert (after.allowed, after.pack_version, after.rule_ids) == (
        False, 2, ["IT.attempts_per_day"])
    stored = ContactDecision.objects.filter(debtor=debtor).order_by("decided_at")
    assert [(d.pack_code, d.pack_version) for d in stored] == [("IT", 1), ("IT", 2)]


def test_a_debtor_in_a_country_without_a_pack_gets_the_default_pack():
    debtor, phone = debtor_with_phone(country="FR", timezone="Europe/Paris",
                                      zones=["Europe/Paris"])

    decision = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 19, 15, 30))

    assert decision.pack_code == "IT"
    assert not decision.allowed  # Italian Saturday cut-off


def test_every_decision_is_stored_as_evidence(personas):
    debtor, phone = it_debtor(client=personas.client_a)

    decision = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 20, 10),
                           actor=personas.agent, purpose="manual_dial")

    assert decision.decision_id is not None
    stored = ContactDecision.objects.get(pk=decision.decision_id)
    assert (stored.allowed, stored.rule_ids, stored.pack_code, stored.pack_version,
            stored.actor, stored.purpose) == (False, ["IT.calls_on_sundays"], "IT", 1,
                                              personas.agent, "manual_dial")
    assert stored.next_permitted_at == local(ROME, 2026, 9, 21, 8, 30)
