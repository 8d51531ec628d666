"""Money, numbers and percentages read as the reader's language writes them, on every page."""

from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from portfolio.templatetags.formatting import money, number, percent
from tests.factories import DebtorFactory, InvoiceFactory

NBSP = "\u00a0"


def test_it_writes_money_the_english_and_the_italian_way():
    with translation.override("en"):
        assert money(Decimal("40000"), "EUR") == "€40,000.00"
        assert money(Decimal("-1234.5"), "GBP") == "-£1,234.50"
        assert money(Decimal("40000"), "CHF") == f"CHF{NBSP}40,000.00"
    with translation.override("it"):
        assert money(Decimal("40000"), "EUR") == f"40.000,00{NBSP}€"
        assert money(Decimal("1234567.891"), "EUR") == f"1.234.567,89{NBSP}€"
        assert money(None, "EUR") == "—"


def test_it_shows_a_small_probability_as_such_not_as_nought():
    with translation.override("en"):
        assert percent(0.0036) == "0.36%"
        assert percent(0.36) == "36%"
        assert percent(0.036) == "3.6%"
        assert percent(0.00004) == "<0.01%"
        assert percent(0) == "0%"
        assert percent(0.5, 1) == "50.0%"
    with translation.override("it"):
        assert percent(0.0036) == "0,36%"
        assert number(1234567) == "1.234.567"


def test_it_needs_no_load_in_a_template():
    template = engines["django"].from_string("{{ amount|money:'EUR' }} {{ share|percent }}")
    with translation.override("it"):
        assert template.render({"amount": Decimal("40000"), "share": 0.0036}) == (
            f"40.000,00{NBSP}€ 0,36%")


@pytest.mark.django_db
def test_the_debtor_page_writes_italian_amounts_with_italian_separators(client, personas):
    debtor = DebtorFactory(client=personas.client_a, credit_limit=Decimal("40000"))
    InvoiceFactory(debtor=debtor, client=personas.client_a, amount=Decimal("40000.00"),
                   open_balance=Decimal("40000.00"))
    client.force_login(personas.credit_manager)

    italian = client.get(f"/it/portfolio/debtors/{debtor.pk}/").content.decode()
    english = client.get(f"/portfolio/debtors/{debtor.pk}/").content.decode()

    assert "40,000,00" not in italian
    assert f"40.000,00{NBSP}€" in italian
    assert "€40,000.00" in english
