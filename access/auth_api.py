"""POST /api/v1/auth/token/: an API token for a username and password, behind the same login
throttle as the web and admin logins (access/throttle.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from access.forms import LOCK_MESSAGES
from access.rate_limits import ScopedRateThrottle
from access.throttle import client_address, login_lock


class ThrottledObtainAuthToken(ObtainAuthToken):
    # DRF's own view turns throttling off; this one keeps a rate per address ("login" in
    # DEFAULT_THROTTLE_RATES) on top of the shared failure count.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        lock = login_lock(str(username or ""), client_address(request))
        if lock is not None:
            wait = (settings.LOGIN_LOCKOUT_SECONDS if lock == "account"
                    else settings.LOGIN_ADDRESS_WINDOW_SECONDS)
            raise exceptions.Throttled(wait=wait, detail=str(LOCK_MESSAGES[lock]))
        return super().post(request, *args, **kwargs)


obtain_auth_token = ThrottledObtainAuthToken.as_view()
