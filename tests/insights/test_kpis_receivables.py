"""Aging, DSO, best possible DSO, ADD and CEI through the real SQL, with the SPEC §3 vectors
built from ledger rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from insights.kpis import aging, receivables
from insights.kpis.base import KpiInputError, Period, Scope
from portfolio.models import CreditNote, Invoice, Payment, PaymentAllocation
from tests.factories import ClientFactory, DebtorFactory, InvoiceFactory, PaymentFactory

D = Decimal


def _invoice(debtor, amount, issued, due, currency="EUR", **kwargs):
    return InvoiceFactory(debtor=debtor, client=debtor.client, amount=D(amount),
                          open_balance=D(kwargs.pop("open_balance", amount)), issue_date=issued,
                          due_date=due, currency=currency, **kwargs)


def _pay(invoice: Invoice, amount, value_date) -> Payment:
    """A payment allocated to the invoice, its balance lowered as the ledger would."""
    payment = PaymentFactory(debtor=invoice.debtor, client=invoice.client, amount=D(amount),
                             unallocated_amount=0, value_date=value_date,
                             currency=invoice.currency)
    PaymentAllocation.objects.create(client=invoice.client, payment=payment, invoice=invoice,
                                     amount=D(amount))
    invoice.open_balance -= D(amount)
    invoice.status = (Invoice.Status.PAID if invoice.open_balance == 0
                      else Invoice.Status.PARTIALLY_PAID)
    invoice.save()
    return payment


@pytest.fixture
def quarter(db):
    """SPEC vectors: sales 70,000 (Jan) + 80,000 (Feb) + 100,000 (Mar); AR 212,000 at the end
    of March after 38,000 paid on January's invoice in March."""
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    jan = _invoice(debtor, "70000.00", dt.date(2026, 1, 10), dt.date(2026, 2, 9))
    _invoice(debtor, "80000.00", dt.date(2026, 2, 10), dt.date(2026, 3, 12))
    _invoice(debtor, "100000.00", dt.date(2026, 3, 10), dt.date(2026, 4, 9))
    _pay(jan, "38000.00", dt.date(2026, 3, 20))
    # Another client's invoice (in another currency) never counts.
    stranger = DebtorFactory(client=ClientFactory(currency="CHF"))
    _invoice(stranger, "99999.00", dt.date(2026, 2, 1), dt.date(2026, 3, 1), currency="CHF")
    return Scope.of(client)


def test_dso_simple_is_the_spec_vector(quarter):
    kpi = receivables.dso_simple(quarter, Period(dt.date(2026, 1, 1), dt.date(2026, 4, 1)))

    assert kpi.value == D("76.32")
    assert kpi.numerator == D("212000.00")
    assert kpi.denominator == D("250000.00")
    assert kpi.extra["days"] == 90


def test_dso_count_back_is_the_spec_vector(quarter):
    kpi = receivables.dso_count_back(quarter, Period(dt.date(2026, 1, 1), dt.date(2026, 4, 1)))

    assert kpi.value == D("73.17")
    assert kpi.flags == ()


def test_a_payment_after_the_period_does_not_lower_its_ending_ar(quarter):
    invoice = Invoice.objects.get(number__startswith="INV", amount=D("80000.00"))
    _pay(invoice, "1000.00", dt.date(2026, 4, 1))  # the first day after [Jan, Apr)

    kpi = receivables.dso_simple(quarter, Period(dt.date(2026, 1, 1), dt.date(2026, 4, 1)))

    assert kpi.numerator == D("212000.00")


def test_count_back_caps_ar_beyond_twelve_months_and_flags_it(db):
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    _invoice(debtor, "5000.00", dt.date(2024, 1, 15), dt.date(2024, 2, 14))  # two years old
    _invoice(debtor, "100.00", dt.date(2026, 3, 5), dt.date(2026, 4, 4))

    kpi = receivables.dso_count_back(Scope.of(client), Period.month(2026, 3))

    assert "capped" in kpi.flags
    # Twelve months walked: March 2026 back to April 2025, every day of them.
    assert kpi.value == D((dt.date(2026, 4, 1) - dt.date(2025, 4, 1)).days)


def test_count_back_adds_a_month_without_sales_and_walks_on():
    months = [(D("100"), 31), (D("0"), 28), (D("50"), 31)]

    days, capped = receivables.count_back(D("125"), months)

    assert days == D("74.50")  # 31 + 28 + 25/50 x 31
    assert capped is False


def test_best_possible_dso_and_add_use_current_ar(quarter):
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 4, 1))

    best = receivables.best_possible_dso(quarter, period)
    add = receivables.average_days_delinquent(quarter, period)

    # Only March's invoice (due 9 April) is not yet due on 31 March.
    assert best.numerator == D("100000.00")
    assert best.value == D("36.00")
    assert add.value == D("40.32")


