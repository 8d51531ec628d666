"""The contact-policy engine: one decision for every outbound contact (SPEC §1).

    can_contact(debtor, channel, destination, at) -> Decision
    can_contact_many(debtors, channel, at) -> {debtor_id: Decision}

Every caller (caring planner, collections queue, survey dispatcher, manual dial) asks here.
`compliance.loader` reads the facts a decision needs in a few set-based queries; `decide()`
below is pure: facts and a time in, a `Decision` out. Layers, first deny wins:

1. account holds (`hold.*`): cease-communication, lawyer, dispute pending for the invoices
   concerned, insolvency, UK Breathing Space, deceased, open complaint, vulnerability,
   do-not-call (calls only), processing restricted (GDPR Art. 18, portfolio/privacy.py);
2. a destination of the wrong kind (`contact.destination_not_for_channel`: an e-mail address
   is never dialled or texted, a phone never e-mailed); the debtor's own restrictions
   (`debtor.*`): inconvenient times and places, channel opt-outs
   (a text keyword is one: compliance.services.sms_inbound_opt_out), preferred channel; and
   no written message to a contact point not yet confirmed (`contact.unconfirmed_destination`,
   SPEC §6), and no contact at all to a number reported as a wrong number
   (`contact.wrong_number`; a planner never picks one);
3. the jurisdiction pack by country and US state (`<pack>.<parameter>`, e.g.
   `US.connected_calls_per_7_days`, `US-MA.connected_calls_per_7_days`): call window in every
   candidate zone (intersection; the candidates are the address's zone and the zones of
   every known phone of the debtor, whichever destination is used, a number reported wrong
   excepted), Sundays and public holidays, stop 10 minutes before the
   window ends, conversations per day, the quiet period after a conversation (its day is
   day 1), connected calls in any 7 days (consent exclusion per Reg F §1006.14(b)(3));
4. the client's contract rules, stricter only (`client.<parameter>`);
5. pacing (`<pack or client>.attempts_per_day`, `.min_spacing_minutes`).

A denial carries the earliest time every layer would allow (`next_permitted_at`), found by
re-deciding at each layer's own next time, so a queue reschedules instead of dropping; None
means "not until something changes" (a hold without an end, an opt-out). Days are the
debtor's local calendar days in the primary zone (the address's, else the phone's, else the
country's). Rule values come from `RuleSet` (pack rows + client rows), never from here.

Reasons are `compliance.reasons.Reason` sentences: a decision's `reason` is their English text
(stored as evidence with the rule ids), `reason_display` the same in the active language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from compliance import windows
from compliance.reasons import N_, Reason, channel_name, sentences_english, weekday_name
from compliance.rules import Channel, Param, RuleSet

PHONE_CHANNELS = frozenset({Channel.CALL, Channel.SMS})
# How far ahead the search for the next permitted time looks before giving up (days).
SEARCH_HORIZON_DAYS = 60


@dataclass(frozen=True)
class HoldFact:
    kind: str
    invoice_ids: frozenset[int]
    starts_at: dt.datetime
    ends_at: dt.datetime | None


@dataclass(frozen=True)
class RestrictionFact:
    kind: str
    channel: str
    weekdays: frozenset[int]
    not_before: dt.time | None
    not_after: dt.time | None
    place: str
    created_at: dt.datetime


@dataclass(frozen=True)
class AttemptFact:
    channel: str
    destination: str
    started_at: dt.datetime
    result: str
    conversation: bool
    debt_ref: str
    consent_given_at: dt.datetime | None
    follow_up_at: dt.datetime | None


@dataclass(frozen=True)
class PointFact:
    channel: str  # "phone" or "email"
    value: str
    label: str
    timezones: tuple[str, ...]
    confirmed: bool = True
    wrong_number: bool = False  # someone else answers it: never chosen, never called


@dataclass(frozen=True)
class OverrideFact:
    id: int
    channel: str
    destination: str
    valid_until: dt.datetime


@dataclass
class DebtorFacts:
    debtor_id: int
    client_id: int
    country: str
    region: str
    timezone: str
    deceased: bool
    vulnerable: bool
    do_not_call: bool
    pack_rules: RuleSet
    rules: RuleSet  # pack_rules tightened by the client's contract rules
    holds: list[HoldFact] = field(default_factory=list)
    # GDPR Art. 18: the debtor's data may be stored, not processed; no contact of any kind.
    restricted: bool = False
    restrictions: list[RestrictionFact] = field(default_factory=list)
    attempts: list[AttemptFact] = field(default_factory=list)  # oldest first
    points: list[PointFact] = field(default_factory=list)
    disputed_invoice_ids: frozenset[int] = frozenset()
    has_undisputed_unsettled: bool = True
    overrides: list[OverrideFact] = field(default_factory=list)

    def point(self, value: str) -> PointFact | None:
        for point in self.points:
            if point.value == value:
                return point
        return None

    def phone_zones(self) -> tuple[str, ...]:
        """Every zone the debtor's known phones point to (a number reported as someone
        else's excepted): the debtor may be in any of them, whichever number is used.
        Computed once per debtor, from the facts already loaded (no query)."""
        cached = self.__dict__.get("_phone_zones")
        if cached is None:
            zones: list[str] = []
            for point in self.points:
                if point.channel == "phone" and not point.wrong_number:
                    zones += point.timezones or windows.phone_zones(point.value)
            cached = tuple(dict.fromkeys(zones))
            self.__dict__["_phone_zones"] = cached
        return cached


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule_ids: list[str]
    # The explanation, sentence by sentence (compliance.reasons): `reason` is its English
    # text (the evidence), screens render it in the reader's language.
    reasons: tuple[Reason, ...]
    next_permitted_at: dt.datetime | None
    pack_version: int
    pack_code: str = ""
    debtor_id: int | None = None
    client_id: int | None = None
    channel: str = ""
    destination: str = ""
    at: dt.datetime | None = None
    # A denial from a hold or a floor rule can never be overridden by hand.
    overridable: bool = False
    override_id: int | None = None
    decision_id: int | None = None  # the stored ContactDecision, once recorded

    @property
    def reason(self) -> str:
        return sentences_english(self.reasons)

    @property
    def reason_display(self) -> str:
        """The reason in the active language, for screens."""
        return " ".join(reason.translated() for reason in self.reasons)


@dataclass(frozen=True)
class Denial:
    layer: int
    rule_ids: list[str]
    reasons: tuple[Reason, ...]
    next_at: dt.datetime | None
    floor: bool

    @property
    def reason(self) -> str:
        return sentences_english(self.reasons)


@dataclass(frozen=True)
class _Context:
    channel: str
    destination: str
    media: frozenset[str]  # the channel, and for a survey the medium that carries it
    zones: tuple[str, ...]
    primary: str
    label: str
    confirmed: bool
    wrong_number: bool
    kind: str  # "phone" or "email": what the destination is
    invoice_ids: frozenset[int] | None
    debt_ref: str
    is_holiday: Any


def _context(facts: DebtorFacts, channel: str, destination: str,
             invoice_ids: Iterable[int] | None, debt_ref: str) -> _Context:
    point = facts.point(destination)
    # What the destination is: a known contact point says; otherwise an "@" makes an address.
    kind = point.channel if point is not None else ("email" if "@" in destination else "phone")
    is_phone = channel in PHONE_CHANNELS or kind == "phone"
    media = {channel}
    if channel == Channel.SURVEY:
        media.add(Channel.SMS if is_phone else Channel.EMAIL)
    # The window must hold wherever the debtor may be: the address's zone and the zones of
    # every known phone (SPEC §1), not only the number dialled, whatever the channel.
    zones: list[str] = [facts.timezone] if facts.timezone else []
    zones += facts.phone_zones()
    if is_phone and point is None:
        zones += windows.phone_zones(destination)
    zones = [name for name in zones if name and windows.known_zone(name)]
    if not zones:
        # Last resort for a country the tz database does not list: the default pack's zone.
        zones = list(windows.country_zones(facts.country, facts.region)) or ["Europe/Rome"]
    unique = tuple(dict.fromkeys(zones))
    return _Context(
        channel=channel, destination=destination, media=frozenset(media), zones=unique,
        primary=unique[0], label=(point.label if point else "").strip().lower(),
        confirmed=point.confirmed if point is not None else True,
        wrong_number=point.wrong_number if point is not None else False, kind=kind,
        invoice_ids=frozenset(invoice_ids) if invoice_ids is not None else None,
        debt_ref=debt_ref, is_holiday=windows.holiday_check(facts.country, facts.region),
    )


def _local(at: dt.datetime, ctx: _Context) -> dt.datetime:
    return at.astimezone(windows.zone(ctx.primary))


def _day_start(day: dt.date, ctx: _Context) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), windows.zone(ctx.primary))


def _later(times: Iterable[dt.datetime | None]) -> dt.datetime | None:
    """The time all of several blocks have lifted: None if any never lifts by itself."""
    result = None
    for time in times:
        if time is None:
            return None
        result = time if result is None or time > result else result
    return result


# ---- layer 1: account holds -------------------------------------------------------------

_HOLD_SENTENCES = {
    "cease_communication": N_("the debtor asked us to stop communicating"),
    "lawyer": N_("the debtor is represented by a lawyer"),
    "insolvency": N_("the debtor is in bankruptcy or insolvency"),
    "breathing_space": N_("the debtor is in UK Breathing Space"),
    "complaint": N_("the debtor has an open complaint"),
    "vulnerability": N_("a vulnerability hold is in place"),
}


def _holds(facts: DebtorFacts, ctx: _Context, at: dt.datetime) -> Denial | None:
    fired: list[tuple[str, Reason, dt.datetime | None]] = []
    if facts.restricted:
        fired.append(("hold.restricted",
                      Reason(N_("processing of the debtor's data is restricted (GDPR Art. 18)")),
                      None))
    if facts.deceased:
        fired.append(("hold.deceased", Reason(N_("the debtor is reported deceased")), None))
    if facts.vulnerable:
        fired.append(("hold.vulnerability", Reason(N_("the debtor is marked vulnerable")),
                      None))
    account_dispute = False
    disputed = set(facts.disputed_invoice_ids)
    dispute_ends: list[dt.datetime | None] = []
    for hold in facts.holds:
        if hold.starts_at > at or (hold.ends_at is not None and hold.ends_at <= at):
            continue
        if hold.kind == "dispute":
            if hold.invoice_ids:
                disputed |= hold.invoice_ids
            else:
                account_dispute = True
            dispute_ends.append(hold.ends_at)
            continue
        fired.append((f"hold.{hold.kind}", Reason(_HOLD_SENTENCES[hold.kind]), hold.ends_at))
    # A dispute pauses collection contact for the disputed invoices (any channel); a survey
    # is suppressed by any hold (SPEC §5).
    if account_dispute or disputed:
        if ctx.channel == Channel.SURVEY or account_dispute:
            blocked = True
        elif ctx.invoice_ids is not None:
            blocked = bool(ctx.invoice_ids & disputed)
        else:
            blocked = not facts.has_undisputed_unsettled
        if blocked:
            fired.append(("hold.dispute",
                          Reason(N_("a dispute is pending on the invoices concerned")),
                          _later(dispute_ends) if dispute_ends else None))
    if facts.do_not_call and ctx.channel == Channel.CALL:
        fired.append(("hold.do_not_call", Reason(N_("the debtor is on do-not-call")), None))
    if not fired:
        return None
    sentences = tuple(sentence for _id, sentence, _next in fired)
    return Denial(1, [rule_id for rule_id, _s, _n in fired],
                  (Reason.of(N_("No contact: %(reasons)s."), reasons=sentences),),
                  _later(n for _i, _s, n in fired), True)


# ---- layer 2: the debtor's own restrictions -----------------------------------------------

def _unconfirmed_destination(ctx: _Context) -> Denial | None:
    """SPEC §6: a contact point found outside the client's file is confirmed (by a call)
    before any written message goes to it."""
    if ctx.confirmed or ctx.channel == Channel.CALL:
        return None
    return Denial(2, ["contact.unconfirmed_destination"],
                  (Reason(N_("Not to this address: it was found outside the client's file and "
                             "is not confirmed yet.")),), None, True)


def _wrong_number(ctx: _Context) -> Denial | None:
    """A number reported as someone else's is not called, whatever the time: a call there
    would talk about the debt to a third party. Cleared on the debtor's record once checked."""
    if not ctx.wrong_number:
        return None
    return Denial(2, ["contact.wrong_number"],
                  (Reason(N_("Not this number: it was reported as a wrong number (someone else "
                             "answers it).")),), None, True)


