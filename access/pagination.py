"""Pagination, of the API and of pages. Kept apart from access.api: DRF's GenericAPIView reads
the default pagination class while access.api is still being imported.

A page number or cursor position becomes an SQL bound (OFFSET, id < p), and the databases hold
64-bit integers: a number past that is refused before it reaches the driver, which would
otherwise fail with an overflow (a 500) instead of a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination

BIGINT_MAX = 2**63 - 1


class IdCursorPagination(CursorPagination):
    """Cursor pagination on the primary key: constant cost on the millionth page too."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Any) -> Cursor | None:
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        # The position is an id (the ordering is on the primary key): anything but a positive
        # bigint was not made by encode_cursor.
        try:
            position = int(cursor.position)
        except (TypeError, ValueError):
            raise NotFound(self.invalid_cursor_message) from None
        if not 0 < position <= BIGINT_MAX:
            raise NotFound(self.invalid_cursor_message)
        return cursor


def page_number(raw: str | None, *, page_size: int) -> int:
    """The page a `?page=` asks for, for pages that slice without counting: 1 when absent or
    not a number; 404 when its offset is past what the database can address."""
    try:
        number = max(int(raw or "1"), 1)
    except ValueError:
        return 1
    if number * page_size >= BIGINT_MAX:  # the slice reads one row past the page
        raise Http404("No such page.")
    return number
