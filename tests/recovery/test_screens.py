"""The collections desk's pages: who may open them, what they show, and what they cost."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from caring.models import CaringPolicy, CourtesyCall
from compliance.models import ContactDecision, ContactOverride
from recovery.models import CollectionContact, PromiseToPay
from recovery.workspace import opened_token
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.factories import ContactPointFactory, DebtorFactory, UserFactory
from tests.recovery.desk import callable_debtor, claimed_by, overdue_case
from tests.recovery.factories import (
    CallbackFactory,
    CollectionContactFactory,
    DisputedInvoiceFactory,
    InstalmentFactory,
    PromiseToPayFactory,
)
from tests.scoring.factories import DebtorScoreFactory

pytestmark = pytest.mark.django_db


def _case(personas, **values):
    debtor = DebtorFactory(client=personas.client_a, name="Idraulica Rossi S.r.l.")
    ContactPointFactory(debtor=debtor, client=personas.client_a, value="+390212340001")
    return overdue_case(debtor, **values)


def _workspace(client, case):
    return client.get(reverse("recovery:workspace", args=[case.pk]))


# --- Who may open what --------------------------------------------------------------------------


def test_an_agent_opens_the_queue_and_the_workspace(client, personas):
    case = _case(personas)
    client.force_login(personas.agent)

    assert client.get(reverse("recovery:queue")).status_code == 200
    assert _workspace(client, case).status_code == 200


def test_a_client_viewer_may_not_work_the_desk(client, personas):
    case = _case(personas)
    client.force_login(personas.viewer_a)

    assert client.get(reverse("recovery:queue")).status_code == 403
    assert _workspace(client, case).status_code == 403
    assert client.post(reverse("recovery:next_case")).status_code == 403
    assert client.get(reverse("recovery:control_room")).status_code == 403


def test_an_outsider_from_another_client_finds_no_case(client, personas):
    case = _case(personas)
    client.force_login(personas.viewer_b)

    assert _workspace(client, case).status_code == 404
    assert client.post(reverse("recovery:outcome", args=[case.pk])).status_code == 404


def test_staff_of_another_client_find_no_case(client, personas):
    from access.roles import Role
    from tests.factories import user_with_role

    case = _case(personas)
    other = user_with_role(Role.AGENT, clients=(personas.client_b,))
    client.force_login(other)

    assert _workspace(client, case).status_code == 404
    assert client.post(reverse("recovery:claim", args=[case.pk])).status_code == 404


def test_the_control_room_is_for_team_leaders_and_credit_managers(client, personas):
    for user, status in [(personas.team_leader, 200), (personas.credit_manager, 200),
                         (personas.agent, 403), (personas.viewer_a, 403)]:
        client.force_login(user)
        assert client.get(reverse("recovery:control_room")).status_code == status, user


def test_the_navigation_links_agents_to_their_queue_and_not_client_viewers(client, personas):
    client.force_login(personas.agent)
    assert reverse("recovery:queue") in client.get("/").content.decode()
    assert reverse("recovery:control_room") not in client.get(
        reverse("recovery:queue")).content.decode()
    client.force_login(personas.team_leader)
    assert reverse("recovery:control_room") in client.get(
        reverse("recovery:queue")).content.decode()
    client.force_login(personas.credit_manager)
    assert reverse("recovery:control_room") in client.get("/").content.decode()
    client.force_login(personas.viewer_a)
    assert "/collections/" not in client.get("/").content.decode()


# --- The agent's queue ---------------------------------------------------------------------------


def test_the_queue_shows_my_callbacks_today_my_claim_and_counts(client, personas):
    mine = claimed_by(_case(personas), personas.agent)
    later = _case(personas)
    CallbackFactory(case=later, agent=personas.agent,
                    due_at=timezone.now() + dt.timedelta(minutes=5))
    CollectionContactFactory(case=later, agent=personas.agent)
    client.force_login(personas.agent)

    body = client.get(reverse("recovery:queue")).content.decode()

    claimed = body.split('data-testid="claimed"')[1].split("</section>")[0]
    assert reverse("recovery:workspace", args=[mine.pk]) in claimed
    callbacks = body.split('data-testid="callbacks"')[1].split("</section>")[0]
    assert reverse("recovery:workspace", args=[later.pk]) in callbacks
    counts = body.split('data-testid="day-counts"')[1].split("</div>")[0]
    assert re.findall(r"<strong>(\d+)</strong>", counts) == ["1", "1", "1", "0"]


def test_next_case_claims_the_best_case_and_opens_its_workspace(client, personas):
    best = overdue_case(callable_debtor(personas.client_a, name="Best", phone="+390212349001"),
                        priority="900")
    overdue_case(callable_debtor(personas.client_a, name="Other", phone="+390212349002"),
                 priority="100")
    client.force_login(personas.agent)

    response = client.post(reverse("recovery:next_case"))

    assert response.status_code == 302
    assert response["Location"] == reverse("recovery:workspace", args=[best.pk])
    best.refresh_from_db()
    assert best.claimed_by_id == personas.agent.pk


# --- The workspace ---------------------------------------------------------------------------


def test_the_workspace_shows_the_debtors_whole_story(client, personas):
    case = claimed_by(_case(personas, days=45), personas.agent)
    debtor = case.debtor
    colleague = UserFactory(username="colleague", first_name="Giulia", last_name="Verdi")
    CollectionContactFactory(case=case, agent=colleague, notes="Said the cash comes Friday",
                             reason_for_non_payment="cash_flow_timing", mood_start="worried",
                             mood_end="calm", outcomes=["promise_to_pay"])
    CollectionContactFactory(case=case, agent=colleague, channel="sms",
                             attempt_result="answered", party="", outcomes=[])
    CourtesyCallFactory(debtor=debtor, client=debtor.client, status=CourtesyCall.Status.DONE,
                        outcome=CourtesyCall.Outcome.NOT_RECEIVED, note="Sent a copy",
                        completed_at=timezone.now() - dt.timedelta(days=60))
    PromiseToPayFactory(case=case, amount=Decimal("300.00"), status="broken",
                        evaluated_at=timezone.now())
    InstalmentFactory(plan__case=case, amount=Decimal("250.00"))
    DisputedInvoiceFactory(dispute__case=case, invoice__number="FT-DISP-9")
    DebtorScoreFactory(debtor=debtor, reasons=[{"code": "late", "text": "Pays late often",
                                                "impact": -30}])
    client.force_login(personas.agent)

    body = _workspace(client, case).content.decode()

    assert "Giulia Verdi" in body and "Said the cash comes Friday" in body
    assert "Cash-flow timing" in body and "Worried → Calm" in body
    assert "Text message" in body
    assert "Courtesy call" in body and "Sent a copy" in body and "Invoice not received" in body
    assert "300.00" in body and "Broken" in body
    assert "250.00" in body and "FT-DISP-9" in body
    assert "Pays late often" in body
    assert "Expected loss" in body and "45 days overdue" in body
    assert 'href="tel:+390212340001"' in body
    assert re.search(r'<td class="num">45</td>', body)
    # A dispute is open: the guide fits it.
    assert 'data-situation="dispute"' in body


def _outcome_post(client, case, agent, **values):
    data = {"opened": opened_token(case=case, user=agent,
                                   at=timezone.now() - dt.timedelta(seconds=95)),
            "attempt_result": "answered", "party": "right_party_verified",
            "next_step": "await_payment", **values}
    return client.post(reverse("recovery:outcome", args=[case.pk]), data,
                       headers={"HX-Request": "true"})


def test_an_outcome_with_a_promise_is_recorded_with_its_handle_time(client, personas):
    case = claimed_by(_case(personas), personas.agent)
    client.force_login(personas.agent)
    promised = timezone.localdate() + dt.timedelta(days=7)

    response = _outcome_post(client, case, personas.agent, outcomes=["promise_to_pay"],
                             reason_for_non_payment="forgot", mood_start="upset",
                             mood_end="calm", empathy_markers=["circumstances_noted"],
                             promise_amount="400.00", promise_date=promised.isoformat(),
                             notes="Pays by transfer")

    assert response.status_code == 200, response.content.decode()[:2000]
    body = response.content.decode()
    assert 'data-testid="outcome-saved"' in body and 'data-testid="next-case"' in body
    contact = CollectionContact.objects.get(case=case)
    assert contact.agent == personas.agent
    assert contact.outcomes == ["promise_to_pay"] and contact.mood_end == "calm"
    assert 95 <= contact.handle_seconds < 120
    promise = PromiseToPay.objects.get(case=case)
    assert promise.amount == Decimal("400.00") and promise.promised_date == promised


def test_debt_outcomes_before_the_right_party_are_refused_and_nothing_is_lost(client, personas):
    case = claimed_by(_case(personas), personas.agent)
    client.force_login(personas.agent)

    response = _outcome_post(client, case, personas.agent, party="wrong_party",
                             outcomes=["promise_to_pay"], notes="Spoke to the brother")

    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing about the debt before the right party is verified" in body
    assert "Spoke to the brother" in body  # the notes are still there
    assert 'value="wrong_party" checked' in body or re.search(
        r'value="wrong_party"[^>]*checked', body)
    assert not CollectionContact.objects.filter(case=case).exists()


def test_an_error_from_the_service_shows_on_the_form(client, personas):
    case = claimed_by(_case(personas), personas.agent)
    client.force_login(personas.agent)

    response = _outcome_post(client, case, personas.agent, outcomes=["promise_to_pay"],
                             promise_amount="400.00",
                             promise_date=(timezone.localdate() - dt.timedelta(days=3))
                             .isoformat())

    assert response.status_code == 400
    assert "A promise to pay needs a date from today on." in response.content.decode()
    assert not CollectionContact.objects.filter(case=case).exists()


def test_a_forged_or_foreign_opening_time_is_refused(client, personas):
    case = claimed_by(_case(personas), personas.agent)
    client.force_login(personas.agent)

    forged = _outcome_post(client, case, personas.agent, opened="not-signed")
    other = opened_token(case=case, user=personas.team_leader, at=timezone.now())
    foreign = _outcome_post(client, case, personas.agent, opened=other)

    assert forged.status_code == foreign.status_code == 400
    assert "This page is too old or was not opened by you" in forged.content.decode()
    assert not CollectionContact.objects.filter(case=case).exists()


def test_the_debt_part_of_the_form_is_hidden_until_the_right_party_is_chosen(client, personas):
    case = claimed_by(_case(personas), personas.agent)
    client.force_login(personas.agent)

    body = _workspace(client, case).content.decode()

    debt = body.split('data-testid="debt-outcomes"')[1].split("</span>")[0]
    assert 'value="promise_to_pay"' in debt and 'value="callback_requested"' not in debt
    assert "<kbd>p</kbd>" in debt
    css = (Path(settings.BASE_DIR) / "static" / "css" / "recovery.css").read_text(
        encoding="utf-8")
    assert ".outcome-form .debt-inline { display: none; }" in css
    assert "input[name=party][value=right_party_verified]:checked) .debt-inline" in css


# --- The control room --------------------------------------------------------------------------


def test_the_control_room_shows_each_agents_day_and_the_queue(client, personas):
    working = claimed_by(_case(personas), personas.agent)
    waiting = _case(personas)
    CollectionContactFactory(case=waiting, agent=personas.agent, handle_seconds=200,
                             outcomes=["promise_to_pay"])
    CollectionContactFactory(case=waiting, agent=personas.agent, handle_seconds=100,
                             party="", attempt_result="no_answer", outcomes=[])
    CallbackFactory(case=waiting, agent=personas.agent,
                    due_at=timezone.now() + dt.timedelta(minutes=30))
    PromiseToPayFactory(case=waiting, promised_date=timezone.localdate())
    client.force_login(personas.team_leader)

    body = client.get(reverse("recovery:control_room")).content.decode()

    row = body.split('data-testid="agent-row"')[1].split("</tr>")[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == ["2", "1", "1", "0", "0", "150 s"]
    assert working.debtor.name in row
    state = body.split('data-testid="queue-state"')[1].split("</div>")[0]
    assert re.findall(r"<strong>(\d+)</strong>", state) == ["1", "1", "0", "0", "1", "1"]
    assert 'hx-trigger="every 10s"' in body


def test_the_control_room_refreshes_as_a_partial(client, personas):
    client.force_login(personas.team_leader)

    body = client.get(reverse("recovery:control_room"),
                      headers={"HX-Request": "true"}).content.decode()

    assert body.lstrip().startswith('<div id="live"') and "<html" not in body


def _override(personas):
    debtor = DebtorFactory(client=personas.client_a, name="Override debtor")
    decision = ContactDecision.objects.create(
        client=personas.client_a, debtor=debtor, channel="call", decided_at=timezone.now(),
        allowed=False, rule_ids=["attempts_per_day"], reason="Too many attempts",
        overridable=True, pack_code="IT", pack_version=1)
    return ContactOverride.objects.create(
        client=personas.client_a, debtor=debtor, decision=decision, channel="call",
        reason="The debtor asked us to call back", requested_by=personas.agent,
        requested_at=timezone.now())


def test_a_team_leader_approves_an_override_from_the_control_room(client, personas):
    override = _override(personas)
    client.force_login(personas.team_leader)
    assert "The debtor asked us to call back" in client.get(
        reverse("recovery:control_room")).content.decode()

    response = client.post(reverse("recovery:override_decide", args=[override.pk]),
                           {"decision": "approve"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    override.refresh_from_db()
    assert override.status == "approved" and override.decided_by == personas.team_leader
    assert "The debtor asked us to call back" not in response.content.decode()


def test_an_agent_cannot_decide_an_override(client, personas):
    override = _override(personas)
    client.force_login(personas.agent)

    response = client.post(reverse("recovery:override_decide", args=[override.pk]),
                           {"decision": "approve"})

    assert response.status_code == 403
    override.refresh_from_db()
    assert override.status == "requested"


# --- The debtor page ----------------------------------------------------------------------------


def _story(personas):
    case = _case(personas)
    CollectionContactFactory(case=case, notes="Staff-only remark about the call",
                             mood_start="angry", mood_end="calm",
                             empathy_markers=["options_offered"],
                             outcomes=["payment_plan_agreed"])
    PromiseToPayFactory(case=case, amount=Decimal("321.00"))
    DisputedInvoiceFactory(dispute__case=case, invoice__number="FT-D-77")
    return case


def test_the_debtor_page_tells_the_contact_story_to_credit_managers(client, personas):
    case = _story(personas)
    client.force_login(personas.credit_manager)

    body = client.get(reverse("portfolio:debtor_detail", args=[case.debtor_id])).content.decode()

    assert 'data-testid="collections-story"' in body
    assert "Payment plan agreed" in body and "Staff-only remark about the call" in body
    assert "Angry → Calm" in body and "Options offered" in body
    assert "321.00" in body and "FT-D-77" in body


def test_a_client_viewer_reads_the_story_without_notes_or_coaching(client, personas):
    case = _story(personas)
    client.force_login(personas.viewer_a)

    # A client user reads its debtors in the client portal (the staff's pages refuse it).
    body = client.get(reverse("insights:portal_debtor", args=[case.debtor_id])).content.decode()

    assert "Payment plan agreed" in body and "321.00" in body and "FT-D-77" in body
    assert "Staff-only remark" not in body
    assert "Angry" not in body and "Options offered" not in body
    assert 'data-testid="story-coaching"' not in body
    assert reverse("recovery:workspace", args=[case.pk]) not in body


# --- What the pages cost -----------------------------------------------------------------------


def _count(client, url, **headers):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(context)


def _grow_story(case, agent, n):
    policy = (CaringPolicy.objects.filter(client=case.client).first()
              or CaringPolicyFactory(client=case.client))
    for _ in range(n):
        CollectionContactFactory(case=case, agent=UserFactory())
        PromiseToPayFactory(case=case, status="kept", evaluated_at=timezone.now())
        InstalmentFactory(plan__case=case)
        DisputedInvoiceFactory(dispute__case=case)
        CourtesyCallFactory(debtor=case.debtor, client=case.client, policy=policy,
                            window_date=dt.date(2025, 1, 1) + dt.timedelta(days=_ + 100 * n),
                            status=CourtesyCall.Status.DONE, claimed_by=UserFactory())


def test_the_workspace_costs_the_same_for_a_long_story(client, personas,
                                                       django_assert_num_queries):
    case = claimed_by(_case(personas), personas.agent)
    client.force_login(personas.agent)
    url = reverse("recovery:workspace", args=[case.pk])
    _grow_story(case, personas.agent, 2)
    few = _count(client, url)
    _grow_story(case, personas.agent, 8)

    with django_assert_num_queries(few):
        client.get(url)
    assert few <= 26


def test_the_queue_and_the_control_room_cost_the_same_for_a_busy_day(client, personas,
                                                                     django_assert_num_queries):
    def busy(n):
        for _ in range(n):
            case = claimed_by(_case(personas), UserFactory())
            CollectionContactFactory(case=case, agent=UserFactory())
            CallbackFactory(case=case, agent=personas.agent,
                            due_at=timezone.now() + dt.timedelta(minutes=10))
            PromiseToPayFactory(case=case, promised_date=timezone.localdate())
            _override(personas)

    client.force_login(personas.team_leader)
    busy(2)
    urls = [reverse("recovery:queue"), reverse("recovery:control_room")]
    few = [_count(client, url) for url in urls]
    busy(8)

    for url, count in zip(urls, few, strict=True):
        with django_assert_num_queries(count):
            client.get(url)
    assert max(few) <= 16


def test_the_open_workspace_keeps_its_claim_alive_and_only_for_its_agent(client, personas):
    case = claimed_by(_case(personas), personas.agent)
    case.claim_expires_at = timezone.now() + dt.timedelta(minutes=2)
    case.save()
    client.force_login(personas.agent)
    assert 'hx-trigger="every 5m"' in _workspace(client, case).content.decode()

    response = client.post(reverse("recovery:extend", args=[case.pk]))

    assert response.status_code == 204
    case.refresh_from_db()
    assert case.claim_expires_at > timezone.now() + dt.timedelta(minutes=10)
    client.force_login(personas.team_leader)
    refused = client.post(reverse("recovery:extend", args=[case.pk]))
    assert refused.status_code == 409


def test_the_case_says_why_now_in_the_readers_language(client, personas):
    case = claimed_by(_case(personas, days=45), personas.agent)
    case.priority_reasons = [{"code": "callback_due", "label": "Callback due",
                              "value": "100000.0000"}]
    case.next_action_reason = "Callback agreed with the debtor."
    case.save()
    client.force_login(personas.agent)

    italian = client.get(f"/it/collections/cases/{case.pk}/").content.decode()

    assert "Richiamata concordata con il debitore." in italian
    assert "Callback agreed with the debtor." not in italian
    assert "(+100.000)" in italian


def test_an_agents_home_leads_to_the_collections_queue_and_a_viewers_does_not(client, personas):
    client.force_login(personas.agent)
    assert 'data-testid="home-collections-queue"' in client.get("/").content.decode()

    client.force_login(personas.viewer_a)
    assert "home-collections-queue" not in client.get("/").content.decode()