def _destination_mismatch(ctx: _Context) -> Denial | None:
    """An e-mail address is never dialled or texted, a phone number never e-mailed."""
    if ctx.channel in PHONE_CHANNELS and ctx.kind == "email":
        sentence = N_("An e-mail address cannot be called or texted: use one of the debtor's "
                      "phone numbers.")
    elif ctx.channel == Channel.EMAIL and ctx.kind == "phone":
        sentence = N_("A phone number cannot receive an e-mail: use one of the debtor's e-mail "
                      "addresses.")
    else:
        return None
    return Denial(2, ["contact.destination_not_for_channel"], (Reason(sentence),), None, True)


def _restrictions(facts: DebtorFacts, ctx: _Context, at: dt.datetime) -> Denial | None:
    local = _local(at, ctx)
    fired: list[tuple[str, Reason, dt.datetime | None]] = []
    for item in facts.restrictions:
        if item.created_at > at:
            continue
        applies = not item.channel or item.channel in ctx.media
        if item.kind == "channel_opt_out" and item.channel in ctx.media:
            fired.append(("debtor.channel_opt_out",
                          Reason.of(N_("the debtor opted out of %(channel)s"),
                                    channel=channel_name(item.channel)), None))
        elif item.kind == "preferred_channel" and item.channel not in ctx.media:
            fired.append(("debtor.preferred_channel",
                          Reason.of(N_("the debtor asked to be contacted by %(channel)s only"),
                                    channel=channel_name(item.channel)), None))
        elif item.kind == "inconvenient_place" and applies and ctx.label == item.place.lower():
            fired.append(("debtor.inconvenient_place",
                          Reason.of(N_("the debtor asked not to be contacted at %(place)s"),
                                    place=item.place), None))
        elif item.kind == "inconvenient_time" and applies:
            if item.weekdays and local.weekday() not in item.weekdays:
                continue
            tomorrow = _day_start(local.date() + dt.timedelta(days=1), ctx)
            if item.not_before is None and item.not_after is None:
                fired.append(("debtor.inconvenient_time",
                              Reason.of(N_("the debtor finds %(weekday)s inconvenient"),
                                        weekday=weekday_name(local.weekday())),
                              tomorrow))
            elif item.not_before is not None and local.time() < item.not_before:
                fired.append(("debtor.inconvenient_time",
                              Reason.of(N_("the debtor asked for no contact before %(time)s"),
                                        time=item.not_before),
                              dt.datetime.combine(local.date(), item.not_before, local.tzinfo)))
            elif item.not_after is not None and local.time() >= item.not_after:
                fired.append(("debtor.inconvenient_time",
                              Reason.of(N_("the debtor asked for no contact after %(time)s"),
                                        time=item.not_after),
                              tomorrow))
    if not fired:
        return None
    sentences = tuple(sentence for _id, sentence, _next in fired)
    return Denial(2, sorted({rule_id for rule_id, _s, _n in fired}),
                  (Reason.of(N_("Not now: %(reasons)s."), reasons=sentences),),
                  _later(n for _i, _s, n in fired), False)


