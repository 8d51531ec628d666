"""Features registered by other apps: unreachable calls, broken promises, unreached attempts.

Each is counted as of a date from what was known before it; nothing dated on or after the
as-of date changes it.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from caring.models import CaringPolicy, CourtesyCall, CourtesyCallInvoice
from compliance.models import ContactAttempt
from portfolio.models import PaymentAllocation
from scoring.features import FEATURE_NAMES, FEATURES, MONOTONE, debtor_features
from scoring.reasons import reason_lines
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import DebtorFactory, InvoiceFactory, PaymentFactory

AS_OF = dt.date(2026, 3, 1)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def _features(debtor, as_of=AS_OF):
    features = debtor_features(client_id=debtor.client_id, lo=debtor.pk, hi=debtor.pk,
                               as_of=as_of)
    return {k: v[0] for k, v in features.items()}


def _call(debtor, *, window: dt.date, completed: dt.date, **fields):
    policy = (CaringPolicy.objects.filter(client=debtor.client).first()
              or CaringPolicyFactory(client=debtor.client))
    return CourtesyCallFactory(debtor=debtor, policy=policy, window_date=window,
                               first_due_date=window + dt.timedelta(days=7),
                               completed_at=_at(completed), **fields)


def _promise(debtor, *, made: dt.date, promised: dt.date, amount: int, number: str):
    invoice = InvoiceFactory(debtor=debtor, number=number, issue_date=made - dt.timedelta(25),
                             due_date=made + dt.timedelta(days=5), amount=Decimal(amount))
    call = _call(debtor, window=made, completed=made, status=CourtesyCall.Status.DONE,
                 outcome=CourtesyCall.Outcome.PAYMENT_DATE, payment_date=promised)
    CourtesyCallInvoice.objects.create(client=debtor.client, call=call, invoice=invoice,
                                       linked_on=made)
    return invoice


def _pay(debtor, invoice, *, on: dt.date, amount: int):
    payment = PaymentFactory(debtor=debtor, amount=Decimal(amount), value_date=on,
                             unallocated_amount=Decimal(0))
    PaymentAllocation.objects.create(client=debtor.client, payment=payment, invoice=invoice,
                                     amount=Decimal(amount))


def test_the_apps_register_their_features_with_scoring():
    for name in ("failed_calls_6m", "broken_promises_12m", "unreached_attempts_6m"):
        assert name in FEATURE_NAMES and MONOTONE[name] == "increasing"
    assert {name for name, *_ in FEATURES} == set(FEATURE_NAMES)


def test_failed_calls_count_the_six_months_before_the_as_of_date(db):
    debtor = DebtorFactory()
    failed = CourtesyCall.Status.FAILED
    _call(debtor, window=dt.date(2026, 1, 10), completed=dt.date(2026, 1, 12), status=failed)
    _call(debtor, window=dt.date(2026, 2, 1), completed=dt.date(2026, 2, 3), status=failed)
    _call(debtor, window=dt.date(2025, 6, 1), completed=dt.date(2025, 6, 2), status=failed)
    _call(debtor, window=dt.date(2026, 2, 10), completed=dt.date(2026, 2, 10),
          status=CourtesyCall.Status.DONE, outcome=CourtesyCall.Outcome.RECEIVED_OK)
    assert _features(debtor)["failed_calls_6m"] == 2
    # Planned before the as-of date but failed on it: not known yet.
    _call(debtor, window=dt.date(2026, 2, 27), completed=AS_OF, status=failed)
    assert _features(debtor)["failed_calls_6m"] == 2
    assert _features(debtor, as_of=AS_OF + dt.timedelta(days=1))["failed_calls_6m"] == 3
    assert _features(DebtorFactory(client=debtor.client))["failed_calls_6m"] == 0


def test_a_promise_is_broken_when_its_invoice_was_still_open_on_the_promised_date(db):
    debtor = DebtorFactory()
    kept = _promise(debtor, made=dt.date(2025, 12, 1), promised=dt.date(2025, 12, 15),
                    amount=100, number="K1")
    _pay(debtor, kept, on=dt.date(2025, 12, 15), amount=100)
    late = _promise(debtor, made=dt.date(2026, 1, 5), promised=dt.date(2026, 1, 20),
                    amount=200, number="L1")
    _pay(debtor, late, on=dt.date(2026, 2, 1), amount=200)  # paid, but after the promise
    _promise(debtor, made=dt.date(2026, 1, 25), promised=dt.date(2026, 2, 10), amount=300,
             number="U1")  # never paid
    assert _features(debtor)["broken_promises_12m"] == 2


def test_a_promise_is_not_judged_before_its_date_nor_on_later_news(db):
    debtor = DebtorFactory()
    # Promised for the as-of date itself: not yet due, whatever happens later.
    pending = _promise(debtor, made=dt.date(2026, 2, 20), promised=AS_OF, amount=100,
                       number="P1")
    assert _features(debtor)["broken_promises_12m"] == 0
    # The promised date passes unpaid: broken as of the next day, not before.
    assert _features(debtor, as_of=AS_OF + dt.timedelta(days=1))["broken_promises_12m"] == 1
    # A call made on the as-of date is not known as of it.
    _promise(debtor, made=AS_OF, promised=AS_OF - dt.timedelta(days=1), amount=50,
             number="P2")
    assert _features(debtor)["broken_promises_12m"] == 0
    _pay(debtor, pending, on=AS_OF, amount=100)
    assert _features(debtor, as_of=AS_OF + dt.timedelta(days=1))["broken_promises_12m"] == 1


def test_unreached_attempts_count_the_six_months_before_the_as_of_date(db):
    debtor = DebtorFactory()

    def attempt(day: dt.date, result: str, party: str = "") -> None:
        conversation = result == "answered" and party == "right_party_verified"
        ContactAttempt.objects.create(
            client=debtor.client, debtor=debtor, channel="call", destination="+390000000",
            started_at=_at(day), result=result, party=party,
            connected=result != "busy", conversation=conversation)

    attempt(dt.date(2026, 1, 5), "busy")
    attempt(dt.date(2026, 1, 6), "no_answer")
    attempt(dt.date(2026, 1, 7), "answered", "right_party_verified")
    attempt(dt.date(2025, 5, 1), "busy")  # more than 6 months before
    attempt(AS_OF, "busy")  # on the as-of date: not known yet
    assert _features(debtor)["unreached_attempts_6m"] == 2


def test_registered_features_are_worded_in_reasons():
    lines = reason_lines([["broken_promises_12m", -25, 2.0], ["failed_calls_6m", -10, 1.0],
                          ["unreached_attempts_6m", -5, 4.0]])
    assert [line["text"] for line in lines] == [
        "broke 2 promises to pay in the last 12 months",
        "1 courtesy call in the last 6 months never reached the debtor",
        "4 contact attempts in the last 6 months did not reach the debtor",
    ]


@pytest.mark.parametrize("stored", [
    [{"code": "late_share_12m", "impact": -30, "text": "stored words"}],
    [{"code": "late_share_12m", "impact": -30, "text": "stored words",
      "params": {"value": 0.5, "late": 3, "due": 6}}],
])
def test_reasons_stored_by_earlier_runs_still_read(stored):
    [line] = reason_lines(stored)
    assert line["impact"] == -30 and line["text"] in (
        "stored words", "paid 3 of the last 6 invoices more than 30 days late")
