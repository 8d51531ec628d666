"""One source of truth for a debtor's credit limit: the approved CreditLimit in force, and
Debtor.credit_limit its copy, written in the same transaction. The debtor's page and its credit
page read the same figure."""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from credit import services
from credit.demo import credit_demo_create
from credit.models import CreditDecision, CreditLimit
from portfolio.demo import demo_portfolio_create
from portfolio.demo_users import demo_users_create
from portfolio.models import Debtor
from tests.credit.factories import score

pytestmark = pytest.mark.django_db


def _limit_on_debtor_page(client, debtor):
    page = client.get(reverse("portfolio:debtor_detail", args=[debtor.pk])).content.decode()
    badge = re.search(r'data-testid="credit-limit">[^<]*?€?([\d.,]+)(?:\xa0€)?<', page)
    return badge.group(1) if badge else None


def _limit_on_credit_page(client, debtor):
    page = client.get(reverse("credit:debtor_credit", args=[debtor.pk])).content.decode()
    shown = re.search(r'data-testid="limit">€?([\d.,]+)(?:\xa0€)?<', page)
    return (shown.group(1) if shown else None), page


def test_a_limit_loaded_on_the_debtor_is_carried_into_the_record_and_both_pages_agree(
        client, personas, debtor):
    Debtor.objects.filter(pk=debtor.pk).update(credit_limit=Decimal("1000.00"))
    client.force_login(personas.credit_manager)

    carried = services.credit_limits_carry_over(client_ids=[personas.client_a.pk])
    again = services.credit_limits_carry_over(client_ids=[personas.client_a.pk])
    header = _limit_on_debtor_page(client, debtor)
    credit_figure, credit_page = _limit_on_credit_page(client, debtor)

    assert (carried, again) == (1, 0)
    limit = CreditLimit.objects.get(debtor=debtor, status="active")
    assert limit.amount == Decimal("1000.00")
    assert limit.request.decisions.get().action == CreditDecision.Action.CARRY_OVER
    assert header == credit_figure == "1,000.00"
    assert "No limit approved yet" not in credit_page


def test_an_approval_moves_both_pages_to_the_new_limit_in_italian_too(client, personas, debtor):
    score(debtor, "A")
    request = services.credit_request_create(debtor=debtor, amount=Decimal("8000"),
                                             justification="First orders", by=personas.agent)
    services.credit_request_submit(request=request, by=personas.agent)
    client.force_login(personas.credit_manager)

    english = (_limit_on_debtor_page(client, debtor), _limit_on_credit_page(client, debtor)[0])
    with translation.override("it"):
        client.cookies["django_language"] = "it"
        italian = (_limit_on_debtor_page(client, debtor),
                   _limit_on_credit_page(client, debtor)[0])

    assert english == ("8,000.00", "8,000.00")
    assert italian == ("8.000,00", "8.000,00")


def test_the_demo_limits_are_approved_limits_in_the_record():
    clients = demo_portfolio_create(seed=7, today=__import__("datetime").date(2026, 11, 23),
                                    invoices=300)
    demo_users_create(clients=clients)

    credit_demo_create(clients=clients)
    credit_demo_create(clients=clients)

    loaded = Debtor.objects.filter(credit_limit__isnull=False)
    assert loaded.exists()
    active = dict(CreditLimit.objects.filter(status="active").values_list("debtor_id", "amount"))
    assert {debtor.pk: debtor.credit_limit for debtor in loaded} == active
    flagged = CreditDecision.objects.filter(against_recommendation=True)
    assert flagged.exists()
    assert CreditDecision.objects.filter(action="vote_approve").exists()


def test_the_admin_cannot_edit_the_copy_of_the_limit(personas):
    request = RequestFactory().get("/")
    request.user = personas.admin

    assert "credit_limit" in site._registry[Debtor].get_readonly_fields(request)
