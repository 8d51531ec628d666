"""Protective flags set and cleared from the debtor page by the roles allowed to."""

import datetime as dt

import pytest
from django.test import Client as WebClient

from compliance.engine import can_contact
from portfolio.models import Debtor
from tests.compliance.factories import ROME, debtor_with_phone, local

pytestmark = pytest.mark.django_db

MONDAY = (2026, 9, 14)


def _flag(client, debtor, flag, value):
    return client.post(f"/portfolio/debtors/{debtor.pk}/flags/",
                       {"flag": flag, "value": "1" if value else "0"})


def test_an_agent_sets_do_not_call_from_the_page_and_the_next_call_is_refused(client, personas):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    assert can_contact(debtor, "call", phone, local(ROME, *MONDAY, 10), record=False).allowed
    client.force_login(personas.agent)

    page = client.get(f"/portfolio/debtors/{debtor.pk}/").content.decode()
    assert 'data-testid="flag-do_not_call-set"' in page
    response = _flag(client, debtor, "do_not_call", True)

    assert response.status_code == 302
    debtor = Debtor.objects.get(pk=debtor.pk)
    assert debtor.do_not_call and debtor.do_not_call_set_by == personas.agent
    assert debtor.do_not_call_set_at is not None
    decision = can_contact(debtor, "call", phone, local(ROME, *MONDAY, 10), record=False)
    assert not decision.allowed and decision.rule_ids == ["hold.do_not_call"]


def test_an_agent_sets_vulnerability_but_only_a_team_leader_clears_it(client, personas):
    debtor, _phone = debtor_with_phone(client=personas.client_a)
    client.force_login(personas.agent)
    assert _flag(client, debtor, "vulnerable", True).status_code == 302

    page = client.get(f"/portfolio/debtors/{debtor.pk}/").content.decode()
    assert 'data-testid="flag-vulnerable-clear"' not in page
    assert _flag(client, debtor, "vulnerable", False).status_code == 403
    assert Debtor.objects.get(pk=debtor.pk).vulnerable

    client.force_login(personas.team_leader)
    assert 'data-testid="flag-vulnerable-clear"' in client.get(
        f"/portfolio/debtors/{debtor.pk}/").content.decode()
    assert _flag(client, debtor, "vulnerable", False).status_code == 302
    debtor = Debtor.objects.get(pk=debtor.pk)
    assert not debtor.vulnerable
    assert debtor.vulnerable_set_by == personas.team_leader  # who cleared it, and when
    assert debtor.vulnerable_set_at is not None


def test_a_client_viewer_never_changes_a_flag_and_sees_no_form(client, personas):
    debtor, _phone = debtor_with_phone(client=personas.client_a)
    client.force_login(personas.viewer_a)

    assert 'data-testid="debtor-flags"' not in client.get(
        f"/portfolio/debtors/{debtor.pk}/").content.decode()
    assert _flag(client, debtor, "do_not_call", True).status_code == 403
    assert not Debtor.objects.get(pk=debtor.pk).do_not_call


def test_another_clients_staff_cannot_reach_the_debtor(client, personas):
    debtor, _phone = debtor_with_phone(client=personas.client_b)
    client.force_login(personas.agent)  # staff of client A only

    assert _flag(client, debtor, "deceased", True).status_code == 404
    assert not Debtor.objects.get(pk=debtor.pk).deceased


def test_it_refuses_a_post_without_csrf_and_an_unknown_flag(client, personas):
    debtor, _phone = debtor_with_phone(client=personas.client_a)
    strict = WebClient(enforce_csrf_checks=True)
    strict.force_login(personas.agent)
    assert _flag(strict, debtor, "do_not_call", True).status_code == 403

    client.force_login(personas.agent)
    response = client.post(f"/portfolio/debtors/{debtor.pk}/flags/",
                           {"flag": "credit_limit", "value": "1"})
    assert response.status_code == 400 and b"Unknown flag" in response.content
    assert not Debtor.objects.get(pk=debtor.pk).do_not_call


def test_the_api_refuses_an_agent_clearing_a_flag(personas):
    from rest_framework.test import APIClient

    debtor, _phone = debtor_with_phone(client=personas.client_a, deceased=True,
                                       deceased_set_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    api = APIClient()
    api.force_authenticate(personas.agent)

    response = api.post(f"/api/v1/debtors/{debtor.pk}/flags/",
                        {"flag": "deceased", "value": False}, format="json")

    assert response.status_code == 403
    assert Debtor.objects.get(pk=debtor.pk).deceased
