"""The one domain exception type. Services raise it; views and the API turn it into a message."""

from __future__ import annotations


class DomainError(Exception):
    """A refused use case: an illegal status move, an impossible amount, a bad file.

    `code` is stable for programs, `message` is a sentence for people, `field` names the input
    at fault where there is one.
    """

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        # As raised: a plain string, or a message that keeps its msgid and values
        # (portfolio.messages.Message), which a file check stores to show it later in the
        # reader's language.
        self.raw_message = message
        self.code = code
        self.field = field

    @property
    def message(self) -> str:
        """The sentence in the active language: a message that kept its msgid is translated
        when it is read, so a refusal raised in English reads in Italian on an Italian page."""
        translated = getattr(self.raw_message, "translated", None)
        return translated() if callable(translated) else str(self.raw_message)
