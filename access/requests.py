"""Typed access to the user behind a request that is known to be signed in.

Django types `request.user` as any user, anonymous included, and knows nothing of the `htmx`
attribute django-htmx's middleware adds. A view behind `login_required` annotates its request
with `PageRequest` so the type checker sees what the view really gets: a signed-in `User`, and
the htmx details. It is a type only; Django builds the requests.

API views and the admin cannot narrow their request's type (they override framework methods),
so they ask `signed_in_user(request)` for the user their permissions already required.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request


class PageRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def signed_in_user(request: HttpRequest | Request) -> User:
    """The request's user, for code whose permissions admit only signed-in users.

    Anonymous users never get this far (the view's permission classes or the admin's login
    refuse them first); should one arrive, it is refused rather than acted upon.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied  # answered like any refusal: 403 on pages and the API
    return user
