"""The one authentication backend: Django's model backend behind the login throttle."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from access.throttle import (
    client_address,
    login_failure_record,
    login_failures_clear,
    login_is_locked,
)


class ThrottledModelBackend(ModelBackend):
    """Every password check (web login, admin login, API token, anything added later that
    calls `django.contrib.auth.authenticate`) passes here, so all of them share one count of
    failures and one lock (access/throttle.py)."""

    def authenticate(self, request: Any, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if username is None or password is None:
            return super().authenticate(request, username=username, password=password,
                                        **kwargs)
        address = client_address(request)
        if login_is_locked(username, address):
            # PermissionDenied stops authenticate() at once, whatever backends follow.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(username, address)
        else:
            login_failures_clear(username, address)
        return user
