"""A payment that did not stay paid: reversing it reopens what it settled, once, and is
refused with the problem named when it cannot be done."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pytest
from django.urls import reverse

from access.errors import DomainError
from portfolio import services
from portfolio.models import Debtor, Invoice, Payment, PaymentAllocation, PaymentReversal
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

PAID_ON = dt.date(2026, 2, 5)


def _debtor(**values: object) -> Debtor:
    return cast(Debtor, DebtorFactory(**values))


def _invoice(debtor: Debtor, amount: str, due: dt.date) -> Invoice:
    return cast(Invoice, InvoiceFactory(debtor=debtor, amount=Decimal(amount), due_date=due))


def _paid_ledger() -> tuple[Debtor, Invoice, Invoice, Payment]:
    """Two invoices of 100 and 50, one payment of 150 settling both."""
    debtor = _debtor()
    first = _invoice(debtor, "100.00", dt.date(2026, 1, 31))
    second = _invoice(debtor, "50.00", dt.date(2026, 2, 28))
    payment, _ = services.payment_record(client=debtor.client, debtor=debtor,
                                         external_ref="SDD-1", amount=Decimal("150.00"),
                                         value_date=PAID_ON)
    return debtor, first, second, payment


def _state(invoice: Invoice) -> tuple[Decimal, str]:
    invoice.refresh_from_db()
    return invoice.open_balance, invoice.status


def test_a_reversed_payment_reopens_the_invoices_it_settled() -> None:
    _debtor, first, second, payment = _paid_ledger()
    assert _state(first) == (Decimal("0.00"), "paid")

    reversal = services.payment_reverse(payment=payment, booked_on=dt.date(2026, 2, 12),
                                        reason="bounced", note="Insufficient funds")

    assert (reversal.amount, reversal.currency) == (Decimal("150.00"), payment.currency)
    assert _state(first) == (Decimal("100.00"), "open")
    assert _state(second) == (Decimal("50.00"), "open")
    assert not PaymentAllocation.objects.filter(payment=payment).exists()
    assert Payment.objects.get(pk=payment.pk).unallocated_amount == 0


def test_a_part_credited_invoice_reopens_part_paid_and_a_disputed_one_stays_disputed() -> None:
    debtor = _debtor()
    credited = _invoice(debtor, "100.00", dt.date(2026, 1, 31))
    services.credit_note_issue(invoice=credited, number="CN-1", amount=Decimal("20.00"),
                               issue_date=dt.date(2026, 2, 1))
    disputed = _invoice(debtor, "50.00", dt.date(2026, 2, 28))
    payment, _ = services.payment_record(client=debtor.client, debtor=debtor,
                                         external_ref="CARD-1", amount=Decimal("130.00"),
                                         value_date=PAID_ON)
    Invoice.objects.filter(pk=disputed.pk).update(status=Invoice.Status.DISPUTED)

    services.payment_reverse(payment=payment, booked_on=PAID_ON, reason="chargeback")

    assert _state(credited) == (Decimal("80.00"), "partially_paid")
    assert _state(disputed) == (Decimal("50.00"), "disputed")


def test_unapplied_credit_settles_the_reopened_invoice() -> None:
    debtor, first, _second, payment = _paid_ledger()
    services.payment_record(client=debtor.client, debtor=debtor, external_ref="BT-2",
                            amount=Decimal("30.00"), value_date=dt.date(2026, 2, 10))

    services.payment_reverse(payment=payment, booked_on=dt.date(2026, 2, 12), reason="bounced")

    # The later transfer of 30 now pays the oldest reopened invoice in part.
    assert _state(first) == (Decimal("70.00"), "partially_paid")


def test_a_payment_is_reversed_once() -> None:
    _debtor, _first, _second, payment = _paid_ledger()
    services.payment_reverse(payment=payment, booked_on=PAID_ON, reason="bounced")

    with pytest.raises(DomainError) as refused:
        services.payment_reverse(payment=payment, booked_on=PAID_ON, reason="bounced")

    assert refused.value.code == "already_reversed" and "SDD-1" in str(refused.value)
    assert PaymentReversal.objects.count() == 1


@pytest.mark.parametrize(("booked_on", "reason", "code", "field"), [
    (dt.date(2026, 2, 4), "bounced", "before_payment", "booked_on"),
    (PAID_ON, "lost_in_post", "bad_choice", "reason"),
])
def test_a_bad_reversal_is_refused_and_changes_nothing(booked_on, reason, code, field) -> None:
    _debtor, first, _second, payment = _paid_ledger()

    with pytest.raises(DomainError) as refused:
        services.payment_reverse(payment=payment, booked_on=booked_on, reason=reason)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert _state(first) == (Decimal("0.00"), "paid")
    assert PaymentAllocation.objects.filter(payment=payment).count() == 2
    assert not PaymentReversal.objects.exists()


def test_the_settlement_date_clears_when_the_payment_is_reversed(postgres_only) -> None:
    _debtor, first, _second, payment = _paid_ledger()
    assert Invoice.objects.get(pk=first.pk).last_settlement_on == PAID_ON

    services.payment_reverse(payment=payment, booked_on=PAID_ON, reason="cheque_returned")

    assert Invoice.objects.get(pk=first.pk).last_settlement_on is None


def _page_payment(personas) -> tuple[Payment, str]:
    debtor = _debtor(client=personas.client_a)
    _invoice(debtor, "100.00", dt.date(2026, 1, 31))
    payment, _ = services.payment_record(client=debtor.client, debtor=debtor,
                                         external_ref="CHQ-7", amount=Decimal("100.00"),
                                         value_date=PAID_ON)
    return payment, reverse("portfolio:payment_reverse", args=[debtor.pk, payment.pk])


def test_a_credit_manager_reverses_from_the_debtor_page(client, personas) -> None:
    payment, url = _page_payment(personas)
    client.force_login(personas.credit_manager)
    page = client.get(reverse("portfolio:debtor_detail", args=[payment.debtor_id]))
    assert 'data-testid="reverse-payment"' in page.content.decode()

    response = client.post(url, {"booked_on": "2026-02-09", "reason": "cheque_returned",
                                 "note": "Returned by the bank"}, follow=True)

    assert response.status_code == 200
    reversal = PaymentReversal.objects.get(payment=payment)
    assert (reversal.booked_on, reversal.created_by) == (dt.date(2026, 2, 9),
                                                         personas.credit_manager)
    body = response.content.decode()
    assert "CHQ-7 reversed" in body and 'data-testid="reverse-payment"' not in body


def test_a_bad_date_on_the_page_is_named_and_nothing_is_reversed(client, personas) -> None:
    payment, url = _page_payment(personas)
    client.force_login(personas.credit_manager)

    response = client.post(url, {"booked_on": "9 Feb", "reason": "bounced"}, follow=True)

    assert "booked_on" in response.content.decode()
    assert not PaymentReversal.objects.filter(payment=payment).exists()


def test_an_agent_sees_no_reverse_form_and_is_refused(client, personas) -> None:
    payment, url = _page_payment(personas)
    client.force_login(personas.agent)

    page = client.get(reverse("portfolio:debtor_detail", args=[payment.debtor_id]))
    response = client.post(url, {"booked_on": "2026-02-09", "reason": "bounced"})

    assert 'data-testid="reverse-payment"' not in page.content.decode()
    assert response.status_code == 403
    assert not PaymentReversal.objects.exists()
