"""The sentences that explain a contact decision, kept as message ids and their values so that
each reader gets them in their own language.

The engine builds `Reason` objects (a message id marked for translation at its definition,
and its named values); a decision stores the English text (stable evidence, with the rule ids)
and the same reason as JSON (`as_json`), from which a screen renders the sentence in the
user's language with dates and times in the locale's formats (`render_json`).

Values: text and numbers are shown as they are (zone names, places, counts); `dt.date` and
`dt.time` are formatted (ISO in the English evidence, the locale's format on screens); a
nested `Reason` is translated itself; a tuple of reasons is joined with "; ".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext, gettext_lazy, gettext_noop, pgettext_lazy

# Message ids are marked with gettext_noop: they are stored untranslated and translated when
# shown, in the reader's language. `N_` is the usual name for it.
N_ = gettext_noop

# Translators: the weekday names are Django's own ids, which its date formats also use: keep
# Django's Italian (capitalised, "Lunedì"), or every formatted date changes with them.
WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
                 N_("Saturday"), N_("Sunday"))
CHANNEL_NAMES = {
    "call": N_("calls"),
    "sms": N_("text messages"),
    "email": N_("e-mail"),
    "survey": N_("surveys"),
}

Value = Any  # str | int | dt.date | dt.time | Reason | tuple[Reason, ...]


@dataclass(frozen=True)
class Reason:
    """One sentence (or phrase) of an explanation: a message id and its named values."""

    msgid: str
    values: tuple[tuple[str, Value], ...] = ()

    @classmethod
    def of(cls, msgid: str, **values: Value) -> Reason:
        return cls(msgid, tuple(values.items()))

    def english(self) -> str:
        return self._render(translated=False)

    def translated(self) -> str:
        return self._render(translated=True)

    def _render(self, *, translated: bool) -> str:
        text = gettext(self.msgid) if translated else self.msgid
        if not self.values:
            return text
        return text % {name: _value_text(value, translated) for name, value in self.values}

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"m": self.msgid}
        if self.values:
            data["v"] = {name: _value_json(value) for name, value in self.values}
        return data


def channel_name(channel: str) -> Reason:
    return Reason(CHANNEL_NAMES.get(channel, channel))


def weekday_name(weekday: int) -> Reason:
    return Reason(WEEKDAY_NAMES[weekday])


def _value_text(value: Value, translated: bool) -> str:
    if isinstance(value, Reason):
        return value._render(translated=translated)
    if isinstance(value, tuple):
        return "; ".join(_value_text(item, translated) for item in value)
    if isinstance(value, dt.datetime):  # pragma: no cover - reasons carry dates and times
        value = value.date()
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT") if translated else value.isoformat()
    if isinstance(value, dt.time):
        return (formats.time_format(value, "TIME_FORMAT") if translated
                else value.strftime("%H:%M"))
    return str(value)


def _value_json(value: Value) -> Any:
    if isinstance(value, Reason):
        return value.as_json()
    if isinstance(value, tuple):
        return {"l": [_value_json(item) for item in value]}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.strftime("%H:%M")}
    return value


def _value_from_json(data: Any) -> Value:
    if isinstance(data, Mapping):
        if "m" in data:
            return reason_from_json(data)
        if "l" in data:
            return tuple(_value_from_json(item) for item in data["l"])
        if "d" in data:
            return dt.date.fromisoformat(data["d"])
        if "t" in data:
            return dt.time.fromisoformat(data["t"])
    return data


def reason_from_json(data: Mapping[str, Any]) -> Reason:
    return Reason(str(data["m"]), tuple((name, _value_from_json(value))
                                        for name, value in (data.get("v") or {}).items()))


def sentences_english(reasons: Iterable[Reason]) -> str:
    return " ".join(reason.english() for reason in reasons)


def sentences_json(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    return [reason.as_json() for reason in reasons]


def render_json(data: Any, fallback: str = "") -> str:
    """The stored sentences in the active language; the stored English text when there is no
    structured reason (decisions stored before reasons were kept) or it cannot be read."""
    if not data:
        return fallback
    try:
        return " ".join(reason_from_json(item).translated() for item in data)
    except (KeyError, TypeError, ValueError):
        return fallback


# ---- rule ids a reader may meet, and what each means ---------------------------------------

RULE_DESCRIPTIONS = {
    "hold.cease_communication": gettext_lazy("Account hold: the debtor asked us to stop"),
    "hold.lawyer": gettext_lazy("Account hold: represented by a lawyer"),
    "hold.dispute": gettext_lazy("Account hold: dispute pending"),
    "hold.insolvency": gettext_lazy("Account hold: bankruptcy or insolvency"),
    "hold.breathing_space": gettext_lazy("Account hold: UK Breathing Space"),
    "hold.complaint": gettext_lazy("Account hold: open complaint"),
    "hold.vulnerability": gettext_lazy("Account hold: vulnerability"),
    "hold.deceased": gettext_lazy("Account hold: debtor deceased"),
    "hold.restricted": gettext_lazy("Account hold: processing restricted (GDPR)"),
    "hold.do_not_call": gettext_lazy("Account hold: do not call"),
    "debtor.channel_opt_out": gettext_lazy("The debtor opted out of this channel"),
    "debtor.preferred_channel": gettext_lazy("The debtor asked for another channel only"),
    "debtor.inconvenient_place": gettext_lazy("The debtor finds this place inconvenient"),
    "debtor.inconvenient_time": gettext_lazy("The debtor finds this time inconvenient"),
    "contact.unconfirmed_destination": gettext_lazy("Contact point not confirmed yet"),
    "contact.wrong_number": gettext_lazy("Number reported as a wrong number"),
    "contact.no_destination": gettext_lazy("No contact point for this channel"),
    "contact.destination_not_for_channel": gettext_lazy(
        "This contact point cannot carry this channel"),
}
OVERRIDE_DESCRIPTION = pgettext_lazy("contact rule", "Approved override")


def rule_description(rule_id: str) -> str:
    """What a rule id means, in the active language: a pack's or a client's parameter reads
    as the parameter ("US.connected_calls_per_7_days" -> "Connected calls per debtor per debt
    in any 7 days"); unknown ids read as themselves."""
    from compliance.rules import Param

    if rule_id in RULE_DESCRIPTIONS:
        return str(RULE_DESCRIPTIONS[rule_id])
    if rule_id.startswith("override."):
        return str(OVERRIDE_DESCRIPTION)
    _scope, _dot, parameter = rule_id.rpartition(".")
    if parameter in Param.values:
        return str(Param(parameter).label)
    return rule_id
