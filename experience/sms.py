"""Text messages for surveys, through a pluggable gateway (setting EXPERIENCE_SMS_BACKEND, a
dotted path), in the manner of Django's e-mail backends:

- `experience.sms.LoggingBackend` (default): writes the message to the log, with the link's
  token masked outside the embedded mode, since a link is a key to a debtor's survey;
- `experience.sms.LocmemBackend`: keeps messages in `experience.sms.outbox` (tests).

A real gateway subclasses `BaseBackend` and raises `SmsError` when the message is refused.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

_LINK_TOKEN = re.compile(r"(/s/)[^/\s]+")


class SmsError(Exception):
    """The gateway did not take the message; the text says why."""


@dataclass(frozen=True)
class Message:
    to: str
    body: str


class BaseBackend:
    def send(self, message: Message) -> None:
        raise NotImplementedError


class LoggingBackend(BaseBackend):
    def send(self, message: Message) -> None:
        body = message.body if settings.EMBEDDED else _LINK_TOKEN.sub(r"\1…", message.body)
        logger.info("Survey text to %s: %s", message.to, body)


# Messages sent through LocmemBackend, oldest first (cleared by tests).
outbox: list[Message] = []


class LocmemBackend(BaseBackend):
    def send(self, message: Message) -> None:
        outbox.append(message)


def backend() -> BaseBackend:
    backend_class = import_string(settings.EXPERIENCE_SMS_BACKEND)
    instance = backend_class()
    if not isinstance(instance, BaseBackend):
        raise TypeError(f"{settings.EXPERIENCE_SMS_BACKEND} is not an SMS backend.")
    return instance


def send_sms(*, to: str, body: str) -> None:
    backend().send(Message(to=to, body=body))
