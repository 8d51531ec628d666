"""The one place that decides what a user may see.

Every queryset that reaches a user (page, API, export) is filtered here. Views never filter by
client themselves: they ask for `scope_to_user(...)` or a `<entity>_get_for_user` helper, and the
tenant walk in tests/access/test_tenant_walk.py checks that no route leaks another client's rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from access.models import ClientUser, Membership
from access.roles import Role

M = TypeVar("M", bound=Model)
AnyUser = User | AnonymousUser


class UserAccess:
    """What one user is: their roles and the clients they may see. Built once per request."""

    def __init__(self, user: AnyUser) -> None:
        self.user = user

    @cached_property
    def roles(self) -> frozenset[str]:
        if not self.user.is_authenticated:
            return frozenset()
        names = set(self.user.groups.values_list("name", flat=True))
        if self.user.is_superuser:
            names.add(Role.ADMINISTRATOR)
        return frozenset(names)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_every_client(self) -> bool:
        return self.user.is_authenticated and Role.ADMINISTRATOR in self.roles

    @property
    def is_client_viewer(self) -> bool:
        return Role.CLIENT_VIEWER in self.roles and not self.sees_every_client

    @cached_property
    def client_ids(self) -> frozenset[int] | None:
        """The ids of the clients this user may see; None means every client (administrators)."""
        if not self.user.is_authenticated or not self.user.is_active:
            return frozenset()
        if self.sees_every_client:
            return None
        if self.is_client_viewer:
            # A client viewer sees its one client and nothing else, whatever memberships say.
            return frozenset(
                ClientUser.objects.filter(user_id=self.user.pk).values_list("client_id", flat=True)
            )
        return frozenset(
            Membership.objects.filter(user_id=self.user.pk).values_list("client_id", flat=True)
        )

    def sees_client(self, client_id: int) -> bool:
        """Whether this user may see the client's rows: the check a service makes, behind the
        scoped lookups of views and API, before it writes for a client."""
        client_ids = self.client_ids
        return client_ids is None or client_id in client_ids


def user_sees_client(user: AnyUser, client_id: int) -> bool:
    """Whether `user` may see the client `client_id` (see UserAccess.sees_client)."""
    return access_for(user).sees_client(client_id)


# A user's roles, permissions and clients as (kind, value) rows, in one round trip: plain SQL
# both databases run, on Django's auth tables and ours (parameters: the user id, five times).
_ACCESS_FACTS_SQL = (
    "SELECT 'role', g.name FROM auth_group g"
    " JOIN auth_user_groups ug ON ug.group_id = g.id WHERE ug.user_id = %s"
    " UNION ALL SELECT 'group_perm', ct.app_label || '.' || p.codename FROM auth_permission p"
    " JOIN django_content_type ct ON ct.id = p.content_type_id"
    " JOIN auth_group_permissions gp ON gp.permission_id = p.id"
    " JOIN auth_user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s"
    " UNION ALL SELECT 'user_perm', ct.app_label || '.' || p.codename FROM auth_permission p"
    " JOIN django_content_type ct ON ct.id = p.content_type_id"
    " JOIN auth_user_user_permissions up ON up.permission_id = p.id WHERE up.user_id = %s"
    " UNION ALL SELECT 'member', CAST(client_id AS TEXT) FROM access_membership"
    " WHERE user_id = %s"
    " UNION ALL SELECT 'viewer', CAST(client_id AS TEXT) FROM access_clientuser"
    " WHERE user_id = %s"
)


def access_prefetch(user: AnyUser) -> None:
    """Read the user's roles, permissions and clients in one query instead of four, for a
    request that will check all of them (the collections desk's claim and contact). Fills the
    same per-request caches Django's model backend and `access_for` fill lazily; changes
    nothing for superusers (every permission) or inactive users (none)."""
    from django.db import connection

    staff: Any = user  # a concrete User: the checks below read its flags and caches
    if (not staff.is_authenticated or not staff.is_active or staff.is_superuser
            or hasattr(staff, "_perm_cache")):
        return
    rows: dict[str, set[str]] = {"role": set(), "group_perm": set(), "user_perm": set(),
                                 "member": set(), "viewer": set()}
    with connection.cursor() as cursor:
        cursor.execute(_ACCESS_FACTS_SQL, [user.pk] * 5)
        for kind, value in cursor.fetchall():
            rows[kind].add(value)
    staff._user_perm_cache = rows["user_perm"]
    staff._group_perm_cache = rows["group_perm"]
    staff._perm_cache = rows["user_perm"] | rows["group_perm"]
    access = access_for(user)
    access.__dict__["roles"] = frozenset(rows["role"])
    if access.sees_every_client:
        client_ids = None
    elif access.is_client_viewer:
        client_ids = frozenset(int(pk) for pk in rows["viewer"])
    else:
        client_ids = frozenset(int(pk) for pk in rows["member"])
    access.__dict__["client_ids"] = client_ids


def access_for(user: AnyUser) -> UserAccess:
    """The user's access, cached on the user object for the length of a request."""
    cached = getattr(user, "_fido_access", None)
    if cached is None:
        cached = UserAccess(user)
        user._fido_access = cached  # type: ignore[union-attr]
    return cached


def client_staff(client_id: int, *, roles: Iterable[str]) -> QuerySet[Any]:
    """The active users who work on the client (a membership) in one of `roles`: who may be
    asked to decide, call or follow up for it. Administrators, who see every client without a
    membership, are not among them, nor are the client's own viewers."""
    return (get_user_model().objects
            .filter(is_active=True, memberships__client_id=client_id,
                    groups__name__in=list(roles))
            .distinct())


def scope_to_user(queryset: QuerySet[M], user: AnyUser, *,
                  client_field: str = "client") -> QuerySet[M]:
    """Restrict `queryset` to the rows of the clients `user` may see.

    `client_field` is the lookup path from the model to its Client ("client", or "pk" for the
    Client model itself).
    """
    client_ids = access_for(user).client_ids
    if client_ids is None:
        return queryset
    lookup = "pk__in" if client_field == "pk" else f"{client_field}_id__in"
    return queryset.filter(**{lookup: list(client_ids)})


def object_get_for_user(queryset: QuerySet[M], user: AnyUser, *, client_field: str = "client",
                        **lookup: object) -> M:
    """Fetch one object the user may see, or raise 404.

    Never 403: a 403 would confirm that another client's object exists.
    """
    try:
        return scope_to_user(queryset, user, client_field=client_field).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None
