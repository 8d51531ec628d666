from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.roles import Role
from access.scoping import access_for, client_staff, scope_to_user, user_sees_client
from portfolio.models import Debtor
from tests.factories import ClientFactory, DebtorFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_staff_see_only_the_clients_they_work_on(personas):
    DebtorFactory(client=personas.client_a, name="Mine")
    DebtorFactory(client=personas.client_b, name="Theirs")

    names = set(scope_to_user(Debtor.objects.all(), personas.agent).values_list("name", flat=True))

    assert names == {"Mine"}


def test_a_client_viewer_sees_its_own_client_only_even_with_a_stray_membership(personas):
    from access.models import Membership

    Membership.objects.create(user=personas.viewer_b, client=personas.client_a)

    assert access_for(personas.viewer_b).client_ids == frozenset({personas.client_b.pk})


def test_administrators_see_every_client(personas):
    assert access_for(personas.admin).client_ids is None


def test_another_clients_debtor_is_a_404_not_a_403(client, personas):
    theirs = DebtorFactory(client=personas.client_b)
    client.force_login(personas.viewer_a)

    response = client.get(reverse("portfolio:debtor_detail", args=[theirs.pk]))

    assert response.status_code == 404


def test_an_inactive_user_sees_nothing(personas):
    personas.agent.is_active = False
    personas.agent.save()

    assert access_for(personas.agent).client_ids == frozenset()


def test_one_helper_says_whether_a_user_sees_a_client(personas):
    a, b = personas.client_a.pk, personas.client_b.pk

    assert user_sees_client(personas.agent, a) and not user_sees_client(personas.agent, b)
    assert user_sees_client(personas.viewer_b, b) and not user_sees_client(personas.viewer_b, a)
    assert user_sees_client(personas.admin, a) and user_sees_client(personas.admin, b)


def test_client_staff_are_the_active_members_in_the_roles_asked(personas):
    from django.contrib.auth.models import Group

    both = user_with_role(Role.AGENT, clients=(personas.client_a,), username="agent_leader_a")
    both.groups.add(Group.objects.get(name=Role.TEAM_LEADER))
    user_with_role(Role.AGENT, clients=(personas.client_a,), username="gone_a", is_active=False)
    user_with_role(Role.AGENT, clients=(personas.client_b,), username="agent_b")

    staff = client_staff(personas.client_a.pk, roles=[Role.AGENT, Role.TEAM_LEADER])

    # Once each, whatever the roles they hold; not the inactive agent, not client B's, not the
    # administrator who sees every client without working on it, not the client's viewer.
    assert sorted(user.username for user in staff) == ["agent_a", "agent_leader_a", "leader_a"]
    assert staff.count() == 3
    assert list(client_staff(personas.client_a.pk, roles=[Role.ADMINISTRATOR])) == []


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, Role.CLIENT_VIEWER,
                                  Role.ADMINISTRATOR])
def test_the_one_query_prefetch_gives_what_the_lazy_reads_give(role) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from access.scoping import access_prefetch

    mine: Any = ClientFactory()
    other: Any = ClientFactory()
    user = user_with_role(role, clients=(mine, other), client=mine)
    user.user_permissions.add(Permission.objects.get(codename="work_second_level"))
    lazy = get_user_model().objects.get(pk=user.pk)
    primed = get_user_model().objects.get(pk=user.pk)

    with CaptureQueriesContext(connection) as queries:
        access_prefetch(primed)
    assert len(queries.captured_queries) == 1

    expected = (lazy.get_all_permissions(), access_for(lazy).roles,
                access_for(lazy).client_ids)
    with CaptureQueriesContext(connection) as after:
        got = (primed.get_all_permissions(), access_for(primed).roles,
               access_for(primed).client_ids)
    assert got == expected
    assert "recovery.work_second_level" in got[0]
    assert after.captured_queries == []
