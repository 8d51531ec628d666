"""The collections desk's invariants hold in the database itself, whatever writes the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from recovery.models import CollectionCase, Dispute, PaymentPlan, PromiseToPay
from tests.factories import InvoiceFactory, UserFactory
from tests.recovery.factories import (
    AgentSkillsFactory,
    CallbackFactory,
    CaseStageChangeFactory,
    CollectionCaseFactory,
    CollectionContactFactory,
    DisputedInvoiceFactory,
    DisputeFactory,
    InstalmentFactory,
    PaymentPlanFactory,
    PromiseToPayFactory,
)

pytestmark = pytest.mark.django_db


def _refused(factory, **kwargs) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_every_factory_makes_a_valid_row() -> None:
    for factory in (CollectionCaseFactory, CaseStageChangeFactory, CollectionContactFactory,
                    CallbackFactory, PromiseToPayFactory, PaymentPlanFactory, InstalmentFactory,
                    DisputeFactory, DisputedInvoiceFactory, AgentSkillsFactory):
        assert factory().pk is not None


def test_it_refuses_a_second_open_case_for_the_same_debtor_and_client() -> None:
    case = CollectionCaseFactory()
    _refused(CollectionCaseFactory, debtor=case.debtor)


def test_a_closed_case_leaves_room_for_a_new_one() -> None:
    now = timezone.now()
    case = CollectionCaseFactory(status=CollectionCase.Status.CLOSED,
                                 opened_at=now - dt.timedelta(days=30), closed_at=now)
    again = CollectionCaseFactory(debtor=case.debtor, reopened_count=1)
    assert again.pk != case.pk


def test_it_refuses_a_closed_case_without_a_closing_time() -> None:
    _refused(CollectionCaseFactory, status=CollectionCase.Status.CLOSED)


def test_it_refuses_a_negative_overdue_amount() -> None:
    _refused(CollectionCaseFactory, overdue_amount=Decimal("-1"))


def test_it_refuses_a_claim_without_an_expiry() -> None:
    user = UserFactory()
    _refused(CollectionCaseFactory, claimed_by=user, claimed_at=timezone.now())
    now = timezone.now()
    _refused(CollectionCaseFactory, claimed_by=user, claimed_at=now, claim_expires_at=now)


def test_it_refuses_a_hold_without_a_reason() -> None:
    _refused(CollectionCaseFactory, on_hold=True)


def test_it_refuses_a_legal_move_without_approval_reason_and_attempts() -> None:
    manager = UserFactory()
    legal = {"from_stage": "second_level", "to_stage": CollectionCase.Stage.LEGAL}
    _refused(CaseStageChangeFactory, **legal, amicable_attempts=3)
    _refused(CaseStageChangeFactory, **legal, approved_by=manager, approved_at=timezone.now(),
             amicable_attempts=0)
    _refused(CaseStageChangeFactory, **legal, approved_by=manager, approved_at=timezone.now(),
             amicable_attempts=3, reason="")
    assert CaseStageChangeFactory(**legal, approved_by=manager, approved_at=timezone.now(),
                                  amicable_attempts=3).pk


def test_it_refuses_a_stage_change_to_the_same_stage() -> None:
    _refused(CaseStageChangeFactory, from_stage="first_level", to_stage="first_level")


def test_it_refuses_a_reason_for_non_payment_from_anyone_but_the_right_party() -> None:
    _refused(CollectionContactFactory, party="wrong_party",
             reason_for_non_payment="financial_difficulty")


def test_it_refuses_a_party_on_an_unanswered_attempt() -> None:
    _refused(CollectionContactFactory, attempt_result="no_answer", party="right_party_verified")


def test_it_refuses_do_not_survey_without_a_reason() -> None:
    _refused(CollectionContactFactory, do_not_survey=True)


def test_it_refuses_a_contact_saved_before_it_was_opened() -> None:
    now = timezone.now()
    _refused(CollectionContactFactory, opened_at=now, saved_at=now - dt.timedelta(seconds=1))


def test_it_refuses_a_second_pending_callback_on_a_case() -> None:
    callback = CallbackFactory()
    _refused(CallbackFactory, case=callback.case)


def test_it_refuses_a_second_pending_promise_on_a_case() -> None:
    promise = PromiseToPayFactory()
    _refused(PromiseToPayFactory, case=promise.case)
    promise.status = PromiseToPay.Status.SUPERSEDED
    promise.save()
    assert PromiseToPayFactory(case=promise.case).pk


@pytest.mark.parametrize("fields", [{"amount": Decimal("0")}, {"threshold": Decimal("0")},
                                    {"threshold": Decimal("1.5")},
                                    {"status": "kept"},
                                    {"status": "broken", "evaluated_at": dt.datetime(
                                        2026, 3, 1, tzinfo=dt.UTC), "paid_amount": Decimal("1")}])
def test_it_refuses_an_impossible_promise(fields) -> None:
    _refused(PromiseToPayFactory, **fields)


def test_it_refuses_a_second_active_plan() -> None:
    plan = PaymentPlanFactory(status=PaymentPlan.Status.ACTIVE)
    _refused(PaymentPlanFactory, case=plan.case, status=PaymentPlan.Status.ACTIVE)


@pytest.mark.parametrize("fields", [{"total": Decimal("0")},
                                    {"down_payment": Decimal("600.00")},
                                    {"down_payment": Decimal("-1")}])
def test_it_refuses_an_impossible_plan(fields) -> None:
    _refused(PaymentPlanFactory, **fields)


def test_it_refuses_a_plan_renegotiated_twice() -> None:
    plan = PaymentPlanFactory(status=PaymentPlan.Status.RENEGOTIATED)
    PaymentPlanFactory(case=plan.case, supersedes=plan)
    _refused(PaymentPlanFactory, case=plan.case, supersedes=plan)


def test_it_refuses_two_instalments_with_one_number_and_a_zero_amount() -> None:
    instalment = InstalmentFactory(number=1)
    _refused(InstalmentFactory, plan=instalment.plan, number=1)
    _refused(InstalmentFactory, plan=instalment.plan, number=2, amount=Decimal("0"))


def test_an_invoice_is_in_at_most_one_open_dispute() -> None:
    link = DisputedInvoiceFactory()
    other = DisputeFactory(case=link.dispute.case)
    _refused(DisputedInvoiceFactory, dispute=other, invoice=link.invoice)
    link.is_open = False
    link.save()
    assert DisputedInvoiceFactory(dispute=other, invoice=link.invoice).pk


def test_it_refuses_a_resolved_dispute_without_who_and_when() -> None:
    _refused(DisputeFactory, status=Dispute.Status.REJECTED)
    assert DisputeFactory(status=Dispute.Status.REJECTED, resolved_by=UserFactory(),
                          resolved_at=timezone.now()).pk


def test_the_recovery_app_is_called_collections_and_never_shadows_the_standard_library() -> None:
    import sys

    from django.apps import apps

    config = apps.get_app_config("recovery")
    assert str(config.verbose_name) == "Collections"
    assert "recovery" not in sys.stdlib_module_names
    assert InvoiceFactory().pk  # the ledger the cases are about is there
