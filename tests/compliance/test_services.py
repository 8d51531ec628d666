"""Services around the engine: attempts, pack versions, client rules through the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access.errors import DomainError
from compliance import services
from compliance.admin import ClientContactRuleForm
from compliance.engine import can_contact
from compliance.models import ContactDecision, RulePack
from tests.compliance.factories import ROME, debtor_with_phone, local

pytestmark = pytest.mark.django_db


def test_an_attempt_derives_connected_and_conversation_from_its_result():
    debtor, phone = debtor_with_phone()

    answered = services.contact_attempt_record(
        debtor=debtor, channel="call", destination=phone, started_at=local(ROME, 2026, 9, 14, 9),
        result="answered", party="right_party_verified")
    wrong_party = services.contact_attempt_record(
        debtor=debtor, channel="call", destination=phone, started_at=local(ROME, 2026, 9, 14, 9),
        result="answered", party="wrong_party")
    busy = services.contact_attempt_record(
        debtor=debtor, channel="call", destination=phone, started_at=local(ROME, 2026, 9, 14, 9),
        result="busy")

    assert (answered.connected, answered.conversation) == (True, True)
    assert (wrong_party.connected, wrong_party.conversation) == (True, False)
    assert (busy.connected, busy.conversation) == (False, False)


def test_it_refuses_an_unknown_attempt_result():
    debtor, phone = debtor_with_phone()

    with pytest.raises(DomainError) as refused:
        services.contact_attempt_record(debtor=debtor, channel="call", destination=phone,
                                        started_at=local(ROME, 2026, 9, 14, 9), result="maybe")

    assert refused.value.field == "result"


def test_a_what_if_decision_is_not_stored():
    debtor, phone = debtor_with_phone()

    can_contact(debtor, "call", phone, local(ROME, 2026, 9, 14, 9), record=False)

    assert not ContactDecision.objects.exists()


def test_a_new_pack_version_must_start_after_the_latest():
    italy = RulePack.objects.get(code="IT")

    with pytest.raises(DomainError) as refused:
        services.rule_pack_version_publish(pack=italy, effective_from=local(ROME, 2019, 1, 1),
                                           changes={"attempts_per_day": 1}, note="Too early")

    assert refused.value.code == "bad_effective_date"


def test_a_pack_version_keeps_the_values_it_does_not_change():
    italy = RulePack.objects.get(code="IT")

    version = services.rule_pack_version_publish(
        pack=italy, effective_from=local(ROME, 2026, 10, 1), changes={"attempts_per_day": 1},
        note="Stricter")

    rules = {rule.parameter: rule.value for rule in version.rules.all()}
    assert rules["attempts_per_day"] == 1
    assert rules["min_spacing_minutes"] == 180
    assert rules["call_window"]["sat"] == ["08:30", "15:00"]


def test_the_seeded_packs_carry_the_spec_table():
    def rules(code):
        pack = RulePack.objects.get(code=code)
        return {r.parameter: r.value for r in pack.versions.get(version=1).rules.all()}

    italy, uk, us, ma = rules("IT"), rules("GB"), rules("US"), rules("US-MA")

    assert italy["call_window"]["mon"] == ["08:30", "21:00"]
    assert (italy["attempts_per_day"], italy["min_spacing_minutes"]) == (2, 180)
    assert (uk["attempts_per_day"], uk["min_spacing_minutes"]) == (3, 120)
    assert uk["call_window"]["sat"] == ["08:00", "21:00"] and uk["call_window"]["sun"] is None
    assert us["call_window"]["sun"] == ["08:00", "21:00"] and us["calls_on_sundays"] is False
    assert (us["connected_calls_per_7_days"], us["quiet_days_after_conversation"]) == (7, 7)
    assert (italy["quiet_days_after_conversation"], italy["conversations_per_day"]) == (3, 1)
    assert us["consent_exclusion_days"] == 7
    assert us["counted_results"] == ["answered", "dropped", "no_answer", "voicemail_left",
                                     "voicemail_no_message"]
    assert ma == {"connected_calls_per_7_days": 2, "frequency_channels": ["call", "sms"]}
    assert set(italy["opt_out_keywords"]) == {"stop", "quit", "end", "revoke", "opt out",
                                              "cancel", "unsubscribe"}
    assert {p: italy[p] for p in ("recorded_voice_messages", "third_party_disclosure")} == {
        "recorded_voice_messages": "never", "third_party_disclosure": "never"}


def test_the_admin_form_refuses_a_looser_client_rule_naming_it(personas):
    form = ClientContactRuleForm(data={"client": personas.client_a.pk, "country": "GB",
                                       "parameter": "min_spacing_minutes", "value": "60",
                                       "note": ""})

    assert not form.is_valid()
    assert "GB.min_spacing_minutes" in form.errors["value"][0]


def test_an_administrator_reads_packs_and_decisions_in_the_admin(client, personas):
    personas.admin.is_staff = True
    personas.admin.save()
    client.force_login(personas.admin)
    version = RulePack.objects.get(code="IT").versions.get()

    for url in (reverse("admin:compliance_rulepack_changelist"),
                reverse("admin:compliance_rulepackversion_change", args=[version.pk]),
                reverse("admin:compliance_contactdecision_changelist"),
                reverse("admin:compliance_clientcontactrule_add")):
        assert client.get(url).status_code == 200, url