# ---- layers 3 and 4: jurisdiction pack, then client contract rules -------------------------

def _consents(facts: DebtorFacts) -> list[dt.datetime]:
    return [a.consent_given_at for a in facts.attempts if a.consent_given_at is not None]


def _consent_covers(consents: list[dt.datetime], when: dt.datetime, days: int) -> bool:
    """Reg F §1006.14(b)(3)(i): calls within N days of the debtor's own consent don't count."""
    span = dt.timedelta(days=days)
    return days > 0 and any(c <= when <= c + span for c in consents)


def _counts_toward_frequency(attempt: AttemptFact, rules: RuleSet, debt_ref: str) -> bool:
    if attempt.channel not in rules[Param.FREQUENCY_CHANNELS]:
        return False
    if attempt.debt_ref and debt_ref and attempt.debt_ref != debt_ref:
        return False  # 7-in-7 is per debt; an account-wide attempt counts toward every debt
    # A call counts when it connected; a text is an initiated communication either way.
    return attempt.channel != Channel.CALL or attempt.result in rules[Param.COUNTED_RESULTS]


def _window(rules: RuleSet, ctx: _Context, at: dt.datetime) -> Denial | None:
    stop_minutes = rules[Param.STOP_BEFORE_END_MINUTES]
    stop = dt.timedelta(minutes=stop_minutes)
    for name in ctx.zones:
        tz = windows.zone(name)
        local = at.astimezone(tz)
        window = windows.zone_window(rules, tz, local.date(), ctx.is_holiday)
        several = len(ctx.zones) > 1
        ids = [rules.rule_id(Param.CALL_WINDOW)]
        if window is None:
            if ctx.is_holiday(local.date()) and not rules[Param.CALLS_ON_PUBLIC_HOLIDAYS]:
                ids = [rules.rule_id(Param.CALLS_ON_PUBLIC_HOLIDAYS)]
                day = Reason(N_("a public holiday"))
            elif local.weekday() == 6 and not rules[Param.CALLS_ON_SUNDAYS]:
                ids, day = [rules.rule_id(Param.CALLS_ON_SUNDAYS)], Reason(N_("a Sunday"))
            else:
                day = Reason.of(N_("a %(weekday)s without a contact window"),
                                weekday=weekday_name(local.weekday()))
            reason = (Reason.of(N_("No contact on %(date)s in %(zone)s: it is %(day)s."),
                                date=local.date(), zone=name, day=day) if several
                      else Reason.of(N_("No contact on %(date)s: it is %(day)s."),
                                     date=local.date(), day=day))
        elif at < window[0]:
            reason = (Reason.of(N_("Too early: the window opens at %(time)s in %(zone)s."),
                                time=window[0].time(), zone=name) if several
                      else Reason.of(N_("Too early: the window opens at %(time)s."),
                                     time=window[0].time()))
        elif at >= window[1] - stop:
            if at < window[1]:
                ids.append(rules.rule_id(Param.STOP_BEFORE_END_MINUTES))
                reason = (Reason.of(N_("Too late: dialling stops %(minutes)s minutes before the "
                                       "window closes at %(time)s in %(zone)s."),
                                    minutes=stop_minutes, time=window[1].time(), zone=name)
                          if several
                          else Reason.of(N_("Too late: dialling stops %(minutes)s minutes "
                                            "before the window closes at %(time)s."),
                                         minutes=stop_minutes, time=window[1].time()))
            else:
                reason = (Reason.of(N_("Too late: the window closed at %(time)s in %(zone)s."),
                                    time=window[1].time(), zone=name) if several
                          else Reason.of(N_("Too late: the window closed at %(time)s."),
                                         time=window[1].time()))
        else:
            continue
        next_at = windows.next_window_start(rules, ctx.zones, ctx.primary, at, ctx.is_holiday)
        floor = any(rules.is_floor(p) for p in (Param.CALL_WINDOW, Param.CALLS_ON_SUNDAYS,
                                                Param.CALLS_ON_PUBLIC_HOLIDAYS,
                                                Param.STOP_BEFORE_END_MINUTES)
                    if rules.rule_id(p) in ids)
        reasons: tuple[Reason, ...] = (reason,)
        if next_at is None and several:
            reasons += (Reason(N_("The windows of the debtor's time zones never overlap.")),)
        return Denial(3, ids, reasons, next_at, floor)
    return None


