"""The case opener: one case per overdue debtor and client, set-based, idempotent, catch-up
safe; refreshed, held, closed and reopened as the ledger moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portfolio.models import Invoice
from recovery import services, tasks
from recovery.models import CollectionCase
from tests.factories import ClientFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 10)


def _overdue(debtor, amount="100.00", due=dt.date(2026, 2, 1), **kwargs) -> Invoice:
    return InvoiceFactory(debtor=debtor, client=debtor.client, amount=Decimal(amount),
                          issue_date=due - dt.timedelta(days=30), due_date=due, **kwargs)


def _settle(invoice: Invoice) -> None:
    Invoice.objects.filter(pk=invoice.pk).update(open_balance=0, status=Invoice.Status.PAID)


def test_it_opens_one_case_per_debtor_with_overdue_invoices() -> None:
    client = ClientFactory()
    late, early, paid = (DebtorFactory(client=client) for _ in range(3))
    _overdue(late, "100.00", dt.date(2026, 2, 1))
    _overdue(late, "50.50", dt.date(2026, 1, 15))
    _overdue(early, due=AS_OF)  # due today: not overdue yet
    _settle(_overdue(paid))

    result = services.cases_open(client_id=client.pk, as_of=AS_OF)

    case = CollectionCase.objects.get()
    assert result.opened == 1
    assert (case.debtor, case.status, case.stage) == (late, "open", "first_level")
    assert (case.overdue_amount, case.oldest_due_date) == (Decimal("150.50"),
                                                           dt.date(2026, 1, 15))
    assert (case.currency, case.language, case.segment) == ("EUR", late.language, late.kind)
    assert case.strategy in CollectionCase.Strategy.values


def test_running_twice_opens_nothing_twice_and_chunks_change_nothing() -> None:
    client = ClientFactory()
    for _ in range(5):
        _overdue(DebtorFactory(client=client))
    first = services.cases_open(client_id=client.pk, as_of=AS_OF, chunk_debtors=2)
    second = services.cases_open(client_id=client.pk, as_of=AS_OF, chunk_debtors=2)
    assert (first.opened, first.chunks) == (5, 3)
    assert (second.opened, second.refreshed, second.closed) == (0, 0, 0)
    assert CollectionCase.objects.count() == 5


def test_it_catches_up_on_a_day_it_did_not_run() -> None:
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    _overdue(debtor, due=dt.date(2026, 1, 2))  # overdue since long before today's run
    services.cases_open(client_id=client.pk, as_of=AS_OF)
    assert CollectionCase.objects.filter(debtor=debtor, status="open").exists()


def test_strategies_are_assigned_at_random_to_both_arms() -> None:
    client = ClientFactory()
    for _ in range(40):
        _overdue(DebtorFactory(client=client))
    services.cases_open(client_id=client.pk, as_of=AS_OF)
    assert set(CollectionCase.objects.values_list("strategy", flat=True)) == {
        "empathetic", "standard"}


def test_the_overdue_amount_follows_payments() -> None:
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    invoice = _overdue(debtor, "300.00")
    services.cases_open(client_id=client.pk, as_of=AS_OF)
    Invoice.objects.filter(pk=invoice.pk).update(open_balance=Decimal("120.00"),
                                                 status=Invoice.Status.PARTIALLY_PAID)
    result = services.cases_open(client_id=client.pk, as_of=AS_OF)
    assert result.refreshed == 1
    assert CollectionCase.objects.get().overdue_amount == Decimal("120.00")


def test_a_paid_case_closes_and_a_new_overdue_reopens_a_new_case() -> None:
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    first_invoice = _overdue(debtor)
    services.cases_open(client_id=client.pk, as_of=AS_OF)
    _settle(first_invoice)

    closed = services.cases_open(client_id=client.pk, as_of=AS_OF)
    first = CollectionCase.objects.get()
    assert closed.closed == 1
    assert (first.status, first.close_reason, first.overdue_amount) == ("closed", "paid", 0)

    _overdue(debtor, due=dt.date(2026, 3, 1))
    services.cases_open(client_id=client.pk, as_of=AS_OF)
    second = CollectionCase.objects.exclude(pk=first.pk).get()
    assert (second.status, second.reopened_count) == ("open", 1)
    first.refresh_from_db()
    assert first.status == "closed"  # the history is kept


def test_a_debtor_whose_every_overdue_invoice_is_disputed_is_held_not_closed() -> None:
    client = ClientFactory()
    debtor = DebtorFactory(client=client)
    invoice = _overdue(debtor)
    services.cases_open(client_id=client.pk, as_of=AS_OF)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.DISPUTED)

    result = services.cases_open(client_id=client.pk, as_of=AS_OF)

    case = CollectionCase.objects.get()
    assert (result.held, result.closed) == (1, 0)
    assert (case.status, case.on_hold, case.overdue_amount) == ("open", True, 0)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.OPEN)
    services.cases_open(client_id=client.pk, as_of=AS_OF)
    case.refresh_from_db()
    assert (case.on_hold, case.overdue_amount) == (False, Decimal("100.00"))


def test_a_debtor_with_only_disputed_invoices_gets_no_case() -> None:
    client = ClientFactory()
    _overdue(DebtorFactory(client=client), status=Invoice.Status.DISPUTED)
    assert services.cases_open(client_id=client.pk, as_of=AS_OF).opened == 0


def test_cases_stay_inside_their_client() -> None:
    mine, other = ClientFactory(), ClientFactory()
    _overdue(DebtorFactory(client=mine))
    _overdue(DebtorFactory(client=other))
    services.cases_open(client_id=mine.pk, as_of=AS_OF)
    assert list(CollectionCase.objects.values_list("client_id", flat=True)) == [mine.pk]


def test_the_client_task_opens_and_prioritises(settings) -> None:
    client = ClientFactory()
    _overdue(DebtorFactory(client=client), "200.00")
    counts = tasks.client_cases_task(client_id=client.pk, run_date=AS_OF.isoformat())
    case = CollectionCase.objects.get()
    assert (counts["opened"], counts["prioritised"]) == (1, 1)
    assert case.priority > 0
    assert [reason["code"] for reason in case.priority_reasons][:1] == ["expected_loss"]
    assert "recovery.cases_refresh_task" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
