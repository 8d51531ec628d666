from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.forms import ThrottledAuthenticationForm
from access.roles import Role
from access.scoping import access_for, scope_to_user
from portfolio.models import Client


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    template_name = "access/login.html"
    redirect_authenticated_user = True


# Each role lands on the page it works from; the home page shows the same portfolio summary
# to everyone, scoped, plus the role's own shortcuts.
ROLE_HOME_SECTIONS = {
    Role.AGENT: "agent",
    Role.TEAM_LEADER: "team_leader",
    Role.CREDIT_MANAGER: "credit_manager",
    Role.CREDIT_COMMITTEE: "credit_committee",
    Role.CLIENT_VIEWER: "client_viewer",
    Role.ADMINISTRATOR: "administrator",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    sections = [section for role, section in ROLE_HOME_SECTIONS.items() if role in access.roles]
    clients = scope_to_user(Client.objects.all(), request.user, client_field="pk").annotate(
        debtor_count=Count("debtors", distinct=True)
    )
    return render(request, "access/home.html", {"sections": sections, "clients": clients})
