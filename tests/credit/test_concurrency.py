"""Two committee members voting at the same moment: the request's row lock serialises them,
so the quorum is counted once and exactly one limit becomes active."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from credit import services
from credit.models import CreditLimit, CreditLimitRequest
from tests.credit.factories import CreditTierPolicyFactory, score


@pytest.mark.django_db(transaction=True)
def test_simultaneous_votes_reach_the_quorum_once(postgres_only, personas, debtor, committee_2,
                                                  committee_3):
    CreditTierPolicyFactory(client=personas.client_a, committee_quorum=2)
    score(debtor, "A")
    request = services.credit_request_create(debtor=debtor, amount=Decimal("500000"),
                                             justification="Framework deal", by=personas.agent)
    services.credit_request_submit(request=request, by=personas.agent)
    barrier = threading.Barrier(3)
    errors: list[Exception] = []

    def vote(member):
        try:
            barrier.wait()
            services.credit_request_approve(request=request, by=member)
        except Exception as error:  # the third vote may find the request approved
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(member,))
               for member in (personas.committee, committee_2, committee_3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    request.refresh_from_db()
    assert request.status == CreditLimitRequest.Status.APPROVED
    assert request.decisions.filter(action="approve").count() == 1
    assert CreditLimit.objects.filter(debtor=debtor, status="active").count() == 1
    assert request.decisions.filter(action="vote_approve").count() + len(errors) == 3
    assert all(getattr(error, "code", "") == "illegal_transition" for error in errors)
