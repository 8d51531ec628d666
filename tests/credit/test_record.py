"""The record is immutable: no change or deletion through the model, querysets or admin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from access.errors import DomainError
from credit import services
from credit.models import CreditDecision
from tests.credit.factories import score

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(personas, debtor):
    score(debtor, "A")
    request = services.credit_request_create(debtor=debtor, amount=Decimal("1000"),
                                             justification="First order", by=personas.agent)
    services.credit_request_submit(request=request, by=personas.agent)
    return request.decisions.get(action=CreditDecision.Action.AUTO_APPROVE)


def test_a_decision_refuses_to_be_changed(decision):
    decision.comment = "rewritten"

    with pytest.raises(DomainError, match="cannot be changed"):
        decision.save()
    with pytest.raises(DomainError):
        CreditDecision.objects.filter(pk=decision.pk).update(comment="rewritten")

    decision.refresh_from_db()
    assert decision.comment != "rewritten"


def test_a_decision_refuses_to_be_deleted(decision):
    with pytest.raises(DomainError, match="cannot be deleted"):
        decision.delete()
    with pytest.raises(DomainError):
        CreditDecision.objects.filter(pk=decision.pk).delete()

    assert CreditDecision.objects.filter(pk=decision.pk).exists()


def test_the_admin_shows_decisions_read_only(client, personas, decision):
    client.force_login(personas.admin)
    personas.admin.is_staff = True
    personas.admin.save()

    change_url = reverse("admin:credit_creditdecision_change", args=[decision.pk])
    page = client.get(change_url)
    posted = client.post(change_url, {"comment": "rewritten"})
    deleted = client.post(reverse("admin:credit_creditdecision_delete", args=[decision.pk]),
                          {"post": "yes"})

    assert page.status_code == 200
    assert posted.status_code == 403
    assert deleted.status_code == 403
    decision.refresh_from_db()
    assert decision.comment != "rewritten"


def test_the_debtor_credit_page_shows_who_decided_on_which_score(client, personas, debtor,
                                                                 decision):
    client.force_login(personas.credit_manager)

    page = client.get(reverse("credit:debtor_credit", args=[debtor.pk])).content.decode()

    assert "Approved automatically (tier 1)" in page
    assert "Fido (rule)" in page
    assert decision.figures["score"]["model_version"] in page