def _frequency(facts: DebtorFacts, rules: RuleSet, ctx: _Context,
               at: dt.datetime) -> Denial | None:
    if ctx.channel not in rules[Param.FREQUENCY_CHANNELS] or not facts.attempts:
        return None
    today = _local(at, ctx).date()
    consents = _consents(facts)
    consent_days = rules[Param.CONSENT_EXCLUSION_DAYS]
    consented_now = _consent_covers(consents, at, consent_days)
    past = [a for a in facts.attempts if a.started_at <= at]

    conversations_today = [a for a in past if a.conversation
                           and _local(a.started_at, ctx).date() == today]
    limit = rules[Param.CONVERSATIONS_PER_DAY]
    if len(conversations_today) >= limit:
        return Denial(3, [rules.rule_id(Param.CONVERSATIONS_PER_DAY)],
                      (Reason.of(N_("Already %(count)s conversation(s) today; the limit is "
                                    "%(limit)s a day."),
                                 count=len(conversations_today), limit=limit),),
                      _day_start(today + dt.timedelta(days=1), ctx),
                      rules.is_floor(Param.CONVERSATIONS_PER_DAY))

    quiet_days = rules[Param.QUIET_DAYS_AFTER_CONVERSATION]
    conversations = [a for a in past if a.conversation
                     and _counts_toward_frequency(a, rules, ctx.debt_ref)]
    if quiet_days and conversations and not consented_now:
        last = conversations[-1]
        day_one = _local(last.started_at, ctx).date()
        reopens = _day_start(day_one + dt.timedelta(days=quiet_days), ctx)
        waived = (rules[Param.FOLLOW_UP_WAIVES_QUIET_PERIOD] and last.follow_up_at is not None
                  and at >= last.follow_up_at)
        if at < reopens and not waived:
            next_at = reopens
            if rules[Param.FOLLOW_UP_WAIVES_QUIET_PERIOD] and last.follow_up_at is not None:
                next_at = min(reopens, last.follow_up_at)
            return Denial(3, [rules.rule_id(Param.QUIET_DAYS_AFTER_CONVERSATION)],
                          (Reason.of(N_("Quiet period: a conversation on %(day_one)s (day 1 of "
                                        "%(days)s) means no call before %(reopens)s."),
                                     day_one=day_one, days=quiet_days,
                                     reopens=reopens.date()),),
                          next_at, rules.is_floor(Param.QUIET_DAYS_AFTER_CONVERSATION))

    limit = rules[Param.CONNECTED_CALLS_PER_7_DAYS]
    if consented_now:
        return None
    counted = [_local(a.started_at, ctx).date() for a in past
               if _counts_toward_frequency(a, rules, ctx.debt_ref)
               and not _consent_covers(consents, a.started_at, consent_days)]

    def in_seven_days_ending(day: dt.date) -> int:
        first = day - dt.timedelta(days=6)
        return sum(1 for d in counted if first <= d <= day)

    held = in_seven_days_ending(today)
    if held >= limit:
        window_reopens: dt.datetime | None = None
        for ahead in range(1, 8):
            if in_seven_days_ending(today + dt.timedelta(days=ahead)) < limit:
                window_reopens = _day_start(today + dt.timedelta(days=ahead), ctx)
                break
        return Denial(3, [rules.rule_id(Param.CONNECTED_CALLS_PER_7_DAYS)],
                      (Reason.of(N_("%(count)s counted contact(s) in the 7 days ending "
                                    "%(date)s; the limit is %(limit)s."),
                                 count=held, date=today, limit=limit),), window_reopens,
                      rules.is_floor(Param.CONNECTED_CALLS_PER_7_DAYS))
    return None


