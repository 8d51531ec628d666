"""The one domain exception type. Services raise it; views and the API turn it into a message."""

from __future__ import annotations


class DomainError(Exception):
    """A refused use case: an illegal status move, an impossible amount, a bad file.

    `code` is stable for programs, `message` is a sentence for people, `field` names the input
    at fault where there is one.
    """

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
