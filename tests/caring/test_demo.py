"""The demo portfolio's caring side: every demo client has policies, and months of caring
history (control group and past calls) make the comparison page meaningful on first start."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as BrowserClient

from access.roles import Role
from caring import selectors
from caring.models import CaringAssignment, CaringPolicy, CourtesyCall, CourtesyCallInvoice
from portfolio.demo import DEMO_CLIENTS, demo_portfolio_create
from portfolio.demo_users import demo_users_create
from tests.factories import user_with_role
from tests.portfolio.test_demo import _portfolio_wipe

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def demo():
    return demo_portfolio_create(seed=11, today=TODAY, invoices=4_000)


def _history() -> list[tuple]:
    return sorted(CaringAssignment.objects.values_list(
        "invoice__number", "policy__segment", "window_date", "bucket", "in_control"))


def test_every_demo_client_has_its_caring_policies(demo) -> None:
    for client, spec in zip(demo, DEMO_CLIENTS, strict=True):
        policies = CaringPolicy.objects.filter(client=client, active=True)
        assert {policy.segment for policy in policies} == {p.segment for p in spec.caring}
    utility = CaringPolicy.objects.get(client=demo[0], segment="consumer")
    assert utility.days_before_due == 5
    distributor = CaringPolicy.objects.get(client=demo[1])
    assert (distributor.days_before_due, distributor.min_amount) == (7, 1000)


def test_the_comparison_has_both_groups_and_called_invoices_paid_on_time_more_often(
        demo) -> None:
    called, control = selectors.caring_compare(assignments=CaringAssignment.objects.all(),
                                               as_of=TODAY)
    assert called.invoices > 500
    assert control.invoices > 80
    assert control.on_time_rate.low is not None
    called_rate, control_rate = called.on_time_rate.value, control.on_time_rate.value
    assert called_rate is not None and control_rate is not None
    assert called_rate > control_rate
    # Every called invoice belongs to one finished call with an outcome; control invoices
    # were never called.
    linked = set(CourtesyCallInvoice.objects.values_list("invoice_id", flat=True))
    assert linked == set(CaringAssignment.objects.filter(in_control=False)
                         .values_list("invoice_id", flat=True))
    calls = CourtesyCall.objects.all()
    assert not calls.filter(status__in=["planned", "in_progress"]).exists()
    assert not calls.filter(outcome="").exists()
    assert {"received_ok", "payment_date", "unreachable"} <= set(
        calls.values_list("outcome", flat=True))
    assert not calls.filter(window_date__gte=TODAY).exists()


def test_the_caring_history_is_the_same_for_the_same_seed(demo) -> None:
    first = _history()
    _portfolio_wipe()
    demo_portfolio_create(seed=11, today=TODAY, invoices=4_000)
    assert _history() == first


def test_the_compare_page_shows_n_for_both_groups_to_the_demo_manager(demo) -> None:
    demo_users_create(clients=demo)
    browser = BrowserClient()
    browser.force_login(get_user_model().objects.get(username="manager"))
    page = browser.get("/caring/compare/", {"as_of": TODAY.isoformat()}).content.decode()
    assert page.count("n/a") == 0
    outsider = user_with_role(Role.CREDIT_MANAGER, clients=())
    browser.force_login(outsider)
    assert "n/a" in browser.get("/caring/compare/", {"as_of": TODAY.isoformat()}).content.decode()


def test_the_compare_page_says_the_demo_history_is_demo_data(demo, settings) -> None:
    demo_users_create(clients=demo)
    browser = BrowserClient()
    browser.force_login(get_user_model().objects.get(username="manager"))

    settings.EMBEDDED = True
    page = browser.get("/caring/compare/", {"as_of": TODAY.isoformat()}).content.decode()
    assert 'data-testid="demo-data"' in page
    # Rates and their intervals read as percentages.
    assert "%)" in page

    settings.EMBEDDED = False
    page = browser.get("/caring/compare/", {"as_of": TODAY.isoformat()}).content.decode()
    assert 'data-testid="demo-data"' not in page