def _jurisdiction(facts: DebtorFacts, rules: RuleSet, ctx: _Context,
                  at: dt.datetime) -> Denial | None:
    return _window(rules, ctx, at) or _frequency(facts, rules, ctx, at)


# ---- layer 5: pacing --------------------------------------------------------------------

def _pacing(facts: DebtorFacts, rules: RuleSet, ctx: _Context, at: dt.datetime) -> Denial | None:
    channels = rules[Param.FREQUENCY_CHANNELS]
    if ctx.channel not in channels or not facts.attempts:
        return None
    today = _local(at, ctx).date()
    paced = [a for a in facts.attempts if a.started_at <= at and a.channel in channels]
    limit = rules[Param.ATTEMPTS_PER_DAY]
    attempts_today = sum(1 for a in paced if _local(a.started_at, ctx).date() == today)
    if attempts_today >= limit:
        return Denial(5, [rules.rule_id(Param.ATTEMPTS_PER_DAY)],
                      (Reason.of(N_("Already %(count)s attempt(s) today; the limit is %(limit)s "
                                    "a day."), count=attempts_today, limit=limit),),
                      _day_start(today + dt.timedelta(days=1), ctx),
                      rules.is_floor(Param.ATTEMPTS_PER_DAY))
    spacing = dt.timedelta(minutes=rules[Param.MIN_SPACING_MINUTES])
    to_this_number = [a for a in paced if a.destination == ctx.destination]
    if to_this_number and at < to_this_number[-1].started_at + spacing:
        next_at = to_this_number[-1].started_at + spacing
        return Denial(5, [rules.rule_id(Param.MIN_SPACING_MINUTES)],
                      (Reason.of(N_("The last attempt to this number was at %(time)s; wait "
                                    "%(minutes)s minutes between attempts."),
                                 time=_local(to_this_number[-1].started_at, ctx).time(),
                                 minutes=rules[Param.MIN_SPACING_MINUTES]),),
                      next_at, rules.is_floor(Param.MIN_SPACING_MINUTES))
    return None


