"""The catalogue of rule parameters a pack or a client contract may set (SPEC §1 table).

This module holds the *meaning* of each parameter — how to validate a value and which of two
values is stricter — never the values themselves: those are data (`PackRule` rows seeded by
migration 0002, `ClientContactRule` rows saved by credit managers).

`RuleSet` is the effective set of values for one decision, with the rule id that supplied each
value, so a denial can name the rule that fired ("US.connected_calls_per_7_days",
"US-MA.connected_calls_per_7_days", "client.attempts_per_day").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import TextChoices
from django.utils import formats
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.errors import DomainError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Channel(TextChoices):
    CALL = "call", _("Call")
    SMS = "sms", _("Text message")
    EMAIL = "email", _("E-mail")
    SURVEY = "survey", _("Survey")


class AttemptResult(TextChoices):
    """SPEC §2 attempt results."""

    BUSY = "busy", _("Busy")
    NOT_IN_SERVICE = "not_in_service", _("Not in service")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL_LEFT = "voicemail_left", _("Voicemail, message left")
    VOICEMAIL_NO_MESSAGE = "voicemail_no_message", _("Voicemail, no message")
    ANSWERED = "answered", _("Answered")
    DROPPED = "dropped", _("Dropped")


class Party(TextChoices):
    """SPEC §2 party reached."""

    RIGHT_PARTY_VERIFIED = "right_party_verified", _("Right party, verified")
    AUTHORISED_THIRD_PARTY = "authorised_third_party", _("Authorised third party")
    WRONG_PARTY = "wrong_party", _("Wrong party")
    UNKNOWN = "unknown", _("Unknown")


# A call "connects" when the line rang at the debtor's end (SPEC §1: answered, rings
# unanswered, voicemail); busy and not-in-service never reached it. A dropped call was answered
# and cut off, so it connected. Used for the attempt's `connected` flag (contact-funnel KPIs);
# the engine reads what counts toward 7-in-7 from the pack (`counted_results`), not from here.
CONNECTED_RESULTS = frozenset({
    AttemptResult.ANSWERED, AttemptResult.NO_ANSWER, AttemptResult.VOICEMAIL_LEFT,
    AttemptResult.VOICEMAIL_NO_MESSAGE, AttemptResult.DROPPED,
})


class Param(TextChoices):
    CALL_WINDOW = "call_window", _("Call window, local time")
    CALLS_ON_SUNDAYS = "calls_on_sundays", _("Calls on Sundays")
    CALLS_ON_PUBLIC_HOLIDAYS = "calls_on_public_holidays", _("Calls on public holidays")
    STOP_BEFORE_END_MINUTES = "stop_before_end_minutes", _("Stop dialling before window end (min)")
    CONVERSATIONS_PER_DAY = "conversations_per_day", _("Conversations per debtor per day")
    CONNECTED_CALLS_PER_7_DAYS = ("connected_calls_per_7_days",
                                  _("Connected calls per debtor per debt in any 7 days"))
    FREQUENCY_CHANNELS = "frequency_channels", _("Channels counted by the frequency limits")
    COUNTED_RESULTS = "counted_results", _("Attempt results that count toward 7-in-7")
    CONSENT_EXCLUSION_DAYS = ("consent_exclusion_days",
                              _("Calls within N days of the debtor's consent are not counted"))
    QUIET_DAYS_AFTER_CONVERSATION = ("quiet_days_after_conversation",
                                     _("Quiet days after a conversation (its day is day 1)"))
    FOLLOW_UP_WAIVES_QUIET_PERIOD = ("follow_up_waives_quiet_period",
                                     _("An agreed follow-up lifts the quiet period"))
    ATTEMPTS_PER_DAY = "attempts_per_day", _("Attempts per debtor per day (all numbers)")
    MIN_SPACING_MINUTES = "min_spacing_minutes", _("Spacing between attempts to one number (min)")
    RECORDED_VOICE_MESSAGES = ("recorded_voice_messages",
                               _("Recorded or automated voice messages about a debt"))
    THIRD_PARTY_DISCLOSURE = "third_party_disclosure", _("Talking to third parties about the debt")
    OPT_OUT_KEYWORDS = "opt_out_keywords", _("Text opt-out keywords")


# Ordered from strictest to loosest.
VOICE_MESSAGE_LEVELS = ("never", "no_debt_disclosure", "limited_content")
THIRD_PARTY_LEVELS = ("never", "location_once_per_person")


def _hhmm(value: Any) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise DomainError(gettext("%(value)r is not a time of day (HH:MM).") % {"value": value},
                          code="bad_rule_value",
                          field="value") from None


def _validate_window(value: Any) -> dict[str, list[str] | None]:
    if not isinstance(value, Mapping):
        raise DomainError(gettext("A call window maps week days (mon … sun) to [opens, closes]."),
                          code="bad_rule_value", field="value")
    unknown = set(value) - set(WEEKDAYS)
    if unknown:
        raise DomainError(gettext("Unknown week days in the call window: %(days)s.")
                          % {"days": ", ".join(sorted(unknown))},
                          code="bad_rule_value", field="value")
    clean: dict[str, list[str] | None] = {}
    for day in WEEKDAYS:
        hours = value.get(day)
        if not hours:
            clean[day] = None
            continue
        if not isinstance(hours, list | tuple) or len(hours) != 2:
            raise DomainError(gettext("The %(day)s window must be [opens, closes].") % {"day": day},
                              code="bad_rule_value", field="value")
        opens, closes = _hhmm(hours[0]), _hhmm(hours[1])
        if opens >= closes:
            raise DomainError(gettext("The %(day)s window opens after it closes.") % {"day": day},
                              code="bad_rule_value",
                              field="value")
        clean[day] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
    return clean


def _validate_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DomainError(gettext("%(value)r must be a whole number, zero or more.")
                          % {"value": value},
                          code="bad_rule_value", field="value")
    return value


def _validate_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise DomainError(gettext("%(value)r must be true or false.") % {"value": value},
                          code="bad_rule_value",
                          field="value")
    return value


def _validate_choices(allowed: Iterable[str]) -> Callable[[Any], list[str]]:
    allowed = frozenset(allowed)

    def validate(value: Any) -> list[str]:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise DomainError(gettext("Give a list of names."),
                              code="bad_rule_value", field="value")
        unknown = set(value) - allowed
        if unknown:
            raise DomainError(gettext("Unknown names: %(names)s.")
                              % {"names": ", ".join(sorted(unknown))},
                              code="bad_rule_value", field="value")
        return sorted(set(value))
    return validate


def _validate_keywords(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip()
                                                      for v in value):
        raise DomainError(gettext("Give a list of keywords."), code="bad_rule_value", field="value")
    return sorted({" ".join(v.lower().split()) for v in value})


def _validate_level(levels: tuple[str, ...]) -> Callable[[Any], str]:
    def validate(value: Any) -> str:
        if value not in levels:
            raise DomainError(gettext("%(value)r is not one of %(levels)s.")
                              % {"value": value, "levels": ", ".join(levels)},
                              code="bad_rule_value", field="value")
        return str(value)
    return validate


def _window_within(candidate: Mapping[str, Any], reference: Mapping[str, Any]) -> bool:
    for day in WEEKDAYS:
        mine, theirs = candidate.get(day), reference.get(day)
        if not mine:
            continue
        if not theirs or mine[0] < theirs[0] or mine[1] > theirs[1]:
            return False
    return True


def _window_intersection(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for day in WEEKDAYS:
        x, y = a.get(day), b.get(day)
        if not x or not y:
            result[day] = None
            continue
        opens, closes = max(x[0], y[0]), min(x[1], y[1])
        result[day] = [opens, closes] if opens < closes else None
    return result


@dataclass(frozen=True)
class ParamSpec:
    validate: Callable[[Any], Any]
    # at_least_as_strict(candidate, reference): may `candidate` replace `reference` without
    # permitting anything the reference forbids?
    at_least_as_strict: Callable[[Any, Any], bool]
    strictest: Callable[[Any, Any], Any]


def _lower_is_stricter() -> ParamSpec:
    return ParamSpec(_validate_int, lambda c, r: c <= r, min)


def _higher_is_stricter() -> ParamSpec:
    return ParamSpec(_validate_int, lambda c, r: c >= r, max)


def _more_is_stricter(validate: Callable[[Any], Any]) -> ParamSpec:
    return ParamSpec(validate, lambda c, r: set(c) >= set(r), lambda a, b: sorted(set(a) | set(b)))


def _level(levels: tuple[str, ...]) -> ParamSpec:
    return ParamSpec(_validate_level(levels), lambda c, r: levels.index(c) <= levels.index(r),
                     lambda a, b: a if levels.index(a) <= levels.index(b) else b)


PARAMS: dict[str, ParamSpec] = {
    Param.CALL_WINDOW: ParamSpec(_validate_window, _window_within, _window_intersection),
    Param.CALLS_ON_SUNDAYS: ParamSpec(_validate_bool, lambda c, r: (not c) or r,
                                      lambda a, b: a and b),
    Param.CALLS_ON_PUBLIC_HOLIDAYS: ParamSpec(_validate_bool, lambda c, r: (not c) or r,
                                              lambda a, b: a and b),
    Param.STOP_BEFORE_END_MINUTES: _higher_is_stricter(),
    Param.CONVERSATIONS_PER_DAY: _lower_is_stricter(),
    Param.CONNECTED_CALLS_PER_7_DAYS: _lower_is_stricter(),
    Param.FREQUENCY_CHANNELS: _more_is_stricter(_validate_choices(Channel.values)),
    Param.COUNTED_RESULTS: _more_is_stricter(_validate_choices(AttemptResult.values)),
    Param.CONSENT_EXCLUSION_DAYS: _lower_is_stricter(),
    Param.QUIET_DAYS_AFTER_CONVERSATION: _higher_is_stricter(),
    Param.FOLLOW_UP_WAIVES_QUIET_PERIOD: ParamSpec(_validate_bool, lambda c, r: (not c) or r,
                                                   lambda a, b: a and b),
    Param.ATTEMPTS_PER_DAY: _lower_is_stricter(),
    Param.MIN_SPACING_MINUTES: _higher_is_stricter(),
    Param.RECORDED_VOICE_MESSAGES: _level(VOICE_MESSAGE_LEVELS),
    Param.THIRD_PARTY_DISCLOSURE: _level(THIRD_PARTY_LEVELS),
    Param.OPT_OUT_KEYWORDS: _more_is_stricter(_validate_keywords),
}


def value_validate(parameter: str, value: Any) -> Any:
    if parameter not in PARAMS:
        raise DomainError(gettext("%(value)r is not a contact rule.") % {"value": parameter},
                          code="unknown_rule",
                          field="parameter")
    return PARAMS[parameter].validate(value)


@dataclass(frozen=True)
class RuleValue:
    value: Any
    rule_id: str
    floor: bool


@dataclass
class RuleSet:
    """The values in force for one decision, each with the rule id that supplied it."""

    pack_code: str
    pack_version: int
    values: dict[str, RuleValue] = field(default_factory=dict)

    def __getitem__(self, parameter: str) -> Any:
        return self.values[parameter].value

    def rule_id(self, parameter: str) -> str:
        return self.values[parameter].rule_id

    def is_floor(self, parameter: str) -> bool:
        return self.values[parameter].floor

    def tightened(self, rules: Iterable[tuple[str, Any, str, bool]]) -> RuleSet:
        """A copy where each (parameter, value, rule id, floor) replaces the value in force when
        it is stricter; otherwise the stricter combination of both applies under the new id."""
        merged = RuleSet(self.pack_code, self.pack_version, dict(self.values))
        for parameter, value, rule_id, floor in rules:
            current = merged.values.get(parameter)
            if current is None:
                merged.values[parameter] = RuleValue(value, rule_id, floor)
                continue
            combined = PARAMS[parameter].strictest(current.value, value)
            if combined != current.value:
                merged.values[parameter] = RuleValue(combined, rule_id, floor or current.floor)
        return merged

    # Typed accessors for the engine, parsed once per RuleSet.
    def window(self, weekday: int) -> tuple[dt.time, dt.time] | None:
        """The day's (opens, closes), parsed once per RuleSet: the batch asks thousands of
        times."""
        parsed = self.__dict__.get("_windows")
        if parsed is None:
            parsed = []
            for day, name in enumerate(WEEKDAYS):
                hours = self[Param.CALL_WINDOW].get(name)
                if not hours or (day == 6 and not self[Param.CALLS_ON_SUNDAYS]):
                    parsed.append(None)
                else:
                    parsed.append((_hhmm(hours[0]), _hhmm(hours[1])))
            self.__dict__["_windows"] = parsed
        return parsed[weekday]


def value_display(parameter: str, value: Any) -> str:
    """A value as a credit manager reads it on the pack page."""
    if parameter == Param.CALL_WINDOW:
        # Marked outside the f-string: makemessages does not read inside one.
        no_calls = _("no calls")
        days = [f"{WEEKDAYS_ABBR[n]} {hours[0]}-{hours[1]}" if hours
                else f"{WEEKDAYS_ABBR[n]} {no_calls}"
                for n, hours in enumerate(value.get(d) for d in WEEKDAYS)]
        return ", ".join(days)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if parameter == Param.MIN_SPACING_MINUTES and isinstance(value, int):
        hours = value / 60
        shown = formats.number_format(int(hours) if hours == int(hours) else round(hours, 2))
        return f"{value} min ({shown} h)"
    return str(value)
