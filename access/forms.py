from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from access.throttle import client_address, login_lock

LOCK_MESSAGES = {
    "account": _("Too many failed attempts. Try again in a few minutes, or reset your "
                 "password."),
    "address": _("Too many failed sign-ins from your network. Try again later."),
}


class _ThrottleMessage:
    """Says why a locked login is refused; the count itself is kept by the authentication
    backend (access/backends.py), the same for every way in."""

    request: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        lock = login_lock(username, client_address(self.request))
        if lock is not None:
            raise forms.ValidationError(LOCK_MESSAGES[lock], code="locked")
        return super().clean()  # type: ignore[misc]


class ThrottledAuthenticationForm(_ThrottleMessage, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(_ThrottleMessage, AdminAuthenticationForm):
    pass
