import datetime as dt
from decimal import Decimal

import pytest

from portfolio import services
from portfolio.models import Invoice
from portfolio.selectors import aging_summary
from tests.factories import ClientFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("as_of", "bucket"), [
    (dt.date(2026, 3, 2), "d1_30"),   # SPEC §3: due 2026-01-31, as of 03-02 -> 30 days
    (dt.date(2026, 3, 3), "d31_60"),  # as of 03-03 -> 31 days
    (dt.date(2026, 1, 31), "current"),
])
def test_the_spec_vectors_land_in_their_buckets(as_of, bucket):
    debtor = DebtorFactory()
    InvoiceFactory(debtor=debtor, due_date=dt.date(2026, 1, 31), amount=Decimal("70.00"))

    [row] = aging_summary(Invoice.objects.filter(client=debtor.client), as_of=as_of)

    assert row.buckets[bucket] == Decimal("70.00")
    assert sum(row.buckets.values()) == Decimal("70.00")


def test_balances_are_net_of_payments_and_disputes_have_their_own_column():
    debtor = DebtorFactory()
    paid_part = InvoiceFactory(debtor=debtor, number="A", due_date=dt.date(2026, 1, 1),
                               amount=Decimal("100.00"))
    disputed = InvoiceFactory(debtor=debtor, number="B", due_date=dt.date(2026, 1, 1),
                              amount=Decimal("40.00"))
    services.invoice_dispute_open(invoice=disputed)
    services.payment_record(client=debtor.client, debtor=debtor, external_ref="P",
                            amount=Decimal("30.00"), value_date=dt.date(2026, 1, 5),
                            invoice_reference=paid_part.number)

    [row] = aging_summary(Invoice.objects.all(), as_of=dt.date(2026, 1, 20))

    assert row.buckets["d1_30"] == Decimal("70.00")
    assert row.disputed == Decimal("40.00")
    assert row.total == Decimal("110.00")


def test_currencies_are_never_summed_together():
    eur = DebtorFactory(client=ClientFactory(currency="EUR"))
    gbp = DebtorFactory(client=ClientFactory(currency="GBP", country="GB"))
    InvoiceFactory(debtor=eur, amount=Decimal("10.00"))
    InvoiceFactory(debtor=gbp, amount=Decimal("20.00"))

    rows = aging_summary(Invoice.objects.all(), as_of=dt.date(2026, 6, 1))

    assert [(row.currency, row.total) for row in rows] == [("EUR", Decimal("10.00")),
                                                            ("GBP", Decimal("20.00"))]
