"""API pagination. Kept apart from access.api: DRF's GenericAPIView reads the default pagination
class while access.api is still being imported."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Cursor pagination on the primary key: constant cost on the millionth page too."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
