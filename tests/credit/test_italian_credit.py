"""The credit screens speak Italian: rule texts, ratio names and formulas, the recommendation's
steps, flags and refusals, with amounts and ratios in Italian number format."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from access.errors import DomainError
from credit import services
from tests.credit.factories import FinancialStatementFactory, score

pytestmark = pytest.mark.django_db


@pytest.fixture
def italian(client, personas):
    client.force_login(personas.credit_manager)
    client.cookies["django_language"] = "it"
    with translation.override("it"):
        yield client


def test_the_request_page_reads_in_italian_with_italian_numbers(italian, personas, debtor):
    score(debtor, "E")
    for year in (2023, 2025):  # 2024 missing: a flag
        FinancialStatementFactory(debtor=debtor, fiscal_year=year, equity=Decimal("-35000"))
    services.statement_flags_refresh(debtor_ids=[debtor.pk])
    with translation.override("en"):
        request = services.credit_request_create(debtor=debtor, amount=Decimal("40000"),
                                                 justification="Ordine stagionale",
                                                 by=personas.agent)
        request = services.credit_request_submit(request=request, by=personas.agent)

    page = italian.get(reverse("credit:request_detail", args=[request.pk])).content.decode()

    for italian_text in ("40.000,00\u00a0€", "0,00\u00a0€",
                         "10% dei ricavi 2025 di 1.000.000,00\u00a0€",
                         "Base: il minore dei due", "Classe di punteggio E: fattore 0%",
                         "Arrotondato per difetto al migliaio", "dell&#x27;ultimo esercizio",
                         "Indice di liquidità corrente", "attivo circolante / passività correnti",
                         "2,00", "Il patrimonio netto è negativo (-35.000,00\u00a0€).",
                         "Esercizio 2024 mancante nel triennio 2023-2025.",
                         "Contro la raccomandazione"):
        assert italian_text in page, italian_text
    for english in ("Base: the smaller", "10% of 2025", "current assets / current",
                    "Equity is negative", "missing from the", "40,000.00", "stable<",
                    "Current ratio"):
        assert english not in page, english


def test_rule_texts_and_refusals_read_in_italian(italian, personas, debtor):
    score(debtor, "A", as_of=dt.date(2026, 2, 1))
    with translation.override("en"):
        auto = services.credit_request_create(debtor=debtor, amount=Decimal("5000"),
                                              justification="Primo ordine", by=personas.agent)
        auto = services.credit_request_submit(request=auto, by=personas.agent)
    FinancialStatementFactory(debtor=debtor, fiscal_year=2025, revenue=Decimal("20000"))
    with translation.override("en"):
        above = services.credit_request_create(debtor=debtor, amount=Decimal("9000"),
                                               justification="Secondo ordine",
                                               by=personas.agent)
        above = services.credit_request_submit(request=above, by=personas.agent)

    rule_page = italian.get(reverse("credit:request_detail", args=[auto.pk])).content.decode()
    refused = italian.post(reverse("credit:request_act", args=[above.pk, "approve"]),
                           {"comment": ""}, follow=True).content.decode()
    with pytest.raises(DomainError) as service_refusal:
        services.credit_request_approve(request=above, by=personas.credit_manager)

    assert ("Regola del livello 1: richiesti 5.000,00\u00a0€ ≤ tetto del livello 1 di "
            "10.000,00\u00a0€") in rule_page
    assert "Tier 1 rule" not in rule_page
    assert "L&#x27;importo supera il fido raccomandato" in refused
    assert service_refusal.value.message.startswith(
        "9.000,00\u00a0€ supera il fido raccomandato di 2.000,00\u00a0€")
