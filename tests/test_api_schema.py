"""The OpenAPI document, its docs page and token authentication."""

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from tests.factories import DebtorFactory

pytestmark = pytest.mark.django_db


def test_the_schema_generates_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    GENERATOR_STATS.enable_trace_lineno()  # each warning names the code that caused it

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert schema["openapi"].startswith("3.")
    assert "/api/v1/debtors/" in schema["paths"]
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)


def test_the_schema_command_fails_on_any_warning(tmp_path):
    """The same check the way CI tools run it: `spectacular --fail-on-warn` exits non-zero."""
    call_command("spectacular", "--fail-on-warn", "--validate", "--file",
                 str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_the_schema_endpoint_serves_openapi_3_to_a_logged_in_user(client, personas):
    client.force_login(personas.agent)

    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_the_docs_page_renders_swagger_ui_from_our_own_static_files(client, personas):
    client.force_login(personas.agent)

    response = client.get("/api/docs/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "swagger-ui" in body
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in body
    assert "cdn." not in body and "unpkg" not in body and "jsdelivr" not in body


def test_a_token_obtained_at_the_token_endpoint_lists_debtors(client, personas):
    DebtorFactory(client=personas.client_a, name="Rossi Impianti S.r.l.")
    DebtorFactory(client=personas.client_b, name="Not yours S.p.A.")

    token = client.post("/api/v1/auth/token/",
                        {"username": "agent_a", "password": "correct-horse-battery"})
    assert token.status_code == 200
    key = token.json()["token"]

    response = client.get("/api/v1/debtors/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Rossi Impianti S.r.l."]


def test_a_wrong_token_is_refused(client, personas):
    response = client.get("/api/v1/debtors/", HTTP_AUTHORIZATION="Token not-a-real-token")

    # 403, not 401: session authentication comes first and sends no WWW-Authenticate challenge.
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize(("path", "component"), [
    ("/api/v1/debtors/", "DebtorInput"),
    ("/api/v1/invoices/", "InvoiceInput"),
    ("/api/v1/payments/", "PaymentInput"),
])
def test_the_schema_documents_what_a_create_accepts(path, component):
    schema = SchemaGenerator().get_schema(request=None, public=True)

    body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]

    assert body == {"$ref": f"#/components/schemas/{component}"}
