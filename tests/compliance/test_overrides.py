"""Overrides: a reason, a team leader other than the requester, both recorded."""

from __future__ import annotations

import pytest

from access.errors import DomainError
from compliance import services
from compliance.engine import can_contact
from compliance.models import ContactDecision, ContactOverride
from tests.compliance.factories import ROME, debtor_with_phone, local

pytestmark = pytest.mark.django_db

SUNDAY_NOON = (2026, 9, 20, 12)  # denied by IT.calls_on_sundays (a default, overridable)


@pytest.fixture
def denied(personas):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    attempt_at = local(ROME, 2026, 9, 14, 9)
    services.contact_attempt_record(debtor=debtor, channel="call", destination=phone,
                                    started_at=attempt_at, result="no_answer")
    decision = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 14, 10),
                           actor=personas.agent, purpose="manual_dial")
    assert decision.rule_ids == ["IT.min_spacing_minutes"]
    assert decision.decision_id is not None
    return debtor, phone, ContactDecision.objects.get(pk=decision.decision_id)


def test_an_override_needs_a_reason(personas, denied):
    _debtor, _phone, decision = denied

    with pytest.raises(DomainError) as refused:
        services.contact_override_request(decision=decision, requested_by=personas.agent,
                                          reason="   ")

    assert refused.value.code == "reason_required"


def test_the_requester_cannot_approve_their_own_override(personas, denied):
    _debtor, _phone, decision = denied
    override = services.contact_override_request(decision=decision,
                                                 requested_by=personas.team_leader,
                                                 reason="The debtor asked for a call now")

    with pytest.raises(DomainError) as refused:
        services.contact_override_approve(override=override, approver=personas.team_leader)

    assert refused.value.code == "own_override"


def test_only_a_team_leader_approves(personas, denied):
    _debtor, _phone, decision = denied
    override = services.contact_override_request(decision=decision,
                                                 requested_by=personas.agent,
                                                 reason="The debtor asked for a call now")

    for outsider in (personas.credit_manager, personas.committee):
        with pytest.raises(DomainError) as refused:
            services.contact_override_approve(override=override, approver=outsider)
        assert refused.value.code == "not_team_leader"


def test_an_approved_override_is_recorded_and_lets_the_agent_dial(personas, denied):
    debtor, phone, decision = denied
    override = services.contact_override_request(decision=decision,
                                                 requested_by=personas.agent,
                                                 reason="The debtor asked for a call now",
                                                 at=local(ROME, 2026, 9, 14, 10))

    services.contact_override_approve(override=override, approver=personas.team_leader,
                                      note="ok", at=local(ROME, 2026, 9, 14, 10, 5))
    again = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 14, 10, 10))

    override.refresh_from_db()
    assert (override.status, override.requested_by, override.decided_by, override.reason) == (
        ContactOverride.Status.APPROVED, personas.agent, personas.team_leader,
        "The debtor asked for a call now")
    assert again.allowed
    assert again.rule_ids == ["IT.min_spacing_minutes", f"override.{override.pk}"]


def test_a_rejected_override_changes_nothing(personas, denied):
    debtor, phone, decision = denied
    override = services.contact_override_request(decision=decision,
                                                 requested_by=personas.agent, reason="Please")

    services.contact_override_reject(override=override, approver=personas.team_leader)

    assert not can_contact(debtor, "call", phone, local(ROME, 2026, 9, 14, 10, 10)).allowed
    with pytest.raises(DomainError):
        services.contact_override_approve(override=override, approver=personas.team_leader)


def test_a_hold_cannot_be_overridden(personas):
    debtor, phone = debtor_with_phone(client=personas.client_a)
    services.hold_place(debtor=debtor, kind="cease_communication",
                        starts_at=local(ROME, 2026, 9, 1))
    decision = can_contact(debtor, "call", phone, local(ROME, 2026, 9, 14, 10))
    assert decision.decision_id is not None

    with pytest.raises(DomainError) as refused:
        services.contact_override_request(
            decision=ContactDecision.objects.get(pk=decision.decision_id),
            requested_by=personas.agent, reason="Urgent")

    assert refused.value.code == "not_overridable"


def test_the_database_refuses_an_override_decided_by_its_requester(personas, denied):
    from django.db import IntegrityError
    from django.utils import timezone

    _debtor, _phone, decision = denied
    override = services.contact_override_request(decision=decision,
                                                 requested_by=personas.agent, reason="x")

    with pytest.raises(IntegrityError):
        ContactOverride.objects.filter(pk=override.pk).update(
            status="approved", decided_by=personas.agent, decided_at=timezone.now())
