"""Follow-up tasks opened by courtesy calls (resend the invoice, correct its data): the list,
closing a task once, and who may see and close what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone

from access.errors import DomainError
from caring import services
from caring.models import CaringPolicy, CaringTask, CourtesyCallInvoice
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _task(client, kind: str = CaringTask.Kind.RESEND, number: str | None = None) -> CaringTask:
    debtor = DebtorFactory(client=client)
    policy = CaringPolicy.objects.filter(client=client).first() or \
        CaringPolicyFactory(client=client)
    call = CourtesyCallFactory(debtor=debtor, policy=policy, scheduled_at=timezone.now())
    invoice = InvoiceFactory(debtor=debtor, due_date=dt.date(2026, 3, 9),
                             **({"number": number} if number else {}))
    CourtesyCallInvoice.objects.create(client=client, call=call, invoice=invoice,
                                       linked_on=call.window_date)
    return CaringTask.objects.create(client=client, call=call, invoice=invoice, kind=kind,
                                     note="Send it to the new PEC address.")


def _browser(user) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


def test_an_agent_sees_the_open_tasks_of_their_clients_only(personas) -> None:
    ours = _task(personas.client_a, number="OURS-1")
    _task(personas.client_b, number="THEIRS-1")

    response = _browser(personas.agent).get("/caring/tasks/")

    assert response.status_code == 200
    assert b"OURS-1" in response.content
    assert b"THEIRS-1" not in response.content
    assert f'/caring/tasks/{ours.pk}/done/'.encode() in response.content


def test_marking_a_task_done_records_who_and_when_and_moves_it_to_done(personas) -> None:
    task = _task(personas.client_a, number="DONE-1")
    browser = _browser(personas.agent)

    response = browser.post(f"/caring/tasks/{task.pk}/done/", {"note": "Resent by PEC."})

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.done_by) == (CaringTask.Status.DONE, personas.agent)
    assert task.done_at is not None
    assert task.note == "Send it to the new PEC address.\nResent by PEC."
    assert b"DONE-1" not in browser.get("/caring/tasks/").content
    assert b"DONE-1" in browser.get("/caring/tasks/?status=done").content


def test_a_task_is_closed_once(personas) -> None:
    task = _task(personas.client_a)
    services.task_complete(task=task, user=personas.agent)

    with pytest.raises(DomainError, match="already marked done"):
        services.task_complete(task=task, user=personas.team_leader)

    task.refresh_from_db()
    assert task.done_by == personas.agent


def test_a_client_viewer_is_sent_to_the_portal_and_cannot_close_tasks(personas) -> None:
    # The staff's task list is not a client's screen: the client portal is (insights.home).
    task = _task(personas.client_a, number="VIEW-1")
    browser = _browser(personas.viewer_a)

    page = browser.get("/caring/tasks/")
    refused = browser.post(f"/caring/tasks/{task.pk}/done/")

    assert page.status_code == 403 and b"VIEW-1" not in page.content
    assert refused.status_code == 403
    task.refresh_from_db()
    assert task.status == CaringTask.Status.OPEN


def test_another_clients_task_cannot_be_closed(personas) -> None:
    theirs = _task(personas.client_b)

    response = _browser(personas.agent).post(f"/caring/tasks/{theirs.pk}/done/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == CaringTask.Status.OPEN


def test_the_task_list_costs_the_same_queries_for_one_task_or_many(
        personas, django_assert_max_num_queries) -> None:
    for _ in range(12):
        _task(personas.client_a)
    browser = _browser(personas.agent)
    browser.get("/caring/tasks/")  # session and permission caches warm

    with django_assert_max_num_queries(12):
        response = browser.get("/caring/tasks/")

    assert response.content.count(b'data-testid="task-row"') == 12
