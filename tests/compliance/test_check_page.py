"""The pre-dial check page and the debtor panel: the right kind of destination for each
channel, the engine's times in the debtor's own zone, and the reasons in the reader's
language."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.engine import can_contact, permitted_window
from compliance.loader import facts_load
from compliance.models import ContactDecision
from tests.compliance.factories import debtor_with_phone, local
from tests.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
CHICAGO_PHONE = "+13125550123"


def _debtor_with_phone_and_email(client):
    debtor, phone = debtor_with_phone(client=client)
    ContactPointFactory(debtor=debtor, channel="email", value="anna@example.it", timezones=[])
    return debtor, phone


def _options(body: str) -> list[str]:
    select = re.search(r'<select name="destination"[^>]*>(.*?)</select>', body, re.S)
    assert select, body
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_the_check_refuses_an_email_address_as_the_number_for_a_call(client, personas):
    debtor, _phone = _debtor_with_phone_and_email(personas.client_a)
    client.force_login(personas.agent)

    response = client.post(reverse("compliance:debtor_check", args=[debtor.pk]),
                           {"channel": "call", "destination": "anna@example.it"})

    assert response.status_code == 400
    assert ("anna@example.it is an e-mail address: a call or a text goes to one of the "
            "debtor&#x27;s phone numbers.") in response.content.decode()
    assert not ContactDecision.objects.exists()


def test_the_check_refuses_a_phone_number_as_an_email_destination(client, personas):
    debtor, phone = _debtor_with_phone_and_email(personas.client_a)
    client.force_login(personas.agent)

    response = client.post(reverse("compliance:debtor_check", args=[debtor.pk]),
                           {"channel": "email", "destination": phone},
                           HTTP_HX_REQUEST="true")

    assert "is a phone number: an e-mail goes to one of the" in response.content.decode()
    assert 'data-testid="check-errors"' in response.content.decode()
    assert not ContactDecision.objects.exists()


def test_the_check_refuses_a_number_that_is_not_the_debtors(client, personas):
    debtor, _phone = _debtor_with_phone_and_email(personas.client_a)
    client.force_login(personas.agent)

    response = client.post(reverse("compliance:debtor_check", args=[debtor.pk]),
                           {"channel": "call", "destination": "+390299999999"})

    assert response.status_code == 400
    assert "is not one of the debtor&#x27;s contact points" in response.content.decode()


def test_the_check_offers_phones_for_a_call_and_addresses_for_an_email(client, personas):
    debtor, phone = _debtor_with_phone_and_email(personas.client_a)
    client.force_login(personas.agent)
    url = reverse("compliance:debtor_check", args=[debtor.pk])

    for_a_call = client.get(url).content.decode()
    for_an_email = client.get(url, {"channel": "email"}).content.decode()

    assert _options(for_a_call) == [phone]
    assert _options(for_an_email) == ["anna@example.it"]


def test_the_engine_never_dials_an_email_address_nor_emails_a_phone():
    debtor, phone = debtor_with_phone()
    ContactPointFactory(debtor=debtor, channel="email", value="anna@example.it", timezones=[])
    at = local(ZoneInfo("Europe/Rome"), 2026, 9, 16, 11)

    call = can_contact(debtor, "call", "anna@example.it", at, record=False)
    mail = can_contact(debtor, "email", phone, at, record=False)

    assert (call.allowed, call.rule_ids) == (False, ["contact.destination_not_for_channel"])
    assert (mail.allowed, mail.rule_ids) == (False, ["contact.destination_not_for_channel"])
    assert can_contact(debtor, "email", "anna@example.it", at, record=False).allowed


def _chicago_debtor(client):
    return debtor_with_phone(client=client, country="US", region="IL",
                             timezone="America/Chicago", phone=CHICAGO_PHONE,
                             zones=["America/Chicago"])


def test_a_chicago_debtors_next_permitted_time_reads_in_chicago_time(client, personas):
    # Given a Chicago debtor checked on a Sunday (no calls by default under the US pack)
    debtor, phone = _chicago_debtor(personas.client_a)
    decision = can_contact(debtor, "call", phone, local(CHICAGO, 2026, 12, 6, 11))
    assert decision.next_permitted_at == local(CHICAGO, 2026, 12, 7, 8)
    client.force_login(personas.agent)

    # When the debtor page and the check page are read
    panel = client.get(reverse("portfolio:debtor_detail", args=[debtor.pk])).content.decode()
    check = client.get(reverse("compliance:debtor_check", args=[debtor.pk])).content.decode()

    # Then the next permitted time is Monday 08:00 in Chicago, the zone named (not 15:00,
    # the time in Rome)
    assert "Mon 7 Dec 2026, 08:00 (America/Chicago)" in panel
    assert "Sun 6 Dec 2026, 11:00 (America/Chicago)" in panel
    assert "2026-12-06 11:00" in check
    assert "Times in the debtor's zone, America/Chicago." in check


def test_the_check_shows_todays_window_in_the_debtors_zone(client, personas):
    debtor, phone = _chicago_debtor(personas.client_a)
    client.force_login(personas.agent)

    body = client.post(reverse("compliance:debtor_check", args=[debtor.pk]),
                       {"channel": "call", "destination": phone},
                       HTTP_HX_REQUEST="true").content.decode()

    _zone, intervals = permitted_window(facts_load([debtor], at=timezone.now())[debtor.pk],
                                        "call", phone, timezone.now())
    assert "Today's window (America/Chicago)" in body
    if intervals:  # Monday to Saturday but holidays: 08:00-21:00 in Chicago
        assert "08:00\u201321:00" in body  # an en dash between the times
    else:
        assert "no contact today" in body


def test_the_reasons_and_times_read_in_italian_and_the_evidence_stays_english(client,
                                                                              personas):
    debtor, phone = _chicago_debtor(personas.client_a)
    can_contact(debtor, "call", phone, local(CHICAGO, 2026, 12, 6, 11))
    client.force_login(personas.agent)

    panel = client.get(f"/it/portfolio/debtors/{debtor.pk}/").content.decode()
    check = client.get(f"/it/compliance/debtors/{debtor.pk}/check/").content.decode()

    stored = ContactDecision.objects.get()
    assert stored.reason == "No contact on 2026-12-06: it is a Sunday."
    assert "Nessun contatto il 06 Dicembre 2026: è domenica." in panel
    assert "Lunedì 07 Dicembre 2026 08:00 (America/Chicago)" in panel
    assert "06/12/2026 11:00" in check
    assert "Orari nel fuso del debitore, America/Chicago." in check


def test_a_rule_id_is_explained_in_the_readers_language(client, personas):
    debtor, phone = debtor_with_phone(client=personas.client_a, do_not_call=True,
                                      do_not_call_set_at=timezone.now())
    client.force_login(personas.agent)
    client.post(reverse("set_language"), {"language": "it", "next": "/"})

    body = client.post(f"/it/compliance/debtors/{debtor.pk}/check/",
                       {"channel": "call", "destination": phone},
                       HTTP_HX_REQUEST="true").content.decode()

    assert "Nessun contatto: il debitore non vuole essere chiamato." in body
    assert "<code>hold.do_not_call</code> Blocco del conto: non chiamare" in body


def test_a_packs_rules_read_in_italian(client, personas):
    client.force_login(personas.credit_manager)

    body = client.get("/it/compliance/packs/IT/").content.decode()

    assert "Sab 08:30-15:00" in body
    assert "Dom nessuna chiamata" in body
    assert "180 min (3 h)" in body
