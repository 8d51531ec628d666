import pytest

from access.roles import Role
from tests.factories import DebtorFactory, user_with_role


@pytest.fixture
def debtor(personas):
    return DebtorFactory(client=personas.client_a, name="Rossi Forniture S.r.l.")


@pytest.fixture
def committee_2(personas):
    return user_with_role(Role.CREDIT_COMMITTEE, clients=(personas.client_a,),
                          username="committee_a2")


@pytest.fixture
def committee_3(personas):
    return user_with_role(Role.CREDIT_COMMITTEE, clients=(personas.client_a,),
                          username="committee_a3")
