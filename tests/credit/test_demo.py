"""The demo shows credit as it is meant to work: a committee that can reach its quorum."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from credit import services
from credit.models import CreditLimitRequest, CreditTierPolicy
from portfolio.demo_users import demo_users_create
from tests.credit.factories import score
from tests.factories import ClientFactory, DebtorFactory

pytestmark = pytest.mark.django_db


def test_the_demo_committee_reaches_the_default_quorum_with_its_own_logins():
    client = ClientFactory(name="Demo Alfa S.p.A.")
    logins = demo_users_create(clients=[client])
    committee = [login.username for login in logins if login.role == "credit_committee"]
    users = {user.username: user for user in get_user_model().objects.all()}
    debtor = DebtorFactory(client=client)
    score(debtor, "A")
    request = services.credit_request_create(debtor=debtor, amount=Decimal("300000"),
                                             justification="Five-year supply contract",
                                             by=users["agent"])
    request = services.credit_request_submit(request=request, by=users["agent"])

    for username in committee[:CreditTierPolicy.DEFAULTS["committee_quorum"]]:
        request = services.credit_request_approve(request=request, by=users[username])

    assert committee == ["committee", "committee2", "committee3"]
    assert request.tier == 3
    assert request.status == CreditLimitRequest.Status.APPROVED


def test_a_quorum_no_committee_can_reach_is_refused():
    client = ClientFactory()
    demo_users_create(clients=[client])
    policy = CreditTierPolicy(client=client, **{**CreditTierPolicy.DEFAULTS,
                                                "committee_quorum": 4})

    with pytest.raises(ValidationError) as refused:
        policy.full_clean()

    assert "3 credit committee member(s): a quorum of 4 could never be reached" in str(
        refused.value)
    policy.committee_quorum = 3
    policy.full_clean()
