"""Does caring work? The comparison on a small data set whose numbers are known by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as BrowserClient

from caring import selectors
from caring.models import CaringAssignment
from portfolio import services as portfolio_services
from tests.caring.factories import CaringPolicyFactory
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 4, 1)
ISSUED = dt.date(2026, 2, 1)
DUE = dt.date(2026, 3, 1)


def _matured(policy, *, control: bool, paid_on: dt.date | None, due: dt.date = DUE) -> None:
    debtor = DebtorFactory(client=policy.client)
    invoice = InvoiceFactory(debtor=debtor, issue_date=ISSUED, due_date=due,
                             amount=Decimal("100.00"))
    CaringAssignment.objects.create(client=policy.client, policy=policy, invoice=invoice,
                                    debtor=debtor, window_date=due - dt.timedelta(days=7),
                                    bucket=0 if control else 9999, in_control=control)
    if paid_on is not None:
        portfolio_services.payment_record(
            client=policy.client, debtor=debtor, external_ref=f"P-{invoice.number}",
            amount=Decimal("100.00"), value_date=paid_on, invoice_reference=invoice.number)


@pytest.fixture
def known(personas):
    policy = CaringPolicyFactory(client=personas.client_a)
    # Called: on time (24 days to pay), on time on the due date (28), ten days late (38).
    _matured(policy, control=False, paid_on=dt.date(2026, 2, 25))
    _matured(policy, control=False, paid_on=dt.date(2026, 3, 1))
    _matured(policy, control=False, paid_on=dt.date(2026, 3, 11))
    # Not matured yet: left out.
    _matured(policy, control=False, paid_on=None, due=dt.date(2026, 4, 15))
    # Control: on time (27 days), still unpaid 31 days after the due date (59 days).
    _matured(policy, control=True, paid_on=dt.date(2026, 2, 28))
    _matured(policy, control=True, paid_on=None)
    return policy


def test_the_comparison_gives_the_hand_computed_numbers(known) -> None:
    called, control = selectors.caring_compare(
        assignments=CaringAssignment.objects.all(), as_of=AS_OF)
    assert (called.invoices, called.on_time) == (3, 2)
    assert (control.invoices, control.on_time) == (2, 1)
    assert called.on_time_rate.value == pytest.approx(2 / 3)
    # Wilson 95% for 2 of 3: 0.2077 to 0.9385.
    assert called.on_time_rate.low == pytest.approx(0.2077, abs=1e-4)
    assert called.on_time_rate.high == pytest.approx(0.9385, abs=1e-4)
    assert called.days_beyond_terms.value == pytest.approx(10 / 3)
    assert called.dso.value == pytest.approx(30.0)
    # Normal interval of (24, 28, 38): sd 7.2111, half-width 1.96 x 7.2111 / sqrt(3) = 8.160.
    assert called.dso.low == pytest.approx(30 - 8.1601, abs=1e-3)
    assert control.days_beyond_terms.value == pytest.approx(15.5)
    assert control.dso.value == pytest.approx(43.0)


def test_an_empty_group_says_n_a_not_zero() -> None:
    called, _control = selectors.caring_compare(
        assignments=CaringAssignment.objects.none(), as_of=AS_OF)
    assert called.invoices == 0 and called.on_time_rate.value is None and called.dso.value is None


def test_the_compare_page_shows_the_numbers_behind_the_rates(known, personas) -> None:
    browser = BrowserClient()
    browser.force_login(personas.credit_manager)
    response = browser.get(f"/caring/compare/?policy={known.pk}&as_of={AS_OF.isoformat()}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "66.7% (20.8\u201393.9%)" in body
    assert "Wilson" in body and "normal" in body
    assert "43.00" in body and "15.50" in body
