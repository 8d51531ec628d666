"""Planning now: the "Plan now" action on the plan page, its progress and the start-up command
that fills the agents' queue before the first login."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client as BrowserClient
from django.utils import timezone

from caring import services
from caring.models import CourtesyCall, PlanRun
from config.celery import app as celery_app
from tests.caring.factories import CallableDebtorFactory, CaringPolicyFactory
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _browser(user) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


def _falling_due(client, count: int = 3) -> None:
    """Invoices due in two days (inside a 5-business-day window whatever today is)."""
    for _ in range(count):
        debtor = CallableDebtorFactory(client=client)
        InvoiceFactory(debtor=debtor, due_date=timezone.localdate() + dt.timedelta(days=2),
                       issue_date=timezone.localdate() - dt.timedelta(days=28),
                       amount=Decimal("120.00"))


@pytest.fixture
def eager_celery():
    """Tasks run in this process when enqueued (the real task code, no broker needed)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_plan_now_enqueues_one_run_after_commit_and_a_second_click_adds_none(
        personas, django_capture_on_commit_callbacks) -> None:
    CaringPolicyFactory(client=personas.client_a)
    CaringPolicyFactory(client=personas.client_b)  # another client's: not the manager's
    browser = _browser(personas.credit_manager)

    with django_capture_on_commit_callbacks() as first:
        response = browser.post("/caring/plan-now/")
    with django_capture_on_commit_callbacks() as second:
        browser.post("/caring/plan-now/")

    assert response.status_code == 302
    run = PlanRun.objects.get()
    assert (run.client, run.status, run.requested_by) == (
        personas.client_a, PlanRun.Status.QUEUED, personas.credit_manager)
    assert len(first) == 1
    assert second == []


def test_a_queued_run_plans_the_calls_and_records_its_result(
        personas, django_capture_on_commit_callbacks, eager_celery) -> None:
    CaringPolicyFactory(client=personas.client_a)
    _falling_due(personas.client_a, 3)
    browser = _browser(personas.credit_manager)

    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/caring/plan-now/", HTTP_HX_REQUEST="true")

    run = PlanRun.objects.get()
    assert run.status == PlanRun.Status.DONE
    assert (run.calls, run.assigned, run.policies_done, run.policies_total) == (3, 3, 1, 1)
    assert run.finished_at is not None
    assert CourtesyCall.objects.filter(client=personas.client_a).count() == 3
    # A redelivered task finds the run over and plans nothing.
    assert services.plan_run_execute(run_id=run.pk) is None


def test_the_progress_partial_polls_while_a_run_is_open_and_stops_when_it_is_done(
        personas) -> None:
    CaringPolicyFactory(client=personas.client_a)
    browser = _browser(personas.credit_manager)
    (run,) = services.plan_runs_request(clients=[personas.client_a],
                                        user=personas.credit_manager, enqueue=False)

    waiting = browser.get("/caring/plan-progress/").content.decode()
    assert 'hx-trigger="every 1s"' in waiting
    assert 'data-run-status="queued"' in waiting
    assert "disabled" in waiting

    services.plan_run_execute(run_id=run.pk)
    done = browser.get("/caring/plan-progress/").content.decode()
    assert 'data-run-status="done"' in done
    assert "every 1s" not in done
    # The plan page itself shows the same block.
    assert 'data-testid="plan-runs"' in browser.get("/caring/").content.decode()


def test_an_agent_may_not_plan_now_and_sees_no_button(personas) -> None:
    CaringPolicyFactory(client=personas.client_a)
    browser = _browser(personas.agent)
    assert browser.post("/caring/plan-now/").status_code == 403
    assert 'data-testid="plan-now"' not in browser.get("/caring/").content.decode()
    assert not PlanRun.objects.exists()


def test_a_run_whose_worker_died_is_replaced_by_the_next_request(personas) -> None:
    CaringPolicyFactory(client=personas.client_a)
    (stale,) = services.plan_runs_request(clients=[personas.client_a], user=None,
                                          enqueue=False)
    PlanRun.objects.filter(pk=stale.pk).update(
        status=PlanRun.Status.RUNNING, created_at=timezone.now() - dt.timedelta(hours=2))

    (fresh,) = services.plan_runs_request(clients=[personas.client_a], user=None,
                                          enqueue=False)

    assert fresh.pk != stale.pk
    stale.refresh_from_db()
    assert stale.status == PlanRun.Status.FAILED


def test_the_start_up_command_fills_the_agents_queue_before_the_first_login(personas) -> None:
    CaringPolicyFactory(client=personas.client_a)
    _falling_due(personas.client_a, 2)

    output = io.StringIO()
    call_command("caring_plan", stdout=output)
    call_command("caring_plan", stdout=output)

    assert CourtesyCall.objects.filter(client=personas.client_a).count() == 2
    assert list(PlanRun.objects.values_list("status", flat=True)) == ["done", "done"]
    assert "2 courtesy calls planned" in output.getvalue()


def test_a_run_left_running_by_a_dead_worker_is_taken_over_only_on_redelivery(personas) -> None:
    CaringPolicyFactory(client=personas.client_a)
    _falling_due(personas.client_a, 1)
    (run,) = services.plan_runs_request(clients=[personas.client_a], user=None, enqueue=False)
    PlanRun.objects.filter(pk=run.pk).update(status=PlanRun.Status.RUNNING)

    assert services.plan_run_execute(run_id=run.pk) is None  # a duplicate: left alone
    done = services.plan_run_execute(run_id=run.pk, resume=True)

    assert done is not None and done.status == PlanRun.Status.DONE
    assert done.calls == 1
