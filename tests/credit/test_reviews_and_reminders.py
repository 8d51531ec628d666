"""Beat work: reviews opened by date and by a two-band score drop, once; approvers mailed on
submission and reminded once per service-time period."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from credit import services, tasks
from credit.models import CreditLimit, CreditLimitRequest
from tests.credit.factories import CreditTierPolicyFactory, score

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_limit(personas, debtor):
    score(debtor, "B", as_of=dt.date(2026, 1, 1))
    request = services.credit_request_create(debtor=debtor, amount=Decimal("8000"),
                                             justification="Seasonal orders", by=personas.agent)
    services.credit_request_submit(request=request, by=personas.agent)
    return CreditLimit.objects.get(request=request)


def test_a_review_opens_when_the_review_date_comes_and_not_twice(personas, approved_limit):
    assert approved_limit.approved_score_band == "B"
    day_before = approved_limit.review_date - dt.timedelta(days=1)
    assert services.credit_reviews_open(today=day_before) == []

    opened = services.credit_reviews_open(today=approved_limit.review_date)
    again = services.credit_reviews_open(today=approved_limit.review_date + dt.timedelta(days=3))

    assert len(opened) == 1
    review = opened[0]
    assert (review.kind, review.review_reason, review.review_of) == (
        "review", "review_date", approved_limit)
    assert review.status == CreditLimitRequest.Status.SUBMITTED
    assert review.tier == 2  # a review always goes to a person, even a tier 1 amount
    assert review.requested_by is None
    assert again == []
    assert CreditLimitRequest.objects.filter(review_of=approved_limit).count() == 1


def test_a_review_opens_when_the_score_drops_two_bands(personas, debtor, approved_limit):
    score(debtor, "C", as_of=dt.date(2026, 2, 1))
    assert services.credit_reviews_open(today=dt.date(2026, 2, 2)) == []

    score(debtor, "D", as_of=dt.date(2026, 3, 1))
    opened = services.credit_reviews_open(today=dt.date(2026, 3, 2))
    again = services.credit_reviews_open(today=dt.date(2026, 3, 3))

    assert [request.review_reason for request in opened] == ["score_drop"]
    assert "band B at approval to band D" in opened[0].justification
    assert again == []


def test_the_review_task_is_idempotent(personas, debtor, approved_limit):
    score(debtor, "E", as_of=dt.date(2026, 3, 1))

    assert tasks.credit_reviews_open_task() == 1
    assert tasks.credit_reviews_open_task() == 0


def test_the_database_refuses_a_second_open_review_of_a_limit(personas, approved_limit):
    from django.db import IntegrityError

    services.credit_reviews_open(today=approved_limit.review_date)

    with pytest.raises(IntegrityError):
        CreditLimitRequest.objects.create(
            client=approved_limit.client, debtor=approved_limit.debtor, kind="review",
            amount=1, currency="EUR", justification="again", review_of=approved_limit)


def test_approvers_are_mailed_when_a_request_starts_waiting(personas, debtor,
                                                            django_capture_on_commit_callbacks):
    request = services.credit_request_create(debtor=debtor, amount=Decimal("50000"),
                                             justification="Bigger orders", by=personas.agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.credit_request_submit(request=request, by=personas.agent)

    assert [message.to for message in mail.outbox] == [[personas.credit_manager.email]]
    assert debtor.name in mail.outbox[0].subject
    assert f"/credit/requests/{request.pk}/" in mail.outbox[0].body


def test_the_committee_is_mailed_for_tier_3(personas, debtor, committee_2,
                                            django_capture_on_commit_callbacks):
    request = services.credit_request_create(debtor=debtor, amount=Decimal("500000"),
                                             justification="Framework deal", by=personas.agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.credit_request_submit(request=request, by=personas.agent)

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [personas.committee.email, committee_2.email])


def test_reminders_go_once_per_service_time_period(personas, debtor):
    CreditTierPolicyFactory(client=personas.client_a, service_time_hours=8)
    request = services.credit_request_create(debtor=debtor, amount=Decimal("50000"),
                                             justification="Bigger orders", by=personas.agent)
    services.credit_request_submit(request=request, by=personas.agent)
    request.refresh_from_db()
    start = request.submitted_at
    assert start is not None
    mail.outbox.clear()

    assert services.credit_reminders_send(now=start + dt.timedelta(hours=7)) == 0
    assert services.credit_reminders_send(now=start + dt.timedelta(hours=9)) == 1
    assert services.credit_reminders_send(now=start + dt.timedelta(hours=10)) == 0
    assert services.credit_reminders_send(now=start + dt.timedelta(hours=17)) == 1

    assert len(mail.outbox) == 2
    assert "Reminder" in mail.outbox[0].subject
    assert "8 hours" in mail.outbox[0].body


def test_a_decided_request_is_not_reminded(personas, debtor):
    request = services.credit_request_create(debtor=debtor, amount=Decimal("50000"),
                                             justification="Bigger orders", by=personas.agent)
    services.credit_request_submit(request=request, by=personas.agent)
    services.credit_request_approve(request=request, by=personas.credit_manager)
    mail.outbox.clear()

    assert services.credit_reminders_send(now=timezone.now() + dt.timedelta(days=5)) == 0
    assert mail.outbox == []


def test_the_beat_schedules_both_credit_tasks(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"credit.credit_reminders_send_task",
            "credit.credit_reviews_open_task"} <= tasks_scheduled
    assert tasks.credit_reminders_send_task.name == "credit.credit_reminders_send_task"
    assert tasks.credit_reviews_open_task.name == "credit.credit_reviews_open_task"


def test_an_approved_review_renews_the_limit_and_a_rejected_one_withdraws_it(personas, debtor,
                                                                             approved_limit):
    today = timezone.localdate()
    CreditLimit.objects.filter(pk=approved_limit.pk).update(review_date=today)
    review = services.credit_reviews_open(today=today)[0]
    services.credit_request_approve(request=review, by=personas.credit_manager)
    renewed = CreditLimit.objects.get(debtor=debtor, status="active")
    assert renewed.review_date > today
    assert services.credit_reviews_open(today=today) == []

    CreditLimit.objects.filter(pk=renewed.pk).update(review_date=today)
    second = services.credit_reviews_open(today=today)[0]
    services.credit_request_reject(request=second, by=personas.credit_manager,
                                   comment="Payments now 60 days late")

    renewed.refresh_from_db()
    debtor.refresh_from_db()
    assert renewed.status == CreditLimit.Status.EXPIRED
    assert debtor.credit_limit is None
    assert services.credit_reviews_open(today=today) == []
