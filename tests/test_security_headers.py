"""Every response carries a Content-Security-Policy and a Permissions-Policy; no template
needs inline script or style; the API schema and docs are for signed-in users; /health/
tells an anonymous caller only ok / not ok."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _assert_policies(response):
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/login/", "/", "/portfolio/debtors/", "/api/v1/debtors/",
                                  "/no-such-page/", "/health/", "/api/docs/", "/admin/"])
def test_every_response_carries_the_security_policies(client, personas, path):
    client.force_login(personas.admin)
    _assert_policies(client.get(path))


def test_an_anonymous_response_carries_them_too(client):
    _assert_policies(client.get("/login/"))


def test_no_template_needs_inline_script_or_style():
    """A strict CSP refuses inline <script>, <style>, style="…" and on…="…" handlers."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=",
                        r"\son[a-z]+=", r"javascript:"):
            found += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
                      for m in re.finditer(pattern, text)]
    assert not found, "\n".join(found)


def test_the_api_schema_and_docs_refuse_an_anonymous_caller(client):
    schema = client.get("/api/schema/", {"format": "json"})
    docs = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    assert schema.status_code in (401, 403)
    assert "paths" not in schema.content.decode()
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")
    assert script.status_code == 302


def test_the_docs_page_loads_its_start_up_script_as_a_file(client, personas):
    client.force_login(personas.agent)

    page = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/", {"script": ""})

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_health_tells_an_anonymous_caller_only_ok_or_not(client):
    response = client.get("/health/")

    assert response.json().keys() == {"status"}
    assert response.json()["status"] in ("ok", "error")


def test_health_gives_staff_the_details(admin_client):
    body = admin_client.get("/health/").json()

    assert {"status", "database", "broker", "worker"} <= body.keys()
    assert body["database"]["status"] == "ok"