def _first_denial(facts: DebtorFacts, ctx: _Context, at: dt.datetime) -> Denial | None:
    denial = (_holds(facts, ctx, at) or _destination_mismatch(ctx) or _wrong_number(ctx)
              or _unconfirmed_destination(ctx) or _restrictions(facts, ctx, at))
    if denial:
        return denial
    denial = _jurisdiction(facts, facts.pack_rules, ctx, at)
    if denial:
        return denial
    if facts.rules is not facts.pack_rules:
        denial = _jurisdiction(facts, facts.rules, ctx, at)
        if denial:
            return replace(denial, layer=4)
    return _pacing(facts, facts.rules, ctx, at)


def decide(facts: DebtorFacts, channel: str, destination: str, at: dt.datetime, *,
           invoice_ids: Iterable[int] | None = None, debt_ref: str = "") -> Decision:
    """The decision for one contact at one time from loaded facts. Pure: no queries."""
    if at.tzinfo is None:
        raise ValueError("Decisions need a timezone-aware time.")
    ctx = _context(facts, channel, destination, invoice_ids, debt_ref)
    base = Decision(allowed=True, rule_ids=[],
                    reasons=(Reason(N_("Allowed: no rule forbids this contact.")),),
                    next_permitted_at=None, pack_version=facts.rules.pack_version,
                    pack_code=facts.rules.pack_code, debtor_id=facts.debtor_id,
                    client_id=facts.client_id, channel=channel, destination=destination, at=at)
    denial = _first_denial(facts, ctx, at)
    if denial is None:
        return base
    overridable = denial.layer != 1 and not denial.floor
    if overridable:
        for override in facts.overrides:
            if (override.channel == channel and override.destination in ("", destination)
                    and at < override.valid_until):
                return replace(base, rule_ids=[*denial.rule_ids, f"override.{override.id}"],
                               reasons=(Reason.of(N_("Allowed by approved override %(id)s. "
                                                     "Without it:"), id=override.id),
                                        *denial.reasons), override_id=override.id)
    horizon = at + dt.timedelta(days=SEARCH_HORIZON_DAYS)
    candidate = denial.next_at
    while candidate is not None and candidate <= horizon:
        again = _first_denial(facts, ctx, candidate)
        if again is None:
            break
        candidate = again.next_at if again.next_at and again.next_at > candidate else None
    if candidate is not None and candidate > horizon:
        candidate = None
    return replace(base, allowed=False, rule_ids=denial.rule_ids, reasons=denial.reasons,
                   next_permitted_at=candidate, overridable=overridable)