def test_cei_is_the_spec_vector(db):
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    march = _invoice(debtor, "6000.00", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    _invoice(debtor, "300.00", dt.date(2026, 4, 2), dt.date(2026, 4, 15))
    _invoice(debtor, "3590.00", dt.date(2026, 4, 10), dt.date(2026, 5, 20))
    _pay(march, "3550.00", dt.date(2026, 4, 20))
    scope = Scope.of(client)

    [april] = receivables.cei_monthly(scope, Period.month(2026, 4))

    assert april.extra["begin_ar"] == D("6000.00")
    assert april.extra["credit_sales"] == D("3890.00")
    assert april.extra["end_total_ar"] == D("6340.00")
    assert april.extra["end_current_ar"] == D("3590.00")
    assert april.value == D("56.35")


def test_cei_monthly_avg_averages_the_months_and_names_itself(db):
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    first = _invoice(debtor, "1000.00", dt.date(2026, 1, 5), dt.date(2026, 1, 20))
    _pay(first, "1000.00", dt.date(2026, 1, 25))  # January: everything collected, CEI 100
    _invoice(debtor, "1000.00", dt.date(2026, 2, 5), dt.date(2026, 2, 20))  # February: 0

    kpi = receivables.cei_monthly_avg(Scope.of(client),
                                      Period(dt.date(2026, 1, 1), dt.date(2026, 3, 1)))

    assert kpi.variant == "CEI_monthly_avg"
    assert kpi.value == D("50.00")
    assert kpi.denominator == 2


def test_a_credit_note_lowers_historical_ar_from_its_date(db):
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    invoice = _invoice(debtor, "1000.00", dt.date(2026, 1, 5), dt.date(2026, 2, 4))
    CreditNote.objects.create(client=client, invoice=invoice, number="CN-1", amount=D("400"),
                              issue_date=dt.date(2026, 2, 10))
    scope = Scope.of(client)

    snapshots = receivables.ar_snapshots(scope, [dt.date(2026, 2, 10), dt.date(2026, 2, 11)])

    assert snapshots[dt.date(2026, 2, 10)].total == D("1000.00")
    assert snapshots[dt.date(2026, 2, 11)].total == D("600.00")


def test_zero_sales_gives_no_dso_not_zero(db):
    client = ClientFactory()

    kpi = receivables.dso_simple(Scope.of(client), Period.month(2026, 3))

    assert kpi.value is None
    assert kpi.denominator == D("0.00")


def test_an_empty_period_and_a_malformed_currency_are_refused():
    with pytest.raises(KpiInputError):
        Period(dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    with pytest.raises(KpiInputError):
        Scope.of(ClientFactory.build(), "euro")


@pytest.mark.parametrize(("as_of", "bucket"), [(dt.date(2026, 3, 2), "d1_30"),
                                               (dt.date(2026, 3, 3), "d31_60"),
                                               (dt.date(2026, 1, 31), "current")])
def test_aging_boundary_is_the_spec_vector(db, as_of, bucket):
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    _invoice(debtor, "250.00", dt.date(2026, 1, 1), dt.date(2026, 1, 31))

    buckets = {b.key: b for b in aging.aging(Scope.of(client), as_of=as_of)}

    assert buckets[bucket].amount == D("250.00")
    assert sum(b.amount for b in buckets.values()) == D("250.00")
    assert buckets[bucket].debtors == 1


def test_aging_keeps_disputes_apart_and_counts_partial_balances(db):
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    partial = _invoice(debtor, "500.00", dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    _pay(partial, "120.00", dt.date(2026, 2, 5))
    _invoice(debtor, "80.00", dt.date(2026, 1, 1), dt.date(2026, 1, 31),
             status=Invoice.Status.DISPUTED)
    scope = Scope.of(client)

    buckets = {b.key: b.amount for b in aging.aging(scope, as_of=dt.date(2026, 3, 2))}
    listed = list(aging.aging_debtors(scope, as_of=dt.date(2026, 3, 2), key="d1_30"))

    assert buckets["d1_30"] == D("380.00")
    assert buckets["disputed"] == D("80.00")
    assert [(d.pk, d.bucket_amount) for d in listed] == [(debtor.pk, D("380.00"))]


def test_an_unknown_bucket_is_refused(db):
    with pytest.raises(KpiInputError, match="Unknown aging bucket"):
        aging.bucket_condition(dt.date(2026, 3, 1), "d999")


def test_the_monthly_trend_matches_the_single_kpis(quarter):
    rows = receivables.monthly_trend(quarter, months=3, until=dt.date(2026, 4, 1))

    assert [row.month.start for row in rows] == [dt.date(2026, m, 1) for m in (1, 2, 3)]
    assert rows[-1].ar.total == D("212000.00")
    assert rows[-1].dso.value == receivables.dso_simple(quarter, Period.month(2026, 3)).value
    assert rows[-1].dso_count_back.value == D("73.17")
