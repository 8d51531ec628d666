"""Pages and the decisions API: permissions and tenant isolation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.engine import can_contact
from tests.compliance.factories import ROME, debtor_with_phone, local

pytestmark = pytest.mark.django_db


def test_the_pack_pages_need_a_login(client):
    response = client.get(reverse("compliance:pack_list"))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_credit_manager_reads_the_packs_and_their_rules(client, personas):
    client.force_login(personas.credit_manager)

    listing = client.get(reverse("compliance:pack_list"))
    detail = client.get(reverse("compliance:pack_detail", args=["US-MA"]))
    italy = client.get(reverse("compliance:pack_detail", args=["IT"]))

    assert listing.status_code == 200
    for code in ("IT", "GB", "US", "US-MA"):
        assert f">{code}</a>" in listing.content.decode()
    assert "US-MA.connected_calls_per_7_days" in detail.content.decode()
    assert "940 CMR 7.04(1)(f)" in detail.content.decode()
    assert "Sat 08:30-15:00" in italy.content.decode()
    assert reverse("compliance:pack_list") in listing.content.decode()  # the nav link


def test_an_agent_sees_the_decision_before_dialling(client, personas):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    client.force_login(personas.agent)

    page = client.get(reverse("compliance:debtor_check", args=[debtor.pk]))
    checked = client.post(reverse("compliance:debtor_check", args=[debtor.pk]),
                          {"channel": "call", "destination": phone}, HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert checked.status_code == 200
    body = checked.content.decode()
    assert 'data-testid="decision"' in body and "<html" not in body
    assert "Rule pack" in body and "IT v1" in body
    assert "Today's window (Europe/Rome)" in body
    assert debtor.contact_decisions.get().actor == personas.agent


def test_an_agent_requests_and_a_team_leader_approves_an_override(client, personas):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    decision = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 20, 12),
                           actor=personas.agent)
    client.force_login(personas.agent)

    client.post(reverse("compliance:override_request", args=[decision.decision_id]),
                {"reason": "Debtor called back and asked for a call"})
    override = debtor.contact_overrides.get()
    refused = client.post(reverse("compliance:override_approve", args=[override.pk]))
    client.force_login(personas.team_leader)
    client.post(reverse("compliance:override_approve", args=[override.pk]))

    override.refresh_from_db()
    assert refused.status_code == 403
    assert (override.status, override.decided_by) == ("approved", personas.team_leader)


def test_another_clients_debtor_has_no_check_page(client, personas):
    theirs, _phone = debtor_with_phone(client=personas.client_b)
    client.force_login(personas.agent)

    assert client.get(reverse("compliance:debtor_check", args=[theirs.pk])).status_code == 404


def test_the_decisions_api_lists_a_debtors_decisions(client, personas):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    other, other_phone = debtor_with_phone(client=personas.client_a)
    can_contact(debtor, "call", phone, local(ROME, 2026, 9, 20, 12))
    can_contact(other, "call", other_phone, local(ROME, 2026, 9, 20, 12))
    client.force_login(personas.agent)

    response = client.get("/api/v1/contact-decisions/", {"debtor": debtor.pk})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["debtor"], row["rule_ids"], row["pack_code"], row["pack_version"])
            for row in rows] == [(debtor.pk, ["IT.calls_on_sundays"], "IT", 1)]


def test_an_outsider_of_client_b_gets_nothing_for_client_as_debtor(client, personas):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    decision = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 20, 12))
    client.force_login(personas.viewer_b)

    listing = client.get("/api/v1/contact-decisions/", {"debtor": debtor.pk})
    detail = client.get(f"/api/v1/contact-decisions/{decision.decision_id}/")

    assert listing.status_code == 200
    assert listing.json()["results"] == []
    assert detail.status_code == 404


def test_an_unknown_debtor_id_looks_the_same_as_another_clients(client, personas):
    client.force_login(personas.viewer_b)

    response = client.get("/api/v1/contact-decisions/", {"debtor": 987654})

    assert (response.status_code, response.json()["results"]) == (200, [])


def test_client_as_viewer_sees_its_own_decisions(client, personas):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    can_contact(debtor, "call", phone, local(ROME, 2026, 9, 20, 12))
    client.force_login(personas.viewer_a)

    rows = client.get("/api/v1/contact-decisions/", {"debtor": debtor.pk}).json()["results"]

    assert len(rows) == 1


def test_the_decisions_list_costs_a_fixed_number_of_queries(client, personas,
                                                             django_assert_max_num_queries):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    for hour in range(9, 19):
        can_contact(debtor, "call", phone, local(ROME, 2026, 9, 14, hour))
    client.force_login(personas.agent)

    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/contact-decisions/", {"debtor": debtor.pk})

    assert len(response.json()["results"]) == 10