def permitted_window(facts: DebtorFacts, channel: str, destination: str,
                     day: dt.date | dt.datetime) -> tuple[str, list[windows.Interval]]:
    """The primary zone and the day's permitted intervals (window intersection, without the
    dialling cut-off), for the manual-dial page and tests. Given a time, the day is its local
    date in the primary zone."""
    ctx = _context(facts, channel, destination, None, "")
    if isinstance(day, dt.datetime):
        day = _local(day, ctx).date()
    return ctx.primary, windows.day_intervals(facts.rules, ctx.zones, ctx.primary, day,
                                              ctx.is_holiday)


# ---- entry points that read the database ---------------------------------------------------

def _destinations(facts: DebtorFacts, channel: str) -> list[str]:
    if channel in PHONE_CHANNELS:
        kinds = ["phone"]
    elif channel == Channel.EMAIL:
        kinds = ["email"]
    else:
        kinds = ["phone", "email"]
    return [p.value for kind in kinds for p in facts.points
            if p.channel == kind and not p.wrong_number]


def _no_destination(facts: DebtorFacts, channel: str, at: dt.datetime) -> Decision:
    return Decision(allowed=False, rule_ids=["contact.no_destination"],
                    reasons=(Reason.of(N_("The debtor has no contact point for %(channel)s."),
                                       channel=channel_name(channel)),),
                    next_permitted_at=None, pack_version=facts.rules.pack_version,
                    pack_code=facts.rules.pack_code, debtor_id=facts.debtor_id,
                    client_id=facts.client_id, channel=channel, at=at)


