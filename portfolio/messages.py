"""Problems stored in English and shown in the reader's language (imports, ledger checks).

A file is checked by a worker (no user, no language) and its problems are kept as JSON on the
job, then read by an English or an Italian user, or by a program through the API. So each
message is built as a `Message`: an English sentence (a str, what the API and the logs show)
that keeps its msgid and values; the page translates the msgid when it shows it
(`message_text`). Write messages as `_("%(column)s is empty.") % {"column": column}` with
`from portfolio.messages import N_ as _`: the msgids are the catalogue's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext


def _stored(value: Any) -> Any:
    """A value as JSON keeps it: numbers stay numbers (a msgid may say %(line)d)."""
    if isinstance(value, Message):
        return value.as_stored()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value)


def _english(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) \
        else str(value)


class Message(str):
    """An English sentence that remembers its msgid and the values put into it."""

    msgid: str
    params: dict[str, Any] | list[Any] | None

    def __new__(cls, msgid: str, params: Any = None) -> Message:
        if params is None:
            text = msgid
        elif isinstance(params, Mapping):
            text = msgid % {key: _english(value) for key, value in params.items()}
        else:
            values = params if isinstance(params, tuple) else (params,)
            text = msgid % tuple(_english(value) for value in values)
        made = super().__new__(cls, text)
        made.msgid = msgid
        if params is None:
            made.params = None
        elif isinstance(params, Mapping):
            made.params = {key: _stored(value) for key, value in params.items()}
        else:
            made.params = [_stored(value) for value in
                           (params if isinstance(params, tuple) else (params,))]
        return made

    def __mod__(self, params: Any) -> Message:  # type: ignore[override]
        return Message(self.msgid, params)

    def translated(self) -> str:
        """This message in the active language (DomainError.message reads it)."""
        return message_text(self)

    def as_stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"message": str(self), "msgid": self.msgid}
        if self.params is not None:
            stored["params"] = self.params
        return stored


def N_(msgid: str) -> Message:
    """Mark `msgid` for translation; it is translated where it is shown."""
    return Message(msgid)


def _rendered(value: Any) -> Any:
    if isinstance(value, Mapping):
        return message_text(value)
    return value


def message_text(item: Mapping[str, Any] | str | None) -> str:
    """A stored problem ({"message", "msgid", "params"}), a Message or a plain string, in the
    active language; the English text where no translation fits."""
    if item is None:
        return ""
    if isinstance(item, Message):
        item = item.as_stored()
    if isinstance(item, str):
        return item
    msgid = item.get("msgid")
    english = str(item.get("message", ""))
    if not msgid:
        return english
    params = item.get("params")
    try:
        if params is None:
            return gettext(msgid)
        if isinstance(params, Mapping):
            return gettext(msgid) % {key: _rendered(value) for key, value in params.items()}
        return gettext(msgid) % tuple(_rendered(value) for value in params)
    except (KeyError, TypeError, ValueError):
        return english


def joined(separator: str, parts: list[Any]) -> Message:
    """Messages joined into one that still translates part by part (a msgid of bare "%s"s,
    which no catalogue translates, so gettext hands it back as it is)."""
    return Message(separator.join(["%s"] * len(parts)), tuple(parts))
