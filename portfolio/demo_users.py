"""The demo logins: one user per role (three for the credit committee, whose quorum needs
several), printed by `manage.py demo_seed`."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from access.models import ClientUser, Membership, Team, TeamMembership
from access.roles import Role
from portfolio.models import Client, Debtor

DEMO_PASSWORD = "fido-demo-2026"  # noqa: S105 - a documented local demo login, refused in production


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    client_name: str | None = None


@transaction.atomic
def demo_users_create(*, clients: list[Client]) -> list[DemoLogin]:
    """Create (or reset) one login per role, three committee members. Staff work on every
    demo client; each client viewer belongs to one client. The protective flags of the demo
    debtors are recorded as set by the credit manager."""
    user_model = get_user_model()
    team, _ = Team.objects.get_or_create(name="Team Milano")
    logins: list[DemoLogin] = []
    # One hash for every demo login: the hasher is slow on purpose (about a second each).
    password = make_password(DEMO_PASSWORD)
    users: dict[str, object] = {}

    def make(username: str, role: str, *, staff_of: list[Client], client: Client | None = None,
             leader: bool = False, full_name: str = "") -> None:
        user, _created = user_model.objects.get_or_create(username=username)
        first, _sep, last = full_name.partition(" ")
        user.first_name, user.last_name = first, last
        user.email = f"{username}@demo.fido.invalid"
        user.password = password
        user.is_staff = role == Role.ADMINISTRATOR
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        for each in staff_of:
            Membership.objects.get_or_create(user=user, client=each)
        if client is not None:
            ClientUser.objects.update_or_create(user=user, defaults={"client": client})
        if role in (Role.AGENT, Role.TEAM_LEADER):
            TeamMembership.objects.update_or_create(team=team, user=user,
                                                    defaults={"is_leader": leader})
        logins.append(DemoLogin(username, role, client.name if client else None))
        users[username] = user

    make("agent", Role.AGENT, staff_of=clients, full_name="Giulia Rossi")
    make("leader", Role.TEAM_LEADER, staff_of=clients, leader=True, full_name="Marco Bianchi")
    make("manager", Role.CREDIT_MANAGER, staff_of=clients, full_name="Elena Conti")
    # Three committee members: the default quorum of two distinct members is reachable, and
    # still so when one of them proposed the request or is away.
    make("committee", Role.CREDIT_COMMITTEE, staff_of=clients, full_name="Paolo Ferri")
    make("committee2", Role.CREDIT_COMMITTEE, staff_of=clients, full_name="Chiara Galli")
    make("committee3", Role.CREDIT_COMMITTEE, staff_of=clients, full_name="Luca Moretti")
    make("admin", Role.ADMINISTRATOR, staff_of=[], full_name="Admin Fido")
    for index, client in enumerate(clients, start=1):
        make(f"client{index}", Role.CLIENT_VIEWER, staff_of=[], client=client,
             full_name=f"Viewer {client.name}")
    for flag in ("do_not_call", "vulnerable", "deceased"):
        Debtor.objects.filter(client__in=clients, **{flag: True, f"{flag}_set_by": None}).update(
            **{f"{flag}_set_by": users["manager"]}, updated_at=timezone.now())
    return logins
