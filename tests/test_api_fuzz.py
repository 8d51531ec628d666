"""Schemathesis over the OpenAPI document: every operation, called by a credit manager of one
client with generated input (valid and invalid), answers no 5xx and only what the schema says:
documented status codes, content types and bodies.

The schema is generated from the app (no HTTP round trip) and the calls go to the WSGI app in
the test's own transaction, so the seeded rows are what the lists return. A bounded number of
examples per operation keeps the run to about a minute on SQLite.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from compliance.models import ContactDecision
from credit import services as credit_services
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.credit.factories import CreditTierPolicyFactory, FinancialStatementFactory
from tests.factories import DebtorFactory, InvoiceFactory, PaymentFactory
from tests.scoring.factories import DebtorScoreFactory

EXAMPLES_PER_OPERATION = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _schema() -> schemathesis.BaseSchema:
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = get_wsgi_application()
    return loaded


schema = _schema()


@pytest.fixture
def portfolio(personas):
    """One of each resource of client A, so that lists and details return real rows."""
    debtor = DebtorFactory(client=personas.client_a)
    invoice = InvoiceFactory(debtor=debtor)
    payment = PaymentFactory(debtor=debtor)
    policy = CaringPolicyFactory(client=personas.client_a)
    call = CourtesyCallFactory(debtor=debtor, policy=policy)
    decision = ContactDecision.objects.create(
        client=personas.client_a, debtor=debtor, channel="call", destination="+390212345678",
        decided_at=timezone.now(), allowed=False, rule_ids=["hours"], reason="Outside hours.",
        next_permitted_at=timezone.now() + dt.timedelta(hours=12), pack_code="IT",
        pack_version=1)
    CreditTierPolicyFactory(client=personas.client_a)
    credit_request = credit_services.credit_request_create(
        debtor=debtor, amount=Decimal("50000.00"), justification="Growing orders.",
        by=personas.credit_manager)
    credit_request = credit_services.credit_request_submit(request=credit_request,
                                                           by=personas.credit_manager)
    statement = FinancialStatementFactory(debtor=debtor)
    score = DebtorScoreFactory(debtor=debtor)
    return {"debtor": debtor, "call": call, "credit_request": credit_request,
            # The row each detail path reaches with a generated id (see below).
            "ids": {"clients": personas.client_a.pk, "debtors": debtor.pk,
                    "invoices": invoice.pk, "payments": payment.pk,
                    "financial-statements": statement.pk, "scores": score.pk,
                    "scoring-models": score.model_id, "caring-policies": policy.pk,
                    "courtesy-calls": call.pk, "contact-decisions": decision.pk,
                    "credit-requests": credit_request.pk, "kpis": personas.client_a.pk}}


@pytest.fixture(autouse=True)
def _connection_kept_between_requests() -> Iterator[None]:
    """The WSGI app closes "old" database connections at each request's start and end; inside
    the test's transaction that would close the test's own connection (PostgreSQL). Django's
    test client detaches the same handler for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def credit_manager_token(personas, portfolio) -> dict[str, str]:
    token, _created = Token.objects.get_or_create(user=personas.credit_manager)
    return {"Authorization": f"Token {token.key}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_what_the_schema_says(case, credit_manager_token, portfolio):
    # A generated integer id would almost never name a row, and the operation would stop at
    # its 404: aim it at the seeded row instead, so bodies and actions reach the services.
    # Id 0 and ids that are not integers still check the 404s.
    resource = case.path.split("/")[3]
    generated = (case.path_parameters or {}).get("id")
    if isinstance(generated, int) and generated != 0 and resource in portfolio["ids"]:
        case.path_parameters["id"] = portfolio["ids"][resource]
    case.call_and_validate(headers=credit_manager_token, checks=CHECKS)


# --- The responses the review found untrue, checked on rows that exist -----------------------

def _call(credit_manager_token, path: str, method: str, **case: Any) -> tuple[int, Any]:
    """One call through the schema's own case, validated by the same checks; the status and
    the decoded JSON body (whatever shape the operation documents)."""
    operation = schema[path][method]
    if "body" in case:
        case.setdefault("media_type", "application/json")
    made = operation.Case(**case)
    response = made.call(headers=credit_manager_token)
    made.validate_response(response, checks=CHECKS)
    return response.status_code, response.json()


@pytest.mark.django_db
def test_a_courtesy_call_without_an_outcome_conforms(credit_manager_token, portfolio):
    _status, body = _call(credit_manager_token, "/api/v1/courtesy-calls/{id}/", "GET",
                          path_parameters={"id": portfolio["call"].pk})

    assert body["outcome"] == ""


@pytest.mark.django_db
def test_the_credit_request_decisions_are_a_plain_list_as_documented(credit_manager_token,
                                                                     portfolio):
    _status, body = _call(credit_manager_token, "/api/v1/credit-requests/{id}/decisions/",
                          "GET", path_parameters={"id": portfolio["credit_request"].pk})

    assert isinstance(body, list) and body


@pytest.mark.django_db
def test_the_contact_decisions_list_conforms(credit_manager_token, portfolio):
    _status, body = _call(credit_manager_token, "/api/v1/contact-decisions/", "GET",
                          query={"debtor": portfolio["debtor"].pk})

    assert len(body["results"]) == 1


@pytest.mark.django_db
def test_setting_a_flag_answers_the_debtor_as_documented(credit_manager_token, portfolio):
    _status, body = _call(credit_manager_token, "/api/v1/debtors/{id}/flags/", "POST",
                          path_parameters={"id": portfolio["debtor"].pk},
                          body={"flag": "do_not_call", "value": True})

    assert body["do_not_call"] is True


@pytest.mark.django_db
def test_a_refused_write_is_documented_in_the_error_shape(credit_manager_token, portfolio):
    status, body = _call(credit_manager_token, "/api/v1/invoices/", "POST",
                         body={"debtor": portfolio["debtor"].pk})

    assert status == 400
    assert body["error"]["code"] == "invalid"
