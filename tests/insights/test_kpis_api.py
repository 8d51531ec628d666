"""/api/v1/kpis/{client}/…: read-only, tenant-scoped, bad input named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import DebtorFactory, InvoiceFactory, PaymentFactory


@pytest.fixture
def quarter(personas):
    debtor = DebtorFactory(client=personas.client_a)
    for month, amount in ((1, "70000.00"), (2, "80000.00"), (3, "100000.00")):
        InvoiceFactory(debtor=debtor, amount=Decimal(amount),
                       issue_date=dt.date(2026, month, 10),
                       due_date=dt.date(2026, month, 10) + dt.timedelta(days=30))
    PaymentFactory(debtor=debtor, amount=Decimal("500.00"), value_date=dt.date(2026, 3, 3))
    return debtor


def test_receivables_give_dso_with_numerator_and_denominator(client, personas, quarter):
    client.force_login(personas.credit_manager)

    body = client.get(f"/api/v1/kpis/{personas.client_a.pk}/receivables/",
                      {"start": "2026-01-01", "end": "2026-04-01"}).json()

    assert body["dso_simple"]["value"] == "90.00"  # nothing paid on the invoices: AR = sales
    assert body["dso_simple"]["numerator"] == "250000.00"
    assert body["dso_simple"]["variant"] == "simple"
    assert body["currency"] == "EUR"
    assert [m["month"] for m in body["cei_monthly"]] == ["2026-01-01", "2026-02-01",
                                                         "2026-03-01"]
    assert body["cei_monthly_avg"]["variant"] == "CEI_monthly_avg"


def test_cash_and_aging(client, personas, quarter):
    client.force_login(personas.viewer_a)
    client_id = personas.client_a.pk

    cash = client.get(f"/api/v1/kpis/{client_id}/cash/",
                      {"start": "2026-03-01", "end": "2026-04-01"}).json()
    aging = client.get(f"/api/v1/kpis/{client_id}/aging/", {"as_of": "2026-04-15"}).json()

    assert cash["cash_recovered_gross"]["value"] == "500.00"
    assert cash["cash_recovered_net"]["value"] == "500.00"  # no reversal, no fee
    assert cash["cash_recovered_net"]["extra"]["reversals"] == "0.00"
    buckets = {b["key"]: b["amount"] for b in aging["buckets"]}
    assert buckets["d61_90"] == "70000.00"  # due 9 February: 65 days
    assert buckets["d31_60"] == "80000.00"  # due 12 March: 34 days
    assert buckets["d1_30"] == "100000.00"  # due 9 April: 6 days
    assert buckets["current"] == "0.00"


def test_nps_is_read_one_kind_at_a_time(client, personas):
    client.force_login(personas.credit_manager)
    url = f"/api/v1/kpis/{personas.client_a.pk}/nps/"

    missing = client.get(url)
    mixed = client.get(url, {"kind": "all"})
    one = client.get(url, {"kind": "transactional"})

    assert missing.status_code == 400 and missing.json()["error"]["field"] == "kind"
    assert mixed.status_code == 400
    assert one.status_code == 200
    assert one.json()["nps"]["value"] is None  # no answers: n/a, never 0


@pytest.mark.parametrize(("query", "field"), [
    ({"start": "2026-04-01", "end": "2026-03-01"}, "end"),
    ({"start": "2026-03-01"}, "end"),
    ({"start": "2020-01-01", "end": "2026-01-01"}, "end"),
    ({"start": "yesterday", "end": "2026-01-01"}, "start"),
    ({"currency": "euro"}, "currency"),
])
def test_bad_input_names_the_problem(client, personas, query, field):
    client.force_login(personas.credit_manager)

    response = client.get(f"/api/v1/kpis/{personas.client_a.pk}/desk/", query)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_another_clients_kpis_answer_like_a_missing_client(client, personas, quarter):
    client.force_login(personas.viewer_b)

    theirs = client.get(f"/api/v1/kpis/{personas.client_a.pk}/receivables/")
    nobody = client.get("/api/v1/kpis/987654321/receivables/")

    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json() == nobody.json()


def test_the_kpis_are_read_only(client, personas):
    client.force_login(personas.admin)

    response = client.post(f"/api/v1/kpis/{personas.client_a.pk}/cash/")

    assert response.status_code == 405
