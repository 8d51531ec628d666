"""Where each user lands, and the one rule that keeps client users on their portal.

The home page lives here, not in `access`: a client viewer's home is the client portal of this
app, and `access` sits below every app in the dependency order (access <- ... <- insights).

Client users (the client viewer role) see their own portfolio through the portal only. The
staff's screens (queues, the control room, credit, caring, contact rules, scoring, the ledger
pages with their staff panels) answer 403 to them, whatever permissions the role holds for
the API: `ClientPortalMiddleware` refuses those URL namespaces in one place, so a staff page
added later is refused too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext

from access.roles import Role
from access.scoping import access_for, scope_to_user
from portfolio.models import Client

# Each role lands on the page it works from; the home page shows the same portfolio summary
# to every staff role, scoped, plus the role's own shortcuts.
ROLE_HOME_SECTIONS = {
    Role.AGENT: "agent",
    Role.TEAM_LEADER: "team_leader",
    Role.CREDIT_MANAGER: "credit_manager",
    Role.CREDIT_COMMITTEE: "credit_committee",
    Role.ADMINISTRATOR: "administrator",
}

# URL namespaces of the staff's pages, refused to client users.
STAFF_NAMESPACES = frozenset({"portfolio", "caring", "recovery", "credit", "compliance",
                              "scoring", "experience"})


def is_portal_user(user: Any) -> bool:
    """A client user: sees the portal and nothing of the staff's screens."""
    return bool(user.is_authenticated) and access_for(user).is_client_viewer


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_portal_user(request.user):
        return redirect("insights:portal")
    access = access_for(request.user)
    sections = [section for role, section in ROLE_HOME_SECTIONS.items() if role in access.roles]
    clients = scope_to_user(Client.objects.all(), request.user, client_field="pk").annotate(
        debtor_count=Count("debtors", distinct=True)
    )
    return render(request, "access/home.html", {"sections": sections, "clients": clients})


class ClientPortalMiddleware:
    """Refuse the staff's pages to client users.

    A staff view keeps its own refusals (404 for another client's object, 403 for a use case
    the role may not perform), so a client user learns nothing it could not learn before;
    what the view would have shown becomes a 403, and what it would have changed is rolled
    back (its on-commit work, such as queued tasks, never runs).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _staff_page_for_client_user(request):
            return self.get_response(request)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            response = self.get_response(request)
        else:
            with transaction.atomic():
                response = self.get_response(request)
                if response.status_code < 400:
                    transaction.set_rollback(True)
        if response.status_code < 400:
            return HttpResponseForbidden(_refusal_text())
        return response


def _staff_page_for_client_user(request: HttpRequest) -> bool:
    if not is_portal_user(request.user):
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    namespaces = set(match.namespaces)
    staff_insights = "insights" in namespaces and not (match.url_name or "").startswith("portal")
    return bool(namespaces & STAFF_NAMESPACES) or staff_insights


def _refusal_text() -> str:
    return gettext("This page is for the agency's staff. Your portfolio is in the client portal.")
