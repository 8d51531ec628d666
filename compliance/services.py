"""Write use cases of contact compliance. Recovery, caring, experience, views, the API and the
admin call these; the engine itself only reads."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import DomainError
from access.roles import Role
from access.scoping import access_for
from compliance.engine import Decision
from compliance.models import (
    ClientContactRule,
    ContactAttempt,
    ContactDecision,
    ContactHold,
    ContactOverride,
    ContactRestriction,
    PackRule,
    RulePack,
    RulePackVersion,
)
from compliance.reasons import sentences_json
from compliance.rules import (
    CONNECTED_RESULTS,
    PARAMS,
    WEEKDAYS,
    AttemptResult,
    Channel,
    Param,
    Party,
    value_validate,
)
from portfolio.models import Client, Debtor

# An approved override lets the agent dial for this long; after that a new request is needed.
OVERRIDE_VALIDITY = dt.timedelta(hours=1)


def contact_decisions_record(*, decisions: Sequence[Decision], actor: Any = None,
                             purpose: str = "", run_key: str = "") -> list[ContactDecision]:
    """Store decisions as evidence, one bulk insert (the planner stores thousands at a time).

    With a `run_key` (a batch run, such as one day's planning of one policy) a debtor's
    decision on a channel is stored once per run: a run killed and resumed decides again, and
    the rows already stored are kept as they are (their ids are then not returned)."""
    stored_actor = actor if actor is not None and actor.is_authenticated else None
    rows = [_decision_row(d, actor=stored_actor, purpose=purpose, run_key=run_key)
            for d in decisions]
    if run_key:
        return ContactDecision.objects.bulk_create(rows, batch_size=2000,
                                                   ignore_conflicts=True)
    return ContactDecision.objects.bulk_create(rows, batch_size=2000)


def _decision_row(d: Decision, *, actor: Any, purpose: str, run_key: str) -> ContactDecision:
    # The engine also answers what-if questions without a debtor; only a decision about a
    # real debtor, at a real moment, is evidence worth keeping.
    if d.client_id is None or d.debtor_id is None or d.at is None:
        raise ValueError("A contact decision is stored only with its client, debtor and time.")
    return ContactDecision(
        client_id=d.client_id, debtor_id=d.debtor_id, channel=d.channel,
        destination=d.destination, decided_at=d.at, allowed=d.allowed,
        rule_ids=list(d.rule_ids), reason=d.reason,
        reason_message=sentences_json(d.reasons), next_permitted_at=d.next_permitted_at,
        overridable=d.overridable, pack_code=d.pack_code, pack_version=d.pack_version,
        actor=actor, purpose=purpose[:32], run_key=run_key[:64],
    )


def contact_attempt_record(*, debtor: Debtor, channel: str, destination: str,
                           started_at: dt.datetime, result: str, party: str = "",
                           debt_ref: str = "", invoice_ids: Iterable[int] = (),
                           consent_given_at: dt.datetime | None = None,
                           follow_up_at: dt.datetime | None = None,
                           agent: Any = None) -> ContactAttempt:
    """Record one outbound attempt; `connected` and `conversation` follow from the result and
    the party (a conversation is an answered call with the right party verified)."""
    if channel not in Channel.values:
        raise DomainError(_("%(value)r is not a channel.") % {"value": channel},
                          code="bad_channel", field="channel")
    if result not in AttemptResult.values:
        raise DomainError(_("%(value)r is not an attempt result.") % {"value": result},
                          code="bad_result",
                          field="result")
    if party and party not in Party.values:
        raise DomainError(_("%(value)r is not a party.") % {"value": party},
                          code="bad_party", field="party")
    if timezone.is_naive(started_at):
        raise DomainError(_("The start time needs a time zone."), code="naive_time",
                          field="started_at")
    return ContactAttempt.objects.create(
        client_id=debtor.client_id, debtor=debtor, channel=channel, destination=destination,
        started_at=started_at, result=result, party=party,
        connected=result in CONNECTED_RESULTS,
        conversation=result == AttemptResult.ANSWERED and party == Party.RIGHT_PARTY_VERIFIED,
        debt_ref=debt_ref, invoice_ids=sorted(set(invoice_ids)),
        consent_given_at=consent_given_at, follow_up_at=follow_up_at,
        agent=agent if agent is not None and agent.is_authenticated else None,
    )


def hold_place(*, debtor: Debtor, kind: str, reason: str = "",
               starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None,
               invoice_ids: Iterable[int] = (), actor: Any = None) -> ContactHold:
    if kind not in ContactHold.Kind.values:
        raise DomainError(_("%(value)r is not a kind of hold.") % {"value": kind},
                          code="bad_hold", field="kind")
    starts_at = starts_at or timezone.now()
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError(_("A hold must end after it starts."), code="bad_hold", field="ends_at")
    invoice_ids = sorted(set(invoice_ids))
    if invoice_ids and kind != ContactHold.Kind.DISPUTE:
        raise DomainError(_("Only a dispute names invoices."), code="bad_hold",
                          field="invoice_ids")
    if invoice_ids and debtor.invoices.filter(pk__in=invoice_ids).count() != len(invoice_ids):
        raise DomainError(_("A disputed invoice is not this debtor's."), code="bad_hold",
                          field="invoice_ids")
    return ContactHold.objects.create(
        client_id=debtor.client_id, debtor=debtor, kind=kind, reason=reason,
        starts_at=starts_at, ends_at=ends_at, invoice_ids=invoice_ids,
        created_by=actor if actor is not None and actor.is_authenticated else None)


def hold_release(*, hold: ContactHold, actor: Any = None,
                 at: dt.datetime | None = None) -> ContactHold:
    released = ContactHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=at or timezone.now(),
        released_by=actor if actor is not None and actor.is_authenticated else None)
    if not released:
        raise DomainError(_("This hold is already released."), code="already_released")
    hold.refresh_from_db()
    return hold


def restriction_add(*, debtor: Debtor, kind: str, channel: str = "",
                    weekdays: Iterable[str] = (), not_before: dt.time | None = None,
                    not_after: dt.time | None = None, place: str = "",
                    source: str = ContactRestriction.Source.AGENT, note: str = "",
                    at: dt.datetime | None = None, actor: Any = None) -> ContactRestriction:
    """Record the debtor's own restriction; it applies from `at` (now), i.e. at once."""
    if kind not in ContactRestriction.Kind.values:
        raise DomainError(_("%(value)r is not a kind of restriction.") % {"value": kind},
                          code="bad_restriction",
                          field="kind")
    if channel and channel not in Channel.values:
        raise DomainError(_("%(value)r is not a channel.") % {"value": channel},
                          code="bad_channel", field="channel")
    days = [day.lower()[:3] for day in weekdays]
    if any(day not in WEEKDAYS for day in days):
        raise DomainError(_("Week days are mon … sun."), code="bad_restriction", field="weekdays")
    if kind in (ContactRestriction.Kind.CHANNEL_OPT_OUT,
                ContactRestriction.Kind.PREFERRED_CHANNEL) and not channel:
        raise DomainError(_("Name the channel."), code="bad_restriction", field="channel")
    if kind == ContactRestriction.Kind.INCONVENIENT_PLACE and not place.strip():
        raise DomainError(_("Name the place (e.g. work)."), code="bad_restriction", field="place")
    return ContactRestriction.objects.create(
        client_id=debtor.client_id, debtor=debtor, kind=kind, channel=channel, weekdays=days,
        not_before=not_before, not_after=not_after, place=place.strip().lower(), source=source,
        note=note, created_at=at or timezone.now(),
        created_by=actor if actor is not None and actor.is_authenticated else None)


def _keyword_text(body: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", body.lower()).split())


def sms_inbound_opt_out(*, debtor: Debtor, body: str, received_at: dt.datetime,
                        from_number: str = "") -> ContactRestriction | None:
    """An inbound text whose whole message is an opt-out keyword of the debtor's pack (stop,
    quit, end, revoke, opt out, cancel, unsubscribe) opts the debtor out of texts at once.
    Returns the restriction, or None when the message is not an opt-out."""
    from compliance.loader import facts_load

    rules = facts_load([debtor], at=received_at)[debtor.pk].rules
    keywords = {_keyword_text(k) for k in rules[Param.OPT_OUT_KEYWORDS]}
    text = _keyword_text(body)
    if text not in keywords and text.replace(" ", "") not in {k.replace(" ", "")
                                                              for k in keywords}:
        return None
    existing = ContactRestriction.objects.filter(
        debtor=debtor, kind=ContactRestriction.Kind.CHANNEL_OPT_OUT, channel=Channel.SMS,
        revoked_at__isnull=True, created_at__lte=received_at).first()
    if existing:
        return existing
    return restriction_add(debtor=debtor, kind=ContactRestriction.Kind.CHANNEL_OPT_OUT,
                           channel=Channel.SMS, source=ContactRestriction.Source.SMS_KEYWORD,
                           note=f"Text {body.strip()[:60]!r} from {from_number or 'the debtor'}",
                           at=received_at)


def sms_inbound_record(*, client: Client, from_number: str, body: str,
                       received_at: dt.datetime) -> list[ContactRestriction]:
    """An inbound text to a client's sender: every debtor of that client with this number on
    file is opted out of texts when the message is an opt-out keyword."""
    from portfolio.contact_data import phone_normalise

    try:
        number, _zones = phone_normalise(from_number, default_country=client.country)
    except DomainError:
        return []
    debtors = Debtor.objects.filter(client=client, contact_points__channel="phone",
                                    contact_points__value=number).distinct()
    restrictions = []
    for debtor in debtors:
        restriction = sms_inbound_opt_out(debtor=debtor, body=body, received_at=received_at,
                                          from_number=number)
        if restriction is not None:
            restrictions.append(restriction)
    return restrictions


def _current_rules(pack: RulePack, at: dt.datetime) -> dict[str, PackRule]:
    version = pack.versions.filter(effective_from__lte=at).order_by("-effective_from").first()
    return {rule.parameter: rule for rule in version.rules.all()} if version else {}


def client_contact_rule_check(*, parameter: str, value: Any, country: str = "",
                              at: dt.datetime | None = None) -> Any:
    """The cleaned value, or DomainError when it is malformed or looser than the rule of any
    pack it applies to (SPEC §1 layer 4: stricter only), naming the rule it would loosen."""
    clean = value_validate(parameter, value)
    packs = RulePack.objects.filter(region="")
    if country:
        packs = packs.filter(country=country.upper())
        if not packs.exists():
            packs = RulePack.objects.filter(is_default=True)
    at = at or timezone.now()
    for pack in packs.order_by("code"):
        rule = _current_rules(pack, at).get(parameter)
        if rule is not None and not PARAMS[parameter].at_least_as_strict(clean, rule.value):
            raise DomainError(
                _("This would loosen %(rule)s (%(current)r) to %(value)r: a client's rule may "
                  "only be stricter than the pack.") % {
                    "rule": f"{pack.code}.{parameter}", "current": rule.value, "value": clean},
                code="looser_than_pack", field="value")
    return clean


def client_contact_rule_save(*, client: Client, parameter: str, value: Any, country: str = "",
                             note: str = "", actor: Any = None,
                             at: dt.datetime | None = None) -> ClientContactRule:
    """Save a client's contract rule; a looser one is refused, naming the rule it loosens."""
    clean = client_contact_rule_check(parameter=parameter, value=value, country=country, at=at)
    rule, _created = ClientContactRule.objects.update_or_create(
        client=client, country=country.upper(), parameter=parameter,
        defaults={"value": clean, "note": note,
                  "updated_by": actor if actor is not None and actor.is_authenticated
                  else None})
    return rule


@transaction.atomic
def rule_pack_version_publish(*, pack: RulePack, effective_from: dt.datetime,
                              changes: dict[str, Any], note: str,
                              actor: Any = None) -> RulePackVersion:
    """A new edition of a pack: the latest version's rules with `changes` applied, in force
    from `effective_from`. Earlier versions stay as they were: decisions name the one used."""
    if not note.strip():
        raise DomainError(_("Say what changed."), code="note_required", field="note")
    latest = pack.versions.select_for_update().order_by("-version").first()
    if latest is not None and effective_from <= latest.effective_from:
        raise DomainError(_("A new version must take effect after the latest one."),
                          code="bad_effective_date", field="effective_from")
    version = RulePackVersion.objects.create(
        pack=pack, version=(latest.version + 1) if latest else 1, effective_from=effective_from,
        note=note, created_by=actor if actor is not None and actor.is_authenticated else None)
    previous = {r.parameter: r for r in latest.rules.all()} if latest else {}
    for parameter, value in changes.items():
        clean = value_validate(parameter, value)
        kept = previous.get(parameter)
        previous[parameter] = PackRule(parameter=parameter, value=clean,
                                       kind=kept.kind if kept else PackRule.Kind.DEFAULT,
                                       source=kept.source if kept else "")
    PackRule.objects.bulk_create(
        PackRule(pack_version=version, parameter=r.parameter, value=r.value, kind=r.kind,
                 source=r.source) for r in previous.values())
    return version


def contact_override_request(*, decision: ContactDecision, requested_by: Any, reason: str,
                             at: dt.datetime | None = None) -> ContactOverride:
    """An agent asks to contact despite a denial. Holds and floor rules are never overridden."""
    if not reason.strip():
        raise DomainError(_("An override needs a reason."), code="reason_required", field="reason")
    if decision.allowed:
        raise DomainError(_("This contact is allowed; there is nothing to override."),
                          code="nothing_to_override")
    if not decision.overridable:
        raise DomainError(_("%(rules)s cannot be overridden: account holds and legal floors "
                            "always apply.") % {"rules": ", ".join(decision.rule_ids)},
                            code="not_overridable")
    if not requested_by.has_perm("compliance.add_contactoverride"):
        raise DomainError(_("Your role cannot request overrides."), code="forbidden")
    return ContactOverride.objects.create(
        client_id=decision.client_id, debtor_id=decision.debtor_id, decision=decision,
        channel=decision.channel, destination=decision.destination, reason=reason.strip(),
        requested_by=requested_by, requested_at=at or timezone.now())


def _override_decide(*, override: ContactOverride, approver: Any, status: str, note: str,
                     at: dt.datetime | None) -> ContactOverride:
    if approver.pk == override.requested_by_id:
        raise DomainError(_("The agent who asked for an override cannot decide it."),
                          code="own_override")
    access = access_for(approver)
    if not access.has_role(Role.TEAM_LEADER):
        raise DomainError(_("Only a team leader decides overrides."), code="not_team_leader")
    if not access.sees_client(override.client_id):
        raise DomainError(_("This override is not for a client you work on."), code="forbidden")
    at = at or timezone.now()
    changed = ContactOverride.objects.filter(
        pk=override.pk, status=ContactOverride.Status.REQUESTED).update(
        status=status, decided_by=approver, decided_at=at, decision_note=note[:300],
        valid_until=at + OVERRIDE_VALIDITY if status == ContactOverride.Status.APPROVED
        else None)
    if not changed:
        raise DomainError(_("This override has already been decided."), code="already_decided")
    override.refresh_from_db()
    return override


def contact_override_approve(*, override: ContactOverride, approver: Any, note: str = "",
                             at: dt.datetime | None = None) -> ContactOverride:
    return _override_decide(override=override, approver=approver,
                            status=ContactOverride.Status.APPROVED, note=note, at=at)


def contact_override_reject(*, override: ContactOverride, approver: Any, note: str = "",
                            at: dt.datetime | None = None) -> ContactOverride:
    return _override_decide(override=override, approver=approver,
                            status=ContactOverride.Status.REJECTED, note=note, at=at)
