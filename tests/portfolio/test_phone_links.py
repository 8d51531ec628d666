"""Phone numbers are links a softphone can dial (E.164 in the href), written for people."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.html import escape

from portfolio.templatetags.formatting import tel_link
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import ContactPointFactory, DebtorFactory

pytestmark = pytest.mark.django_db

LINK = '<a href="tel:+390212345678" class="tel">+39 02 1234 5678</a>'


def test_a_number_links_in_e164_and_reads_grouped():
    assert tel_link("+390212345678") == LINK
    # Read at home (the debtor's country given): the national format.
    assert tel_link("02 1234 5678", "IT") == (
        '<a href="tel:+390212345678" class="tel">02 1234 5678</a>')
    assert tel_link("mario@example.it") == "mario@example.it"
    assert tel_link("<script>") == escape("<script>")


def test_the_debtor_page_links_its_phones_but_not_a_wrong_number(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    ContactPointFactory(debtor=debtor, value="+390212345678")
    ContactPointFactory(debtor=debtor, value="+393471234567", wrong_number_at=timezone.now())
    client.force_login(personas.agent)

    page = client.get(f"/portfolio/debtors/{debtor.pk}/").content.decode()

    assert LINK in page
    assert "+39 347 123 4567" in page and 'href="tel:+393471234567"' not in page


def test_the_courtesy_call_workspace_links_the_debtors_phone(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    ContactPointFactory(debtor=debtor, value="+390212345678")
    call = CourtesyCallFactory(debtor=debtor, policy=CaringPolicyFactory(client=debtor.client),
                               scheduled_at=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(personas.agent)
    client.post(f"/caring/calls/{call.pk}/claim/")

    page = client.get(f"/caring/calls/{call.pk}/").content.decode()

    assert LINK in page
