"""The role groups a fresh database ends with are the ones access/roles.py lists.

The migrations that create the groups hold their own copy of the role -> permission table;
`sync_role_groups` after every migrate brings the groups to the code's table. If either the
copy or the sync went wrong, a new installation would start with the wrong rights.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from access.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db


def _names(permissions) -> set[str]:
    return {f"{app_label}.{codename}" for app_label, codename in
            permissions.values_list("content_type__app_label", "codename")}


def test_a_fresh_migrate_gives_every_role_exactly_the_codes_permissions() -> None:
    every_permission = _names(Permission.objects.all())

    for role, wanted in ROLE_PERMISSIONS.items():
        expected = every_permission if "*" in wanted else set(wanted)
        group = Group.objects.get(name=role)
        assert _names(group.permissions.all()) == expected, role


def test_every_permission_the_roles_name_exists() -> None:
    every_permission = _names(Permission.objects.all())

    named = set().union(*ROLE_PERMISSIONS.values()) - {"*"}

    assert named - every_permission == set()
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
