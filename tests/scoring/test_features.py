"""Ledger features as of a date: values, no look-ahead, no protected characteristic."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from portfolio.models import CreditNote, Invoice, PaymentAllocation
from scoring.evaluation import is_protected
from scoring.features import FEATURE_NAMES, FEATURES, debtor_features, derive_features
from scoring.target import debtor_labels, latest_labelled_as_of
from tests.factories import DebtorFactory, InvoiceFactory, PaymentFactory

AS_OF = dt.date(2026, 3, 1)


def _paid(debtor, *, issued, due, amount, paid_on, number):
    invoice = InvoiceFactory(debtor=debtor, number=number, issue_date=issued, due_date=due,
                             amount=Decimal(amount), open_balance=Decimal(0),
                             status=Invoice.Status.PAID)
    payment = PaymentFactory(debtor=debtor, amount=Decimal(amount), value_date=paid_on,
                             unallocated_amount=Decimal(0))
    PaymentAllocation.objects.create(client=debtor.client, payment=payment, invoice=invoice,
                                     amount=Decimal(amount))
    return invoice


@pytest.fixture
def ledger(db):
    debtor = DebtorFactory(kind="business", sector="retail", founded_year=2010,
                           credit_limit=Decimal("1000"), other_exposure=Decimal("100"))
    _paid(debtor, issued=dt.date(2025, 11, 1), due=dt.date(2025, 12, 1), amount=100,
          paid_on=dt.date(2026, 1, 20), number="I1")  # 50 days late
    _paid(debtor, issued=dt.date(2025, 12, 1), due=dt.date(2026, 1, 1), amount=200,
          paid_on=dt.date(2026, 1, 5), number="I2")  # 4 days late
    open_invoice = InvoiceFactory(debtor=debtor, number="I3", issue_date=dt.date(2026, 1, 15),
                                  due_date=dt.date(2026, 2, 14), amount=Decimal(300))
    return debtor, open_invoice


def _features(debtor, as_of=AS_OF):
    features = debtor_features(client_id=debtor.client_id, lo=debtor.pk, hi=debtor.pk,
                               as_of=as_of)
    return {k: v[0] for k, v in features.items()}


def test_it_computes_the_payment_habits_of_a_debtor_as_of_a_date(ledger):
    debtor, _open = ledger
    f = _features(debtor)
    assert f["dbt_avg_3m"] == pytest.approx((50 + 4 + 15) / 3)
    assert f["late_count_12m"] == 1 and f["due_count_12m"] == 2
    assert f["late_share_12m"] == pytest.approx(0.5)
    assert f["overdue_amount"] == pytest.approx(300)
    assert f["overdue_days_max"] == 15
    assert f["exposure_ratio"] == pytest.approx((300 + 100) / 1000)
    assert f["tenure_months"] == pytest.approx(120 / 30.4375)
    assert f["invoices_12m"] == 3
    assert f["years_in_business"] == 16
    assert f["kind"] == "business" and f["sector"] == "retail"


def test_it_does_not_look_ahead_of_the_as_of_date(ledger):
    debtor, open_invoice = ledger
    before = _features(debtor)
    # Later events: the open invoice is paid after as_of, a new invoice is issued, a credit
    # note is issued on the as_of date itself.
    payment = PaymentFactory(debtor=debtor, amount=Decimal(300), value_date=dt.date(2026, 3, 10),
                             unallocated_amount=Decimal(0))
    PaymentAllocation.objects.create(client=debtor.client, payment=payment,
                                     invoice=open_invoice, amount=Decimal(300))
    Invoice.objects.filter(pk=open_invoice.pk).update(open_balance=0, status="paid")
    InvoiceFactory(debtor=debtor, number="I4", issue_date=AS_OF, due_date=dt.date(2026, 4, 1),
                   amount=Decimal(999))
    CreditNote.objects.create(client=debtor.client, invoice=open_invoice, number="CN1",
                              amount=Decimal(10), issue_date=AS_OF)
    after = _features(debtor)
    for name in FEATURE_NAMES:
        assert after[name] == before[name] or (np.isnan(after[name]) and np.isnan(before[name]))
    assert _features(debtor, dt.date(2026, 3, 11))["overdue_amount"] == 0


def test_its_features_exclude_protected_characteristics():
    assert not [name for name in FEATURE_NAMES if is_protected(name)]
    for forbidden in ("gender", "age", "nationality", "health", "birth"):
        assert all(forbidden not in name.split("_") for name in FEATURE_NAMES)
    assert {name for name, *_ in FEATURES} == set(FEATURE_NAMES)


def test_its_derivation_is_pure_and_treats_missing_history_as_missing():
    raw = {
        "debtor_id": np.array([1, 2]),
        "kind": np.array(["consumer", "business"], dtype=object),
        "sector": np.array([None, "retail"], dtype=object),
        "founded_year": np.array([np.nan, 2000.0]),
        "credit_limit": np.array([np.nan, 0.0]),
        "other_exposure": np.array([0.0, 50.0]),
        "due_count_12m": np.array([np.nan, 4.0]),
        "late_count_12m": np.array([np.nan, 1.0]),
        "tenure_days": np.array([np.nan, 365.0]),
    }
    f = derive_features(raw, as_of=dt.date(2026, 1, 1))
    assert np.isnan(f["late_share_12m"][0]) and f["late_share_12m"][1] == 0.25
    assert np.isnan(f["exposure_ratio"][0]) and f["exposure_ratio"][1] == 10.0
    assert np.isnan(f["years_in_business"][0]) and f["years_in_business"][1] == 26
    assert f["sector"][0] == "" and f["overdue_amount"][0] == 0


def test_it_labels_a_debtor_bad_when_an_invoice_due_in_the_next_90_days_goes_unpaid_30_days(
        ledger):
    debtor, _open = ledger
    good = DebtorFactory(client=debtor.client)
    _paid(good, issued=dt.date(2025, 11, 1), due=dt.date(2025, 12, 1), amount=100,
          paid_on=dt.date(2025, 12, 20), number="G1")
    written_off = DebtorFactory(client=debtor.client)
    lost = InvoiceFactory(debtor=written_off, number="W1", issue_date=dt.date(2025, 11, 1),
                          due_date=dt.date(2025, 12, 1), amount=Decimal(80),
                          open_balance=Decimal(0), status=Invoice.Status.WRITTEN_OFF)
    CreditNote.objects.create(client=debtor.client, invoice=lost, number="WO1",
                              kind=CreditNote.Kind.WRITE_OFF, amount=Decimal(80),
                              issue_date=dt.date(2025, 12, 10))
    silent = DebtorFactory(client=debtor.client)

    labels = debtor_labels(client_id=debtor.client_id, lo=0, hi=10**9,
                           as_of=dt.date(2025, 11, 15))

    assert labels[debtor.pk] == 1  # I1 paid 50 days late
    assert labels[good.pk] == 0
    assert labels[written_off.pk] == 1  # a write-off does not settle an invoice
    assert silent.pk not in labels  # nothing falls due: not labelled


def test_it_uses_only_snapshots_whose_outcome_window_has_closed():
    assert latest_labelled_as_of(dt.date(2026, 6, 30)) == dt.date(2026, 6, 30) - dt.timedelta(
        days=150)


def test_the_ledgers_settlement_date_gives_the_features_computed_without_it(ledger,
                                                                             postgres_only):
    from django.db import connection, transaction

    debtor, open_invoice = ledger
    payment = PaymentFactory(debtor=debtor, amount=Decimal(300), value_date=dt.date(2026, 3, 10),
                             unallocated_amount=Decimal(0))
    PaymentAllocation.objects.create(client=debtor.client, payment=payment,
                                     invoice=open_invoice, amount=Decimal(300))
    assert Invoice.objects.filter(last_settlement_on__isnull=False).count() == 3
    dates = [dt.date(2026, 1, 5), dt.date(2026, 1, 6), dt.date(2026, 1, 20),
             dt.date(2026, 1, 21), AS_OF, dt.date(2026, 3, 10), dt.date(2026, 3, 11)]
    with_date = [_features(debtor, as_of=day) for day in dates]
    with transaction.atomic(), connection.cursor() as cursor:
        # Triggers off for this transaction: the column stays NULL, features compute it all.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE portfolio_invoice SET last_settlement_on = NULL")
        without = [_features(debtor, as_of=day) for day in dates]
        cursor.execute("SET LOCAL session_replication_role = origin")
    for day, a, b in zip(dates, with_date, without, strict=True):
        for name in a:
            same = (a[name] == b[name]) or (a[name] != a[name] and b[name] != b[name])
            assert same, (day, name, a[name], b[name])
