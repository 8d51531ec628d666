"""Exposure against the limit: open invoices + other exposure, utilisation, 90% and over."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from credit.selectors import credit_utilisation_for_debtors
from portfolio.models import Invoice
from portfolio.services import debtor_credit_limit_set, debtor_other_exposure_set
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _debtor_with(client, *, limit, invoices=(), other="0", name="Debtor"):
    debtor = DebtorFactory(client=client, name=name)
    for amount, open_balance, status in invoices:
        InvoiceFactory(debtor=debtor, amount=Decimal(amount), open_balance=Decimal(open_balance),
                       status=status)
    if limit is not None:
        debtor_credit_limit_set(debtor=debtor, amount=Decimal(limit))
    debtor_other_exposure_set(debtor=debtor, amount=Decimal(other))
    return debtor


def test_exposure_is_unsettled_open_balances_plus_other_exposure(personas,
                                                                 django_assert_num_queries):
    debtor = _debtor_with(personas.client_a, limit="10000", other="1500", invoices=[
        ("4000", "4000", Invoice.Status.OPEN),
        ("3000", "1000", Invoice.Status.PARTIALLY_PAID),
        ("2000", "2000", Invoice.Status.DISPUTED),
        ("5000", "0", Invoice.Status.PAID),
    ])
    near = _debtor_with(personas.client_a, limit="1000",
                        invoices=[("900", "900", Invoice.Status.OPEN)])
    over = _debtor_with(personas.client_a, limit="1000",
                        invoices=[("1000", "1000", Invoice.Status.OPEN)], other="0.01")
    unlimited = _debtor_with(personas.client_a, limit=None,
                             invoices=[("50", "50", Invoice.Status.OPEN)])

    with django_assert_num_queries(1):
        figures = credit_utilisation_for_debtors([debtor.pk, near.pk, over.pk, unlimited.pk])

    mine = figures[debtor.pk]
    assert mine.open_invoices == Decimal("7000.00")
    assert mine.exposure == Decimal("8500.00")
    assert mine.percent == Decimal("85.0")
    assert mine.state == "ok"
    assert mine.headroom == Decimal("1500.00")
    assert (figures[near.pk].percent, figures[near.pk].state) == (Decimal("90.0"), "warning")
    assert figures[over.pk].state == "over"
    assert figures[unlimited.pk].state == "no_limit"
    assert figures[unlimited.pk].percent is None


def test_the_include_shows_the_90_percent_alert_and_the_over_limit_state(personas):
    near = _debtor_with(personas.client_a, limit="1000",
                        invoices=[("950", "950", Invoice.Status.OPEN)])
    over = _debtor_with(personas.client_a, limit="1000",
                        invoices=[("1200", "1200", Invoice.Status.OPEN)])
    figures = credit_utilisation_for_debtors([near.pk, over.pk])

    near_html = render_to_string("credit/_utilisation.html", {"utilisation": figures[near.pk]})
    over_html = render_to_string("credit/_utilisation.html", {"utilisation": figures[over.pk]})

    assert 'data-state="warning"' in near_html and "90%" in near_html and "95.0%" in near_html
    assert 'data-state="over"' in over_html and "Over limit" in over_html


@pytest.mark.parametrize("persona", ["agent", "credit_manager"])
def test_the_over_limit_page_lists_the_clients_own_debtors_only(client, personas, persona):
    _debtor_with(personas.client_a, limit="1000", name="Over A",
                 invoices=[("1200", "1200", Invoice.Status.OPEN)])
    _debtor_with(personas.client_a, limit="1000", name="Near A",
                 invoices=[("950", "950", Invoice.Status.OPEN)])
    _debtor_with(personas.client_a, limit="5000", name="Fine A",
                 invoices=[("100", "100", Invoice.Status.OPEN)])
    _debtor_with(personas.client_b, limit="1000", name="Over B",
                 invoices=[("1200", "1200", Invoice.Status.OPEN)])
    client.force_login(getattr(personas, persona))

    page = client.get(reverse("credit:over_limit")).content.decode()
    with_warnings = client.get(reverse("credit:over_limit") + "?warnings=1").content.decode()

    assert "Over A" in page and "Over limit" in page
    assert "Near A" not in page and "Fine A" not in page and "Over B" not in page
    assert "Near A" in with_warnings and "Fine A" not in with_warnings
    assert "Over B" not in with_warnings


def test_a_client_viewer_is_refused_the_staff_over_limit_page(client, personas):
    _debtor_with(personas.client_a, limit="1000", name="Over A",
                 invoices=[("1200", "1200", Invoice.Status.OPEN)])
    client.force_login(personas.viewer_a)

    response = client.get(reverse("credit:over_limit"))

    assert response.status_code == 403
    assert "Over A" not in response.content.decode()


def test_the_outsider_sees_an_empty_over_limit_page(client, personas):
    _debtor_with(personas.client_a, limit="1000", name="Over A",
                 invoices=[("1200", "1200", Invoice.Status.OPEN)])
    client.force_login(personas.viewer_b)

    page = client.get(reverse("credit:over_limit")).content.decode()

    assert "Over A" not in page


def test_one_template_tag_shows_a_debtors_utilisation_anywhere(personas):
    from django.template import Context, Template

    debtor = _debtor_with(personas.client_a, limit="1000",
                          invoices=[("1100", "1100", Invoice.Status.OPEN)])

    html = Template("{% load credit_tags %}{% credit_utilisation debtor %}").render(
        Context({"debtor": debtor}))

    assert 'data-state="over"' in html and "110.0%" in html


def test_the_over_limit_page_pages_without_counting(client, personas):
    from credit.views import PAGE

    for number in range(PAGE + 1):
        _debtor_with(personas.client_a, limit="100", name=f"Over {number:03d}",
                     invoices=[("200", "200", Invoice.Status.OPEN)])
    client.force_login(personas.agent)

    first = client.get(reverse("credit:over_limit")).content.decode()
    second = client.get(reverse("credit:over_limit") + "?page=2").content.decode()

    assert first.count('data-state="over"') == PAGE and "?page=2" in first
    assert second.count('data-state="over"') == 1 and "?page=1" in second
