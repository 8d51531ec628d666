from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio import services
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def test_the_debtor_page_shows_exposure_against_the_limit_to_credit_staff(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    InvoiceFactory(debtor=debtor, amount=Decimal("950.00"))
    services.debtor_credit_limit_set(debtor=debtor, amount=Decimal("1000.00"))
    client.force_login(personas.credit_manager)

    page = client.get(reverse("portfolio:debtor_detail", args=[debtor.pk])).content.decode()

    assert 'data-testid="panel-credit"' in page
    assert 'data-testid="debtor-score"' in page
    assert 'data-state="warning"' in page  # 95% of the limit: the 90% alert


def test_agents_get_the_pre_dial_check_and_client_viewers_do_not(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    check = reverse("compliance:debtor_check", args=[debtor.pk])

    client.force_login(personas.agent)
    agent_page = client.get(reverse("portfolio:debtor_detail", args=[debtor.pk])).content.decode()
    client.force_login(personas.viewer_a)
    viewer_page = client.get(reverse("portfolio:debtor_detail", args=[debtor.pk])).content.decode()

    assert check in agent_page
    assert check not in viewer_page


def test_a_number_reported_wrong_is_marked_on_the_debtor_page(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    wrong = ContactPointFactory(debtor=debtor, value="+390212345678")
    ContactPointFactory(debtor=debtor, value="+393331234567")
    services.contact_point_wrong_number_report(point=wrong, by=personas.agent)
    client.force_login(personas.agent)

    page = client.get(reverse("portfolio:debtor_detail", args=[debtor.pk])).content.decode()

    # Numbers read grouped for people; only the good one is a link to dial.
    items = {line for line in page.split("<li>") if "+39" in line}
    assert any("+39 02 1234 5678" in item and "wrong number" in item
               and "tel:" not in item for item in items)
    assert not any("+39 333 123 4567" in item and "wrong number" in item for item in items)
    assert 'href="tel:+393331234567"' in page