def decide_best(facts: DebtorFacts, channel: str, at: dt.datetime) -> Decision:
    """For a planner: the first of the debtor's contact points that may be used now, else the
    one that opens soonest."""
    best: Decision | None = None
    for destination in _destinations(facts, channel):
        decision = decide(facts, channel, destination, at)
        if decision.allowed:
            return decision
        if best is None or (decision.next_permitted_at is not None and (
                best.next_permitted_at is None
                or decision.next_permitted_at < best.next_permitted_at)):
            best = decision
    return best or _no_destination(facts, channel, at)


def can_contact(debtor: Any, channel: str, destination: str, at: dt.datetime, *,
                invoice_ids: Iterable[int] | None = None, debt_ref: str = "",
                actor: Any = None, purpose: str = "", record: bool = True) -> Decision:
    """Decide one outbound contact and store the decision as evidence (unless record=False,
    for a what-if that no contact follows)."""
    from compliance import loader, services

    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}.")
    facts = loader.facts_load([debtor], at=at)[debtor.pk]
    decision = decide(facts, channel, destination, at, invoice_ids=invoice_ids,
                      debt_ref=debt_ref)
    if record:
        stored = services.contact_decisions_record(decisions=[decision], actor=actor,
                                                   purpose=purpose)
        decision = replace(decision, decision_id=stored[0].pk)
    return decision


def can_contact_many(debtors: Sequence[Any] | Any, channel: str, at: dt.datetime, *,
                     actor: Any = None, purpose: str = "", record: bool = True,
                     run_key: str = "", chunk_size: int = 2000) -> dict[int, Decision]:
    """Decide for a batch of debtors (the caring planner). Facts load per chunk in a fixed
    number of queries (no query per debtor); decisions are stored with one bulk insert per
    chunk. Each debtor gets its best contact point for the channel. A `run_key` names the
    batch run: its evidence is stored once per debtor and channel, however often the run is
    resumed."""
    from compliance import loader, services

    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}.")
    results: dict[int, Decision] = {}
    packs = loader.pack_index(at)
    for chunk in loader.debtor_chunks(debtors, chunk_size):
        facts = loader.facts_load(chunk, at=at, packs=packs)
        decisions = [decide_best(facts[debtor.pk], channel, at) for debtor in chunk]
        if record:
            services.contact_decisions_record(decisions=decisions, actor=actor,
                                              purpose=purpose, run_key=run_key)
        results.update((decision.debtor_id, decision) for decision in decisions
                       if decision.debtor_id is not None)
    return results
